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
    void pathsAtPathMaxAreRefused() {
        String p = ("/" + "d".repeat(200)).repeat(21);
        assertEquals(ErrorKind.NAME_TOO_LONG, assertThrows(FsException.class, () -> FsPath.parse(p)).kind());
    }

    @Test
    void pathOf4095BytesBelowTheMountIsAccepted() throws FsException {
        // "/" + 15 components of 255 bytes joined by '/' + a final one: 4095 bytes without the leading slash
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 15; i++) sb.append('/').append("c".repeat(255));
        sb.append('/').append("e".repeat(4095 - 15 * 256));
        assertEquals(4095, sb.length() - 1);
        assertEquals(16, FsPath.parse(sb.toString()).depth());
        assertEquals(ErrorKind.NAME_TOO_LONG, assertThrows(FsException.class, () -> FsPath.parse(sb + "x")).kind());
    }

    @Test
    void startsWithComparesWholeComponents() throws FsException {
        assertTrue(FsPath.parse("/a/b").startsWith(FsPath.parse("/a")));
        assertTrue(!FsPath.parse("/ab").startsWith(FsPath.parse("/a")));
    }
}
