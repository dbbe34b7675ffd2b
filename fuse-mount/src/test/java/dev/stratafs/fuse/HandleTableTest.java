package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class HandleTableTest {
    @Test
    void idsArePositiveAndNeverZero() {
        HandleTable<String> t = new HandleTable<>();
        long a = t.add("a");
        assertTrue(a > 0);
    }

    @Test
    void getReturnsWhatWasAdded() throws Exception {
        HandleTable<String> t = new HandleTable<>();
        String v = new String("v");
        long id = t.add(v);
        assertSame(v, t.get(id));
    }

    @Test
    void unknownIdIsBadHandle() {
        HandleTable<String> t = new HandleTable<>();
        FsException e = assertThrows(FsException.class, () -> t.get(42));
        assertEquals(ErrorKind.BAD_HANDLE, e.kind());
    }

    @Test
    void removedIdIsNotReusedSoAStaleHandleMisses() throws Exception {
        HandleTable<String> t = new HandleTable<>();
        long a = t.add("a");
        assertEquals("a", t.remove(a));
        long b = t.add("b");
        assertNotEquals(a, b);
        assertNull(t.find(a));
        assertNull(t.remove(a));
        assertEquals("b", t.get(b));
    }

    @Test
    void drainEmptiesTheTable() {
        HandleTable<String> t = new HandleTable<>();
        t.add("a");
        t.add("b");
        assertEquals(Set.of("a", "b"), new HashSet<>(t.drain()));
        assertEquals(0, t.size());
    }

    @Test
    void concurrentAddsGetDistinctIds() throws Exception {
        HandleTable<Integer> t = new HandleTable<>();
        Set<Long> ids = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> fs = new java.util.ArrayList<>();
            for (int w = 0; w < 4; w++) {
                fs.add(pool.submit(() -> {
                    for (int i = 0; i < 2000; i++) ids.add(t.add(i));
                }));
            }
            for (Future<?> f : fs) f.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(8000, ids.size());
        assertEquals(8000, t.size());
    }
}
