package dev.stratafs.core.nat;

import dev.stratafs.core.nat.Natives;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.nat.NativeOs.CopyMethod;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** copyFile on ext4 (/tmp, no reflinks) and from tmpfs (/dev/shm) to ext4 (cross-device). */
class CopyFileTest {
    private static final long MIB = 1L << 20;
    private final NativeOs os = Natives.get();

    @TempDir(cleanup = CleanupMode.ALWAYS)
    Path dir;

    /*
     * src: 64 MiB sparse   [0,1 MiB) data | hole | [32 MiB, 33 MiB) data | hole to 64 MiB
     * dst: empty, same filesystem
     */
    @Test
    void sparseFileKeepsHolesAndBytes() throws Exception {
        Path src = sparse(dir.resolve("src"), 64 * MIB, 0, 32 * MIB);
        Path dst = dir.resolve("dst");
        CopyMethod m = copy(src, dst);
        assertEquals(CopyMethod.COPY_FILE_RANGE, m); // ext4: no FICLONE, same fs
        assertSameContentAndSparse(src, dst, 2 * MIB);
    }

    /*
     * src on tmpfs: 16 MiB sparse, data at [0,1 MiB) and [8 MiB, 9 MiB)
     * dst on ext4: copy_file_range across filesystems gives EXDEV (Linux >= 5.19) -> pread/pwrite
     */
    @Test
    void crossDeviceCopyFallsBackAndStillKeepsHoles() throws Exception {
        Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "stratafs-nat");
        try {
            Path src = sparse(shm.resolve("src"), 16 * MIB, 0, 8 * MIB);
            Path dst = dir.resolve("dst");
            CopyMethod m = copy(src, dst);
            assertNotEquals(CopyMethod.CLONE, m);
            if (kernelAtLeast(5, 19)) {
                // Since 5.19 copy_file_range refuses different filesystem types (EXDEV).
                assertEquals(CopyMethod.READ_WRITE, m);
            }
            assertSameContentAndSparse(src, dst, 2 * MIB);
        } finally {
            Files.deleteIfExists(shm.resolve("src"));
            Files.delete(shm);
        }
    }

    /* src: 3 GiB sparse, data at [0,1 MiB) and [2.5 GiB, 2.5 GiB + 1 MiB): offsets beyond 2^31 */
    @Test
    void fileLargerThanTwoGibCopiesDataBeyondIntOffsets() throws Exception {
        Path src = sparse(dir.resolve("src"), 3L << 30, 0, (5L << 30) / 2);
        Path dst = dir.resolve("dst");
        copy(src, dst);
        assertEquals(3L << 30, Files.size(dst));
        assertTrue(os.lstat(dst).blocks() * 512 <= 4 * MIB, "holes kept");
        try (RandomAccessFile a = new RandomAccessFile(src.toFile(), "r");
             RandomAccessFile b = new RandomAccessFile(dst.toFile(), "r")) {
            for (long at : new long[] {0, (5L << 30) / 2, (5L << 30) / 2 + MIB - 4096, (3L << 30) - 4096}) {
                byte[] x = new byte[4096];
                byte[] y = new byte[4096];
                a.seek(at);
                a.readFully(x);
                b.seek(at);
                b.readFully(y);
                assertEquals(java.util.Arrays.toString(x), java.util.Arrays.toString(y), "at " + at);
            }
        }
    }

    /* src: empty file; dst: empty */
    @Test
    void emptyFileCopiesToEmptyFile() throws Exception {
        Path src = Files.createFile(dir.resolve("src"));
        Path dst = dir.resolve("dst");
        copy(src, dst);
        assertEquals(0, Files.size(dst));
    }

    /*
     * src: 100 KiB with no holes ending mid-block; dst ends at exactly the source length, also
     * when the caller says the file is dense and skips FICLONE (one copy_file_range, no ftruncate)
     */
    @ParameterizedTest(name = "denseWithoutClone={0}")
    @ValueSource(booleans = {false, true})
    void denseFileWithUnalignedLengthCopiesExactly(boolean denseWithoutClone) throws Exception {
        byte[] data = new byte[100 * 1024 + 7];
        new Random(7).nextBytes(data);
        Path src = Files.write(dir.resolve("src"), data);
        Path dst = dir.resolve("dst");
        CopyMethod m = copy(src, dst, -1, !denseWithoutClone, denseWithoutClone);
        assertEquals(-1L, Files.mismatch(src, dst));
        if (denseWithoutClone) assertEquals(CopyMethod.COPY_FILE_RANGE, m);
    }

    /*
     * src: 4 KiB; copy with length 10 KiB extends dst with zeros (a hole) to the asked length,
     * with the hole search or without it (dense: the caller saw no holes)
     */
    @ParameterizedTest(name = "dense={0}")
    @ValueSource(booleans = {false, true})
    void destinationEndsAtRequestedLength(boolean dense) throws Exception {
        byte[] data = new byte[4096];
        new Random(3).nextBytes(data);
        Path src = Files.write(dir.resolve("src"), data);
        Path dst = dir.resolve("dst");
        copy(src, dst, 10240, true, dense);
        byte[] got = Files.readAllBytes(dst);
        assertEquals(10240, got.length);
        assertEquals(-1, java.util.Arrays.mismatch(data, java.util.Arrays.copyOf(got, 4096)));
        assertEquals(-1, java.util.Arrays.mismatch(new byte[6144], java.util.Arrays.copyOfRange(got, 4096, 10240)));
    }

    private static boolean kernelAtLeast(int major, int minor) {
        String[] v = System.getProperty("os.version").split("[.-]");
        int ma = Integer.parseInt(v[0]);
        int mi = Integer.parseInt(v[1]);
        return ma > major || (ma == major && mi >= minor);
    }

    private CopyMethod copy(Path src, Path dst) throws Exception {
        return copy(src, dst, -1, true, false);
    }

    /** copyFile of {@code src} into a new {@code dst}; length -1: the source's size. */
    private CopyMethod copy(Path src, Path dst, long length, boolean tryClone, boolean dense) throws Exception {
        int s = os.open(src, OpenFlags.O_RDONLY, 0);
        try {
            int d = os.open(dst, OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0644);
            try {
                return os.copyFile(s, d, length < 0 ? os.fstat(s).size() : length, tryClone, dense);
            } finally {
                os.close(d);
            }
        } finally {
            os.close(s);
        }
    }

    private static Path sparse(Path p, long size, long... dataAt) throws Exception {
        Random r = new Random(size);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(size);
            for (long at : dataAt) {
                byte[] chunk = new byte[(int) MIB];
                r.nextBytes(chunk);
                f.seek(at);
                f.write(chunk);
            }
        }
        return p;
    }

    private void assertSameContentAndSparse(Path src, Path dst, long dataBytes) throws Exception {
        assertEquals(Files.size(src), Files.size(dst));
        assertEquals(-1L, Files.mismatch(src, dst));
        long allocated = os.lstat(dst).blocks() * 512;
        // st_blocks counts 512-byte units; allow some slack for extent-tree blocks.
        assertTrue(allocated <= dataBytes + MIB, "dst allocates " + allocated + " bytes");
        assertTrue(allocated >= dataBytes, "dst allocates " + allocated + " bytes");
    }
}
