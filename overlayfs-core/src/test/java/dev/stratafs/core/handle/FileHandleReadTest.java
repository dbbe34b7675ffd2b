package dev.stratafs.core.handle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How many reads a {@link FileHandle#readTo} makes: a handle on a lower file, whose size is
 * known at open and cannot change while mounted, stops at that size instead of asking once more
 * to find the end. Counted through a NativeOs that passes every call on.
 *
 * <pre>
 * dir/data   10,000 bytes of a pattern
 * </pre>
 */
class FileHandleReadTest {
    private static final int SIZE = 10_000;
    private final NativeOs real = Natives.get();
    private final AtomicInteger reads = new AtomicInteger();
    private final NativeOs counting = (NativeOs) Proxy.newProxyInstance(NativeOs.class.getClassLoader(),
            new Class<?>[] {NativeOs.class}, (proxy, m, args) -> {
                if (m.getName().startsWith("pread")) reads.incrementAndGet();
                try {
                    return m.invoke(real, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });

    @TempDir Path dir;
    byte[] pattern;
    int fd = -1;
    final Pointer buf = Memory.allocateDirect(Runtime.getSystemRuntime(), 8192);

    @BeforeEach
    void setUp() throws Exception {
        pattern = new byte[SIZE];
        for (int i = 0; i < SIZE; i++) pattern[i] = (byte) (i * 17);
        Path data = Files.write(dir.resolve("data"), pattern);
        fd = real.open(data, NativeOs.OpenFlags.O_RDONLY, 0);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (fd >= 0) real.close(fd);
    }

    private FileHandle handle(boolean onLower, long lowerSize) {
        return new FileHandle(counting, "/data", 1, fd, false, onLower, lowerSize, true, () -> 0L, h -> -1, h -> null);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        buf.get(0, b, 0, n);
        return b;
    }

    @Test
    void aLowerHandleReadsUpToTheKnownSizeInOneCall() throws Exception {
        FileHandle h = handle(true, SIZE);
        assertEquals(SIZE - 4096, h.readTo(buf.address(), 8192, 4096), "the kernel asks whole pages past the end");
        assertEquals(1, reads.get(), "no second read to find the end");
        assertArrayEquals(Arrays.copyOfRange(pattern, 4096, SIZE), bytes(SIZE - 4096));
        assertEquals(0, h.readTo(buf.address(), 8192, SIZE));
        assertEquals(0, h.readTo(buf.address(), 8192, SIZE + 5000));
        assertEquals(1, reads.get(), "at or past the end: no read at all");
    }

    @Test
    void aHandleWithoutAKnownSizeReadsOnUntilTheEnd() throws Exception {
        FileHandle h = handle(false, SIZE); // an upper handle: its file may grow
        assertEquals(SIZE - 4096, h.readTo(buf.address(), 8192, 4096));
        assertEquals(2, reads.get(), "the second read finds the end");
        assertArrayEquals(Arrays.copyOfRange(pattern, 4096, SIZE), bytes(SIZE - 4096));
    }
}
