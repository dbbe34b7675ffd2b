package dev.stratafs.core.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FsPathTest {
    @Test
    void parseIgnoresRepeatedAndTrailingSlashes() throws FsException {
        FsPath p = FsPath.parse("//a///b/");
        assertEquals("a/b", p.relative());
        assertEquals("/a/b", p.toString());
        assertEquals(2, p.depth());
        assertEquals("b", p.fileName().value());
        assertEquals(FsPath.parse("/a"), p.parent());
    }

    @Test
    void slashAloneIsTheRoot() throws FsException {
        assertTrue(FsPath.parse("/").isRoot());
        assertEquals("", FsPath.parse("/").relative());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a/./b", "/a/../b", "/..", "/a/b\0c"})
    void dotComponentsAndNulAreInvalid(String s) {
        FsException e = assertThrows(FsException.class, () -> FsPath.parse(s));
        assertEquals(ErrorKind.INVALID, e.kind());
    }

    @Test
    void nameOf255BytesIsAcceptedAnd256Refused() throws FsException {
        assertEquals(255, Name.of("x".repeat(255)).value().length());
        assertEquals(ErrorKind.NAME_TOO_LONG, assertThrows(FsException.class, () -> Name.of("x".repeat(256))).kind());
    }

    @Test
    void multiByteNamesAreCountedInUtf8Bytes() {
        // 128 two-byte characters = 256 bytes
        assertEquals(ErrorKind.NAME_TOO_LONG, assertThrows(FsException.class, () -> Name.of("é".repeat(128))).kind());
    }

    @Test
    void pathsLongerThanPathMaxAreAcceptedBecauseOnlySyscallArgumentsAreBounded() throws FsException {
        // 40 components of 255 bytes: ~10 KiB below the mount, reachable by chdir'ing deep;
        // kernel overlayfs serves it, and so must we.
        String p = ("/" + "d".repeat(255)).repeat(40);
        assertEquals(40, FsPath.parse(p).depth());
        assertEquals(p, FsPath.parse(p).toString());
    }

    @Test
    void startsWithComparesWholeComponents() throws FsException {
        assertTrue(FsPath.parse("/a/b").startsWith(FsPath.parse("/a")));
        assertTrue(!FsPath.parse("/ab").startsWith(FsPath.parse("/a")));
    }
}
