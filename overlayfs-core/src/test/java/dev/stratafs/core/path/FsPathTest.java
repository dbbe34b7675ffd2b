package dev.stratafs.core.path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.nio.file.Path;
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

    @Test
    void theSameStringAgainGivesTheSameParseAndAnEqualStringAnEqualOne() throws FsException {
        String p = new String("/usr/lib/x.so");
        FsPath first = FsPath.parse(p);
        assertSame(first, FsPath.parse(p), "the string a node table keeps is parsed once");
        FsPath again = FsPath.parse(new String("/usr/lib/x.so"));
        assertEquals(first, again);
        assertEquals(first.names(), again.names());
    }

    @Test
    void aStringOfAnotherPathInTheSameCacheSlotParsesToItsOwnPath() throws FsException {
        // "Aa" and "BB" have the same String.hashCode: they share a slot.
        assertEquals(FsPath.parse("/Aa").hashCode(), FsPath.parse("/BB").hashCode());
        String aa = "/Aa";
        String bb = "/BB";
        assertEquals("Aa", FsPath.parse(aa).relative());
        assertEquals("BB", FsPath.parse(bb).relative());
        assertEquals("Aa", FsPath.parse(aa).relative());
    }

    @Test
    void aPathBelowTwoLayerRootsGivesEachItsOwnHostPath() throws FsException {
        FsPath p = FsPath.parse("/a/b");
        Path upper = Path.of("/u");
        Path lower = Path.of("/l0");
        assertEquals(Path.of("/u/a/b"), p.in(upper));
        assertSame(p.in(upper), p.in(upper), "one host path per layer while it is asked for");
        assertEquals(Path.of("/l0/a/b"), p.in(lower));
        assertEquals(Path.of("/u/a/b"), p.in(upper));
        assertSame(upper, FsPath.ROOT.in(upper));
        assertNotSame(p.in(lower), p.in(upper));
    }
}
