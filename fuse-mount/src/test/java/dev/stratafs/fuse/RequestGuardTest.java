package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.nio.file.NoSuchFileException;
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
}
