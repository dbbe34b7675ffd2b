package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

class DirListingsTest {
    private static DirSnapshot listing() {
        return DirSnapshot.of(5, 1, 0040000, List.of());
    }

    @Test
    void aListingIsKeptUntilItsReadEnds() {
        DirListings l = new DirListings(4);
        DirSnapshot d = listing();
        l.put(7, d);
        assertSame(d, l.get(7));
        l.done(7);
        assertNull(l.get(7));
    }

    @Test
    void theLeastRecentlyReadListingLeavesWhenFull() {
        DirListings l = new DirListings(2);
        l.put(1, listing());
        l.put(2, listing());
        l.get(1);           // 2 is now the least recently used
        l.put(3, listing());
        assertEquals(2, l.size());
        assertNull(l.get(2));
        assertEquals(true, l.get(1) != null && l.get(3) != null);
    }
}
