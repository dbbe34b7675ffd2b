package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RequestGuardTest {
    private final RequestGuard guard = new RequestGuard();

    @Test
    void successPassesTheResultThrough() {
        assertEquals(17, guard.run("read", "/f", () -> 17));
    }

    @Test
    void coreFailureAnswersMinusItsErrno() {
        assertEquals(-2, guard.run("getattr", "/x", () -> {
            throw new FsException(ErrorKind.NOT_FOUND, "getattr: /x");
        }));
        assertEquals(-36, guard.run("mkdir", "/x", () -> {
            throw new FsException(ErrorKind.NAME_TOO_LONG, "mkdir");
        }));
        assertEquals(0, guard.unexpectedCount());
    }

    @Test
    void nioFailureAnswersMinusItsErrno() {
        assertEquals(-2, guard.run("open", "/x", () -> {
            throw new NoSuchFileException("/x");
        }));
    }

    @Test
    void bugsAnswerEioAndAreCountedNotThrown() {
        assertEquals(-5, guard.run("read", "/x", () -> {
            throw new IllegalStateException("bug");
        }));
        assertEquals(-5, guard.run("read", "/x", () -> {
            throw new OutOfMemoryError("simulated");
        }));
        assertEquals(-5, guard.run("read", "/x", () -> {
            throw new IllegalStateException("bug");
        }));
        assertEquals(3, guard.unexpectedCount());
    }

    // ---- requests that read a path a concurrent rename made stale (epoch = node names moved) ----

    @Test
    void aMissWhileNamesMovedRunsAgainWithTheNewPaths() {
        AtomicLong epoch = new AtomicLong();
        AtomicInteger runs = new AtomicInteger();
        RequestGuard g = new RequestGuard(epoch::get);
        int r = g.run("getattr", "node 5", () -> {
            if (runs.incrementAndGet() == 1) {
                epoch.incrementAndGet(); // a rename committed between reading the path and resolving it
                throw new FsException(ErrorKind.NOT_FOUND, "getattr: /old/f");
            }
            return 7;
        });
        assertEquals(7, r);
        assertEquals(2, runs.get());
    }

    @Test
    void aMissAnsweredAsAValueAlsoRunsAgain() {
        AtomicLong epoch = new AtomicLong();
        AtomicInteger runs = new AtomicInteger();
        int r = new RequestGuard(epoch::get).run("lookup", "f", () -> {
            if (runs.incrementAndGet() == 1) {
                epoch.incrementAndGet();
                return -2;
            }
            return 0;
        });
        assertEquals(0, r);
        assertEquals(2, runs.get());
    }

    @Test
    void aMissWhileNoNameMovedIsAnsweredAtOnce() {
        AtomicInteger runs = new AtomicInteger();
        int r = new RequestGuard(() -> 3).run("lookup", "f", () -> {
            runs.incrementAndGet();
            throw new FsException(ErrorKind.NOT_FOUND, "lookup: /f");
        });
        assertEquals(-2, r);
        assertEquals(1, runs.get());
    }

    @Test
    void otherFailuresWhileNamesMovedAreAnsweredAtOnce() {
        AtomicLong epoch = new AtomicLong();
        AtomicInteger runs = new AtomicInteger();
        int r = new RequestGuard(epoch::get).run("mkdir", "d", () -> {
            runs.incrementAndGet();
            epoch.incrementAndGet();
            throw new FsException(ErrorKind.EXISTS, "mkdir: /d");
        });
        assertEquals(-17, r);
        assertEquals(1, runs.get());
    }

    @Test
    void namesThatNeverStopMovingEndAfterMaxAttempts() {
        AtomicLong epoch = new AtomicLong();
        AtomicInteger runs = new AtomicInteger();
        int r = new RequestGuard(epoch::get).run("getattr", "node 5", () -> {
            runs.incrementAndGet();
            epoch.incrementAndGet();
            throw new FsException(ErrorKind.NOT_FOUND, "getattr: /f");
        });
        assertEquals(-2, r);
        assertEquals(RequestGuard.MAX_ATTEMPTS, runs.get());
    }
}
