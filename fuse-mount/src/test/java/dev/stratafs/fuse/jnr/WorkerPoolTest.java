package dev.stratafs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.LongWork;
import dev.stratafs.fuse.errno.Errno;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker pool on a fake session: requests are (opcode, action) pairs taken from a queue
 * standing in for /dev/fuse (a request waits while the queue is not empty); an action runs as
 * the worker's process step.
 */
class WorkerPoolTest {
    private static final int GETATTR = 3, SETATTR = 4, FSYNC = 20;

    private record Request(int opcode, Runnable action) {}

    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private volatile boolean exited;
    private final AtomicInteger workersMade = new AtomicInteger();
    private final Set<String> servingThreads = ConcurrentHashMap.newKeySet();
    private Thread loop;
    /** Reads that found nothing (the fake device's read gives up after 10 ms). */
    private final AtomicInteger emptyReads = new AtomicInteger();
    private final AtomicInteger waitingPolls = new AtomicInteger();

    private final class FakeWorker implements WorkerPool.Worker {
        Request current;

        @Override
        public int receive() {
            try {
                current = queue.poll(10, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return -Errno.EINTR;
            }
            if (current == null) {
                emptyReads.incrementAndGet();
                return -Errno.EAGAIN;
            }
            return 40;
        }

        @Override
        public int opcode() {
            return current.opcode();
        }

        @Override
        public void process(int length) {
            servingThreads.add(Thread.currentThread().getName());
            current.action().run();
        }

        @Override
        public void close() {}
    }

    /** A threshold no thread hiccup reaches: quick requests then never count as stuck. */
    private static final long NEVER_STUCK = TimeUnit.MINUTES.toNanos(10);

    private void start() {
        start(NEVER_STUCK);
    }

    private void start(long stuckNanos) {
        start(stuckNanos, new SpinWindow(0));
    }

    private void start(long stuckNanos, SpinWindow spin) {
        WorkerPool pool = new WorkerPool(() -> exited, () -> exited = true, () -> {
            workersMade.incrementAndGet();
            return new FakeWorker();
        }, () -> {
            waitingPolls.incrementAndGet();
            return !queue.isEmpty();
        }, spin, true, "test", stuckNanos);
        loop = new Thread(() -> {
            try {
                pool.serve();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, "pool-test-serve");
        loop.start();
    }

    @AfterEach
    void stop() throws Exception {
        exited = true;
        loop.join(10_000);
        assertFalse(loop.isAlive(), "every worker left once the session ended");
    }

    private static void await(CountDownLatch l) {
        try {
            assertTrue(l.await(10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theReaderPollsForTheNextRequestInsteadOfBlockingInTheRead() throws InterruptedException {
        // A window of 1 s: the request that comes 100 ms into it is seen by the poll, and the
        // read after it returns at once. A reader that went straight to the read would sit in it,
        // and the fake read gives up every 10 ms.
        start(NEVER_STUCK, new SpinWindow(TimeUnit.SECONDS.toNanos(1)));
        Thread.sleep(100);
        CountDownLatch served = new CountDownLatch(1);
        queue.add(new Request(GETATTR, served::countDown));
        await(served);
        assertEquals(0, emptyReads.get(), "reads that waited for a request");
        assertTrue(waitingPolls.get() > 10, "polls before the read: " + waitingPolls.get());
    }

    @Test
    void aRunOfQuickRequestsIsServedByTheReaderAlone() {
        CountDownLatch done = new CountDownLatch(200);
        for (int i = 0; i < 200; i++) queue.add(new Request(GETATTR, done::countDown));
        start();
        await(done);
        assertEquals(1, servingThreads.size(), "served by " + servingThreads);
        assertEquals(1, workersMade.get(), "no second worker was needed");
    }

    /**
     * Queues a request of {@code opcode} that runs {@code first} and then blocks, and a GETATTR
     * behind it: the GETATTR must be served (by another worker) while the first still blocks.
     */
    private void assertServedBehind(int opcode, Runnable first, long stuckNanos) {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch firstMayEnd = new CountDownLatch(1);
        CountDownLatch nextServed = new CountDownLatch(1);
        queue.add(new Request(opcode, () -> {
            first.run();
            firstStarted.countDown();
            await(firstMayEnd);
        }));
        queue.add(new Request(GETATTR, nextServed::countDown));
        start(stuckNanos);
        await(nextServed);
        // The second worker may serve the GETATTR before the first has even begun its request.
        await(firstStarted);
        firstMayEnd.countDown();
        assertEquals(2, servingThreads.size());
    }

    @Test
    void aSlowRequestHandsTheReadingOnSoQuickOnesAreNotStuckBehindIt() {
        assertServedBehind(FSYNC, () -> { }, NEVER_STUCK);
    }

    @Test
    void aQuickRequestThatStartsLongWorkHandsTheReadingOn() {
        // As a chmod of a lower file does: SETATTR is quick until the copy-up starts.
        assertServedBehind(SETATTR, LongWork::starting, NEVER_STUCK);
    }

    @Test
    void aQuickRequestThatBlocksIsHandedOnByTheWatch() {
        // A lookup in a layer on a slow disk: quick by its opcode, it must not hold up the rest.
        assertServedBehind(GETATTR, () -> { }, WorkerPool.STUCK_NANOS);
    }

    /**
     * Runs {@code first} as a request of {@code opcode} with nothing queued behind it, then a
     * GETATTR queued once it is done: one worker serves both, and no other is started.
     */
    private void assertServedByTheReaderAlone(int opcode, Runnable first) {
        CountDownLatch firstDone = new CountDownLatch(1);
        CountDownLatch nextServed = new CountDownLatch(1);
        queue.add(new Request(opcode, () -> {
            first.run();
            firstDone.countDown();
        }));
        start();
        await(firstDone);
        queue.add(new Request(GETATTR, nextServed::countDown));
        await(nextServed);
        assertEquals(1, servingThreads.size(), "served by " + servingThreads);
        assertEquals(1, workersMade.get(), "no second worker was woken");
    }

    @Test
    void longWorkWithNoRequestWaitingKeepsTheReading() {
        // A cold READ for a lone `cat`: waking another worker to sit in read(2) gains nothing.
        assertServedByTheReaderAlone(SETATTR, LongWork::starting);
    }

    @Test
    void aSlowOpcodeWithNoRequestWaitingIsServedByTheReader() {
        assertServedByTheReaderAlone(FSYNC, () -> { });
    }

    @Test
    void aBlockedRequestIsHandedOnOnlyOnceAnotherArrives() throws InterruptedException {
        // A lookup stuck on a slow disk, nothing else to do: the watch leaves the reading with it
        // until a request comes, then hands it on within about a tick.
        CountDownLatch firstMayEnd = new CountDownLatch(1);
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch nextServed = new CountDownLatch(1);
        queue.add(new Request(GETATTR, () -> {
            firstStarted.countDown();
            await(firstMayEnd);
        }));
        start(WorkerPool.STUCK_NANOS);
        await(firstStarted);
        Thread.sleep(50); // dozens of ticks of the watch, each finding the request stuck
        assertEquals(1, workersMade.get(), "nothing was waiting, so no worker was woken");
        queue.add(new Request(GETATTR, nextServed::countDown));
        await(nextServed);
        firstMayEnd.countDown();
        assertEquals(2, servingThreads.size());
    }

    @Test
    void aWorkerBackFromASlowRequestTakesItsTurnAtReadingAgain() {
        // FSYNC, then quick ones: the pool keeps serving, whichever worker reads.
        CountDownLatch done = new CountDownLatch(50);
        queue.add(new Request(FSYNC, () -> { }));
        for (int i = 0; i < 50; i++) queue.add(new Request(GETATTR, done::countDown));
        start();
        await(done);
        assertTrue(workersMade.get() <= 2, workersMade.get() + " workers");
    }
}
