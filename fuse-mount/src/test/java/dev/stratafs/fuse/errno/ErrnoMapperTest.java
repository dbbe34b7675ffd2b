package dev.stratafs.fuse.errno;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ErrnoMapperTest {
    /** Linux numbers written out independently of {@link Errno} (errno(3), asm-generic). */
    private static final Map<ErrorKind, Integer> LINUX = new EnumMap<>(ErrorKind.class);

    static {
        LINUX.put(ErrorKind.NOT_FOUND, 2);
        LINUX.put(ErrorKind.EXISTS, 17);
        LINUX.put(ErrorKind.NOT_DIRECTORY, 20);
        LINUX.put(ErrorKind.IS_DIRECTORY, 21);
        LINUX.put(ErrorKind.NOT_EMPTY, 39);
        LINUX.put(ErrorKind.READ_ONLY, 30);
        LINUX.put(ErrorKind.NAME_TOO_LONG, 36);
        LINUX.put(ErrorKind.INVALID, 22);
        LINUX.put(ErrorKind.NOT_PERMITTED, 1);
        LINUX.put(ErrorKind.ACCESS_DENIED, 13);
        LINUX.put(ErrorKind.CROSS_DEVICE, 18);
        LINUX.put(ErrorKind.NO_SPACE, 28);
        LINUX.put(ErrorKind.QUOTA, 122);
        LINUX.put(ErrorKind.NO_ATTRIBUTE, 61);
        LINUX.put(ErrorKind.RANGE, 34);
        LINUX.put(ErrorKind.LOOP, 40);
        LINUX.put(ErrorKind.BAD_HANDLE, 9);
        LINUX.put(ErrorKind.BUSY, 16);
        LINUX.put(ErrorKind.TOO_MANY_LINKS, 31);
        LINUX.put(ErrorKind.FILE_TOO_BIG, 27);
        LINUX.put(ErrorKind.NOT_SUPPORTED, 95);
        LINUX.put(ErrorKind.NOT_IMPLEMENTED, 38);
        LINUX.put(ErrorKind.TOO_BIG, 7);
        LINUX.put(ErrorKind.TEXT_BUSY, 26);
        LINUX.put(ErrorKind.TRY_AGAIN, 11);
        LINUX.put(ErrorKind.INTERRUPTED, 4);
        LINUX.put(ErrorKind.STALE, 116);
        LINUX.put(ErrorKind.IO, 5);
    }

    @ParameterizedTest
    @EnumSource(ErrorKind.class)
    void everyErrorKindMapsToItsLinuxErrnoAndIsExpected(ErrorKind kind) {
        Integer want = LINUX.get(kind);
        assertTrue(want != null, "test table lacks " + kind);
        ErrnoMapper.Mapped m = ErrnoMapper.map(new FsException(kind, "op: /p"));
        assertEquals(want, m.errno(), kind.name());
        assertFalse(m.unexpected(), kind.name());
    }

    static Stream<Arguments> nioFailures() {
        return Stream.of(
                Arguments.of(new NoSuchFileException("/a"), 2),
                Arguments.of(new FileAlreadyExistsException("/a"), 17),
                Arguments.of(new DirectoryNotEmptyException("/a"), 39),
                Arguments.of(new NotDirectoryException("/a"), 20),
                Arguments.of(new AccessDeniedException("/a"), 13),
                Arguments.of(new FileSystemLoopException("/a"), 40),
                Arguments.of(new ClosedChannelException(), 9),
                Arguments.of(new IOException("No space left on device"), 28),
                Arguments.of(new FileSystemException("/a", null, "No space left on device"), 28),
                Arguments.of(new FileSystemException("/a", null, "Read-only file system"), 30),
                Arguments.of(new FileSystemException("/a", null, "Input/output error"), 5),
                Arguments.of(new IOException("something else"), 5),
                Arguments.of(new IOException((String) null), 5),
                Arguments.of(new UncheckedIOException(new NoSuchFileException("/a")), 2));
    }

    @ParameterizedTest
    @MethodSource("nioFailures")
    void nioFailureMapsByTypeAndIsExpected(Throwable t, int errno) {
        ErrnoMapper.Mapped m = ErrnoMapper.map(t);
        assertEquals(errno, m.errno(), t.toString());
        assertFalse(m.unexpected(), t.toString());
    }

    static Stream<Throwable> bugs() {
        return Stream.of(new NullPointerException(), new IllegalStateException("x"),
                new ArrayIndexOutOfBoundsException(3), new StackOverflowError(), new AssertionError("x"),
                new Exception("checked, not IO"));
    }

    @ParameterizedTest
    @MethodSource("bugs")
    void anythingElseIsEioAndUnexpected(Throwable t) {
        ErrnoMapper.Mapped m = ErrnoMapper.map(t);
        assertEquals(5, m.errno());
        assertTrue(m.unexpected());
    }

    @Test
    void errnoOfKindAgreesWithMap() {
        for (ErrorKind k : ErrorKind.values()) {
            assertEquals(ErrnoMapper.errno(new FsException(k, "x")), ErrnoMapper.errno(k), k.name());
        }
    }
}
