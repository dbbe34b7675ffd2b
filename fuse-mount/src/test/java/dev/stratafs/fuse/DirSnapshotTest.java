package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.DirEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirSnapshotTest {
    private static final int DIR = 0040000;
    private static final int REG = 0100000;

    // /d (ino 10, parent ino 1): a (ino 11, file), été (ino 12, dir)
    private final DirSnapshot snap = DirSnapshot.of(10, 1, DIR,
            List.of(new DirEntry("a", 11, REG), new DirEntry("été", 12, DIR)));

    @Test
    void dotAndDotDotComeFirstWithTheirInodes() {
        assertEquals(4, snap.size());
        assertEquals(".", snap.name(0));
        assertEquals(10, snap.ino(0));
        assertEquals("..", snap.name(1));
        assertEquals(1, snap.ino(1));
        assertEquals(DIR, snap.type(1));
        assertEquals("a", snap.name(2));
        assertEquals(REG, snap.type(2));
    }

    @Test
    void namesAreNulTerminatedUtf8() {
        byte[] z = snap.nameZ(3);
        byte[] utf8 = "été".getBytes(StandardCharsets.UTF_8);
        assertEquals(utf8.length + 1, z.length);
        assertEquals(0, z[z.length - 1]);
        assertArrayEquals(utf8, java.util.Arrays.copyOf(z, utf8.length));
        assertEquals("été", snap.name(3));
    }

    @Test
    void resumingAtEachReturnedOffsetNeitherSkipsNorRepeats() {
        // Simulates the kernel reading one entry per readdir call.
        List<String> seen = new ArrayList<>();
        long offset = 0;
        while (true) {
            int i = snap.startIndex(offset);
            if (i >= snap.size()) break;
            seen.add(snap.name(i));
            offset = DirSnapshot.nextOffset(i);
        }
        assertEquals(List.of(".", "..", "a", "été"), seen);
    }

    @Test
    void offsetsPastTheEndYieldNothing() {
        assertEquals(4, snap.startIndex(4));
        assertEquals(4, snap.startIndex(Long.MAX_VALUE));
        assertEquals(0, snap.startIndex(-5));
    }
}
