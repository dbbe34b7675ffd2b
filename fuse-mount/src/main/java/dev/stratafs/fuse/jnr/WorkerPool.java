package dev.stratafs.fuse.jnr;

import dev.stratafs.core.LongWork;
import dev.stratafs.fuse.errno.Errno;
import java.io.IOException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request loop of both engines ({@link FuseLoop} for libfuse 2, {@link Fuse3Loop} for
 * libfuse 3) on Java threads. libfuse's own loops run callbacks on native pthreads, and jffi
 * attaches such a thread to the JVM for every callback and detaches it afterwards (jnr-ffi issue
 * #125): a JVM thread start per request, which cost ~30x the filesystem's own work. Java threads
 * are attached for good.
 *
 * <p>One worker at a time reads /dev/fuse (it holds {@link #reader}) and answers what it reads
 * itself. It hands the reading on to another worker only when a request is waiting in the
 * kernel's queue (see {@link #waiting}) and the one in hand is not quick (see {@link #QUICK}) or
 * turns out long. The pool grows as libfuse's does (lib/fuse_loop_mt.c fuse_do_work): a new
 * worker whenever a request leaves none idle, and a worker leaves when more than
 * {@link #MAX_IDLE} are idle. Unlike libfuse's it is capped at {@link #MAX_WORKERS}; further
 * requests wait in the kernel's queue.
 */
final class WorkerPool {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);
    /** libfuse fuse_do_work: a worker ends when more than this many are idle. */
    static final int MAX_IDLE = 10;
    static final int MAX_WORKERS = 32;
    /** Tests and thread dumps know the workers of either engine by this prefix. */
    static final String WORKER_PREFIX = "stratafs-fuse-worker-";
    /**
     * fuse_kernel.h opcodes the worker reading /dev/fuse answers itself before it reads on: LOOKUP,
     * FORGET, GETATTR, SETATTR, READLINK, OPEN, READ, WRITE, STATFS, RELEASE, GETXATTR,
     * LISTXATTR, FLUSH, OPENDIR, RELEASEDIR, ACCESS, CREATE, INTERRUPT, BATCH_FORGET. Most take a
     * few syscalls on metadata or cached data; those that turn out long (a copy-up, an fsync, a
     * read from the disk) say so through {@link LongWork} and hand the reading on then, and
     * {@link #watch} hands it on for one still running after {@link #STUCK_NANOS}. A run of
     * requests from one client is thus served by one thread, as by a single-threaded daemon:
     * the kernel wakes the readers of /dev/fuse in FIFO order, so with every idle worker reading,
     * requests rotated over all of them, each woken cold (measured in docs/benchmarks.md). Any
     * other opcode hands the reading on first if a request is already waiting (a poll of
     * /dev/fuse, which quick ones are spared), and is otherwise served like a quick one.
     */
    private static final boolean[] QUICK = new boolean[64];

    static {
        for (int op : new int[] {1, 2, 3, 4, 5, 14, 15, 16, 17, 18, 22, 23, 25, 27, 29, 34, 35, 36, 42}) QUICK[op] = true;
    }

    /** One worker's side of the session. */
    interface Worker {
        /** Reads one request: its length, 0 once the session is over, or -errno. */
        int receive();

        /** The opcode of the request just received (struct fuse_in_header). */
        int opcode();

        /** Has libfuse process the request just received; replies go out before it returns. */
        void process(int length);

        /** Frees what the worker holds; on its own thread, once it leaves. */
        void close();
    }

    private final BooleanSupplier exited;
    private final Runnable exit;
    /**
     * Whether a request is waiting to be read (a poll of /dev/fuse). A quick request that turns
     * out long hands the reading on only then: waking another worker to sit in read(2) costs two
     * context switches and moves the next request to a cold thread, and with one client (a `cat`
     * waiting for its READ) nothing is gained by it. Measured on a cold read of every file: 116k
     * context switches instead of 72k (fuse-overlayfs 63k), 0.5 s more daemon CPU.
     */
    private final BooleanSupplier waiting;
    private final Supplier<Worker> newWorker;
    /** How long the reader polls for the next request before it blocks in read(2). */
    private final SpinWindow spin;
    private final boolean multithreaded;
    private final String name;
    // Guarded by this: running workers, how many of them wait for a request, names handed out.
    private int workers;
    private int idle;
    /** Held by the one worker that reads /dev/fuse (others wait here, not in the kernel's queue). */
    private final Semaphore reader = new Semaphore(1);
    /** The turn of the worker that last took the reading. */
    private volatile Turn current;
    private volatile Thread watcher;
    private volatile boolean watching = true;
    private volatile boolean watchAsleep;
    /** A quick request running this long hands the reading on (see {@link #watch}). */
    static final long STUCK_NANOS = 1_000_000;
    private final long stuckNanos;
    private int started;
    private volatile int error;

    /**
     * @param exited whether the engine's session has ended
     * @param exit ends the session (all workers leave)
     * @param newWorker per-thread state (a request buffer) for a new worker, made on its thread
     * @param waiting whether a request waits to be read; called on any thread, holding nothing
     * @param spin how long the reader polls {@code waiting} before it blocks in a read
     */
    WorkerPool(BooleanSupplier exited, Runnable exit, Supplier<Worker> newWorker, BooleanSupplier waiting,
               SpinWindow spin, boolean multithreaded, String name) {
        this(exited, exit, newWorker, waiting, spin, multithreaded, name, STUCK_NANOS);
    }

    /** As above, with the time after which a quick request hands the reading on (tests). */
    WorkerPool(BooleanSupplier exited, Runnable exit, Supplier<Worker> newWorker, BooleanSupplier waiting,
               SpinWindow spin, boolean multithreaded, String name, long stuckNanos) {
        this.spin = spin;
        this.stuckNanos = stuckNanos;
        this.exited = exited;
        this.exit = exit;
        this.waiting = waiting;
        this.newWorker = newWorker;
        this.multithreaded = multithreaded;
        this.name = name;
    }

    /**
     * Serves until the session ends and every worker is out (only then may the caller free the
     * session). Returns 0, or the -errno that ended the loop.
     */
    int serve() throws IOException {
        Thread watch = new Thread(this::watch, "stratafs-fuse-watch " + name);
        watch.setDaemon(true);
        watch.start();
        try {
            return awaitWorkers();
        } finally {
            watching = false;
            LockSupport.unpark(watch);
        }
    }

    private int awaitWorkers() throws IOException {
        synchronized (this) {
            startWorker();
            if (workers == 0) throw new IOException("could not start a FUSE worker thread");
            // Interrupts cannot end the loop early: the workers must be out before teardown.
            boolean interrupted = false;
            while (workers > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        return error;
    }

    /** Holding the monitor. */
    private void startWorker() {
        if (workers >= MAX_WORKERS) return;
        Thread t = new Thread(this::work, WORKER_PREFIX + (++started) + " " + name);
        // Like the loop thread: a forgotten mount must not keep the JVM alive.
        t.setDaemon(true);
        try {
            t.start();
        } catch (OutOfMemoryError e) {
            LOG.warn("cannot start another FUSE worker ({} running): {}", workers, e.toString());
            return;
        }
        workers++;
        idle++;
    }

    private void work() {
        Worker w = null;
        Turn turn = new Turn();
        boolean countedOut = false;
        try {
            w = newWorker.get();
            LongWork.listen(turn);
            turn.take();
            while (!exited.getAsBoolean()) {
                // Polls first while the client is likely to send again soon (SpinWindow): a
                // request read by a running thread costs the client no wake-up of ours.
                spin.await(waiting);
                int res = w.receive();
                spin.received();
                if (res == -Errno.EINTR || res == -Errno.EAGAIN) continue;
                if (res <= 0) {
                    // 0: unmounted (libfuse saw ENODEV and exited the session) or exited already.
                    if (res < 0 && res != -Errno.ENODEV) error = res;
                    exit.run();
                    break;
                }
                // Quick requests are answered by the reader, which then reads on (see QUICK); others
                // hand the reading on first if a request is waiting, and any request that turns
                // out long (LongWork, watch) hands it on once one is.
                if (quick(w.opcode()) || !waiting.getAsBoolean()) {
                    turn.busySince = System.nanoTime();
                    if (watchAsleep) LockSupport.unpark(watcher);
                } else {
                    turn.handOff();
                }
                try {
                    w.process(res);
                } finally {
                    turn.busySince = 0;
                    if (!turn.reading.get()) {
                        synchronized (this) {
                            idle++;
                            // Decided and counted out under one lock: two workers finishing together
                            // must not both see "too many idle" and leave the pool empty.
                            if (idle > MAX_IDLE) {
                                countedOut = true;
                                leave();
                            }
                        }
                    }
                }
                if (countedOut) return;
                if (!turn.reading.get()) turn.take();
            }
        } catch (Throwable t) {
            // A bug here (callbacks answer their own failures): end the loop rather than hang it.
            LOG.error("FUSE worker failed; ending the session", t);
            error = -Errno.EIO;
            exit.run();
        } finally {
            LongWork.listen(null);
            if (turn.reading.compareAndSet(true, false)) reader.release();
            if (w != null) w.close();
            if (!countedOut) {
                synchronized (this) {
                    leave();
                }
            }
        }
    }

    /** One worker's part in the reading: whether it is the reader, and handing that on. */
    private final class Turn implements LongWork.Listener {
        final AtomicBoolean reading = new AtomicBoolean();
        /** System.nanoTime() when the quick request being answered began; 0 between requests. */
        volatile long busySince;

        void take() {
            reader.acquireUninterruptibly();
            reading.set(true);
            current = this;
        }

        /** Long work matters only while this worker still holds the reading. */
        @Override
        public boolean listening() {
            return reading.get();
        }

        @Override
        public void starting() {
            if (reading.get() && waiting.getAsBoolean()) handOff();
        }

        /**
         * Before a request that is not quick, or once a quick one turns out long (it starts long
         * work, or {@link #watch} finds it still running), when a request is waiting: another
         * worker reads meanwhile. Once per turn, whoever calls it.
         */
        void handOff() {
            if (!reading.compareAndSet(true, false)) return;
            reader.release();
            synchronized (WorkerPool.this) {
                idle--;
                if (idle <= 0 && multithreaded && !exited.getAsBoolean()) startWorker();
            }
        }
    }

    /**
     * Hands the reading on for a quick request that is taking long ({@link #STUCK_NANOS}) once
     * another request is waiting: a lookup in a layer on a slow disk must not hold up every other
     * request, as it would in a single-threaded daemon. A request that arrives during long work
     * thus waits at most about one tick. Ticks while requests come; after a second without any it
     * sleeps until the next quick request wakes it.
     */
    private void watch() {
        watcher = Thread.currentThread();
        int quiet = 0;
        while (watching) {
            if (quiet >= 1_000_000_000L / stuckNanos) {
                watchAsleep = true;
                if (current == null || current.busySince == 0) LockSupport.park(this);
                watchAsleep = false;
                quiet = 0;
            }
            LockSupport.parkNanos(this, stuckNanos);
            Turn t = current;
            long since = t == null ? 0 : t.busySince;
            if (since == 0) {
                quiet++;
                continue;
            }
            quiet = 0;
            if (System.nanoTime() - since >= stuckNanos && t.busySince == since && t.reading.get()
                    && waiting.getAsBoolean()) {
                t.handOff();
            }
        }
    }

    /** Whether the reader answers {@code opcode} itself instead of handing the reading on first. */
    static boolean quick(int opcode) {
        return opcode >= 0 && opcode < QUICK.length && QUICK[opcode];
    }

    /** Holding the monitor: one idle worker leaves. */
    private void leave() {
        workers--;
        idle--;
        notifyAll();
    }
}
