package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.DirEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
        assertEquals(REG, snap.type(snap.indexOf("a")));
        assertEquals(12, snap.ino(snap.indexOf("été")));
    }

    @Test
    void namesAreNulTerminatedUtf8() {
        byte[] z = snap.nameZ(snap.indexOf("été"));
        byte[] utf8 = "été".getBytes(StandardCharsets.UTF_8);
        assertEquals(utf8.length + 1, z.length);
        assertEquals(0, z[z.length - 1]);
        assertArrayEquals(utf8, java.util.Arrays.copyOf(z, utf8.length));
        assertEquals("été", snap.name(snap.indexOf("été")));
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
            offset = snap.nextOffset(i);
        }
        assertEquals(List.of(".", ".."), seen.subList(0, 2));
        assertEquals(Set.of("a", "été"), Set.copyOf(seen.subList(2, 4)));
        assertEquals(4, seen.size());
    }

    @Test
    void offsetsPastTheEndYieldNothing() {
        assertEquals(4, snap.startIndex(Long.MAX_VALUE));
        assertEquals(4, snap.startIndex(-5)); // 2^64 - 5 as the kernel's unsigned offset
        assertEquals(0, snap.startIndex(0));
    }

    @Test
    void aNewerListingResumesAnOlderOneWithoutSkippingOrRepeatingSurvivors() {
        // /d before: n0..n199; after reading part of it, n50..n99 are removed and x0..x99 added.
        List<DirEntry> before = new ArrayList<>(), after = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            before.add(new DirEntry("n" + i, 100 + i, REG));
            if (i < 50 || i >= 100) after.add(new DirEntry("n" + i, 100 + i, REG));
        }
        for (int i = 0; i < 100; i++) after.add(new DirEntry("x" + i, 1000 + i, REG));
        DirSnapshot old = DirSnapshot.of(10, 1, DIR, before), fresh = DirSnapshot.of(10, 1, DIR, after);
        for (int cut = 1; cut <= old.size(); cut += 7) {
            // The first `cut` entries came from the old listing; the rest from the new one.
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < cut; i++) seen.add(old.name(i));
            for (int i = fresh.startIndex(old.nextOffset(cut - 1)); i < fresh.size(); i++) seen.add(fresh.name(i));
            for (int i = 0; i < 200; i++) {
                if (i >= 50 && i < 100) continue;
                String n = "n" + i;
                assertEquals(1, seen.stream().filter(n::equals).count(), n + " seen once when resumed after " + cut);
            }
            assertEquals(seen.size(), Set.copyOf(seen).size(), "no repeats when resumed after " + cut);
        }
    }

    @Test
    void cookiesAreAboveDotDotAndStrictlyIncreasing() {
        List<DirEntry> many = new ArrayList<>();
        for (int i = 0; i < 5000; i++) many.add(new DirEntry("f" + i, i + 3, REG));
        DirSnapshot d = DirSnapshot.of(1, 1, DIR, many);
        assertEquals(1, d.nextOffset(0));
        assertEquals(2, d.nextOffset(1));
        for (int i = 2; i < d.size(); i++) {
            assertTrue(d.nextOffset(i) > d.nextOffset(i - 1), "cookie " + i);
            assertEquals(i + 1, d.startIndex(d.nextOffset(i)));
        }
    }
}
