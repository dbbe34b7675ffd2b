package dev.stratafs.core.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stratafs.core.Caller;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads and writes straight to native memory by address (what the FUSE adapter does with its
 * request buffers), in place and through the staging defaults.
 */
class AddressIoTest {
    private static final Caller ROOT = Caller.of(0, 0);
    private final NativeOs os = Natives.get();

    @TempDir Path dir;

    private static Pointer buffer(int size) {
        return Memory.allocateDirect(Runtime.getSystemRuntime(), size);
    }

    private static String string(Pointer p, int off, int n) {
        byte[] b = new byte[n];
        p.get(off, b, 0, n);
        return new String(b, StandardCharsets.UTF_8);
    }

    /* dir/ f "0123456789" */
    @Test
    void preadAddressFillsTheBufferAndPwriteAddressWritesFromIt() throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "0123456789");
        int fd = os.open(f, OpenFlags.O_RDWR, 0);
        try {
            Pointer p = buffer(16);
            assertEquals(4, os.preadAddress(fd, p.address() + 2, 4, 3));
            assertEquals("3456", string(p, 2, 4));
            assertEquals(0, os.preadAddress(fd, p.address(), 4, 10), "end of file");
            p.put(0, "ab".getBytes(StandardCharsets.UTF_8), 0, 2);
            assertEquals(2, os.pwriteAddress(fd, p.address(), 2, 8));
        } finally {
            os.close(fd);
        }
        assertEquals("01234567ab", Files.readString(f));
    }

    /* dir/ f "0123456789"; a NativeOs with only the heap-array pread/pwrite (the defaults) */
    @Test
    void defaultAddressMethodsStageThroughTheHeapArrayCalls() throws Exception {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.isDefault()) return InvocationHandler.invokeDefault(proxy, m, args);
            try {
                return m.invoke(os, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        NativeOs staging = (NativeOs) Proxy.newProxyInstance(NativeOs.class.getClassLoader(), new Class<?>[] {NativeOs.class}, h);
        Path f = Files.writeString(dir.resolve("f"), "0123456789");
        int fd = staging.open(f, OpenFlags.O_RDWR, 0);
        try {
            Pointer p = buffer(8);
            assertEquals(3, staging.preadAddress(fd, p.address(), 3, 7));
            assertEquals("789", string(p, 0, 3));
            assertEquals(3, staging.pwriteAddress(fd, p.address(), 3, 0));
        } finally {
            staging.close(fd);
        }
        assertEquals("7893456789", Files.readString(f));
    }

    /** Writes {@code text} at {@code at} through a new handle on {@code path} opened with {@code flags}: a copy-up. */
    private static void writeThroughAnotherHandle(OverlayFs fs, String path, int flags, String text, long at) throws Exception {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        Pointer p = buffer(b.length);
        p.put(0, b, 0, b.length);
        try (OpenFile w = fs.open(path, flags, ROOT)) {
            assertEquals(b.length, w.writeFrom(p.address(), b.length, at));
        }
    }

    /** An overlay of {@code lower} (with {@code name} holding {@code content}) and an empty upper under dir. */
    private OverlayFs stackOf(Path lower, String name, String content) throws Exception {
        Files.writeString(lower.resolve(name), content);
        return OverlayFs.open(StackConfig.builder().lower(lower)
                .upper(Files.createDirectories(dir.resolve("upper")), Files.createDirectories(dir.resolve("work"))).build());
    }

    /*
     * lower/ only "lower data" (10 bytes); upper/ empty. A handle opened read-only on the lower
     * file, then another handle writes (copy-up), then a third appends: readTo through the first
     * sees the upper copy, and past the lower file's size once the copy grew.
     */
    @Test
    void readToOfHandleOpenedBeforeCopyUpSeesTheUpperCopyAndItsGrowth() throws Exception {
        OverlayFs fs = stackOf(Files.createDirectories(dir.resolve("lower")), "only", "lower data");
        try (OpenFile r = fs.open("/only", OpenFlags.O_RDONLY, ROOT)) {
            Pointer p = buffer(64);
            assertEquals(10, r.readTo(p.address(), 64, 0));
            assertEquals("lower data", string(p, 0, 10));
            assertEquals(0, r.readTo(p.address(), 64, 10), "the end of the lower file");
            writeThroughAnotherHandle(fs, "/only", OpenFlags.O_WRONLY, "UPPER", 0);
            Pointer q = buffer(64);
            assertEquals(10, r.readTo(q.address(), 64, 0));
            assertEquals("UPPER data", string(q, 0, 10));
            writeThroughAnotherHandle(fs, "/only", OpenFlags.O_WRONLY | OpenFlags.O_APPEND, " and more", 10);
            assertEquals(19, r.readTo(q.address(), 64, 0));
            assertEquals("UPPER data and more", string(q, 0, 19));
            FsException e = assertThrows(FsException.class, () -> r.writeFrom(q.address(), 1, 0));
            assertEquals(ErrorKind.BAD_HANDLE, e.kind(), "read-only handle");
        } finally {
            fs.close();
        }
    }

    /** Counts the long work a core call announces on this thread (the FUSE worker pool's role). */
    private static final class Announced implements dev.stratafs.core.LongWork.Listener {
        int count;

        @Override
        public boolean listening() {
            return true;
        }

        @Override
        public void starting() {
            count++;
        }
    }

    /* lower/ big (256 KiB of a byte pattern, fsynced, then evicted from the page cache); upper/ empty */
    @Test
    void readToAnnouncesAWaitForTheDiskOnlyWhenTheBytesAreNotCached() throws Exception {
        Path lower = Files.createDirectories(dir.resolve("lower"));
        byte[] pattern = new byte[256 * 1024];
        for (int i = 0; i < pattern.length; i++) pattern[i] = (byte) (i * 13);
        Path big = Files.write(lower.resolve("big"), pattern);
        int evict = os.open(big, OpenFlags.O_RDONLY, 0);
        try {
            os.fsync(evict);
            JnrNativeOsTest.Fadvise libc = jnr.ffi.LibraryLoader.create(JnrNativeOsTest.Fadvise.class).load("c");
            assertEquals(0, libc.posix_fadvise(evict, 0, 0, 4 /* POSIX_FADV_DONTNEED */));
        } finally {
            os.close(evict);
        }
        OverlayFs fs = OverlayFs.open(StackConfig.builder().lower(lower)
                .upper(Files.createDirectories(dir.resolve("upper")), Files.createDirectories(dir.resolve("work"))).build());
        Announced announced = new Announced();
        dev.stratafs.core.LongWork.listen(announced);
        try (OpenFile r = fs.open("/big", OpenFlags.O_RDONLY, ROOT)) {
            Pointer p = buffer(8192);
            assertEquals(8192, r.readTo(p.address(), 8192, 65536));
            assertEquals(1, announced.count, "not cached: announced before waiting");
            byte[] got = new byte[8192];
            p.get(0, got, 0, 8192);
            org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOfRange(pattern, 65536, 65536 + 8192), got);
            assertEquals(8192, r.readTo(p.address(), 8192, 65536));
            assertEquals(1, announced.count, "now cached: nothing to announce");
            assertEquals(100, r.readTo(p.address(), 8192, pattern.length - 100), "short at the end of the file");
            assertEquals(0, r.readTo(p.address(), 8192, pattern.length));
        } finally {
            dev.stratafs.core.LongWork.listen(null);
            fs.close();
        }
    }
}
