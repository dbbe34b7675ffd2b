package dev.stratafs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which copy-ups wait for the disk (fsync) before their rename, and that a crash after them
 * leaves no torn file either way. Written bytes always wait; a copy that writes none (a reflink,
 * an empty file, a metadata-only copy) does not where the upper writes metadata in order, as the
 * kernel overlay's do not (fs/overlayfs/copy_up.c). Counted through the core's system calls, on
 * real filesystems in loop-mounted images. Fixture:
 * <pre>
 *   tmp/fs/            xfs (reflink=1), btrfs (its files on a device number of their own),
 *                      ext4 (journaled, no reflink) or ext2 (no journal: metadata in no order)
 *     lower/data       64 KiB of random bytes
 *     lower/empty      0 bytes
 *     lower/c0..c19    256 KiB of random bytes each (the crash tests)
 *     upper/  work/
 *   tmp/far/data       the same 64 KiB on the test's own filesystem (a lower that cannot be reflinked)
 * </pre>
 */
class CopyUpDurabilityTest {
    @TempDir Path tmp;
    private final List<Path> mounted = new ArrayList<>();
    private final AtomicInteger fsyncs = new AtomicInteger();
    private byte[] data;
    private OverlayFs fs;

    @AfterEach
    void tearDown() throws Exception {
        if (fs != null) fs.close();
        for (Path m : mounted) {
            if (run("umount", m.toString()) != 0) run("umount", "-l", m.toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xfs", "btrfs"})
    void aReflinkedCopyIsNotFsynced(String type) throws Exception {
        Path root = filesystem(type);
        open(root.resolve("lower"), root, false).chmod("/data", 0600);

        assertEquals(0, fsyncs.get());
        assertArrayEquals(data, Files.readAllBytes(root.resolve("upper/data")));
        assertTrue(output("filefrag", "-v", root.resolve("upper/data").toString()).contains("shared"),
                "the copy shares the lower file's blocks");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xfs", "btrfs"})
    void anEmptyCopyIsNotFsynced(String type) throws Exception {
        Path root = filesystem(type);
        open(root.resolve("lower"), root, false).chmod("/empty", 0600);

        assertEquals(0, fsyncs.get());
        assertEquals(0, Files.size(root.resolve("upper/empty")));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xfs", "btrfs"})
    void aMetadataOnlyCopyIsNotFsynced(String type) throws Exception {
        Path root = filesystem(type);
        open(root.resolve("lower"), root, true).chmod("/data", 0600);

        assertEquals(0, fsyncs.get());
        assertEquals(data.length, Files.size(root.resolve("upper/data")));
    }

    @Test
    void copiedBytesAreFsyncedOnXfs() throws Exception {
        Path root = filesystem("xfs");
        Path far = Files.createDirectories(tmp.resolve("far"));
        Files.write(far.resolve("data"), data);
        // A lower on another filesystem cannot be reflinked: the bytes are written.
        open(far, root, false).chmod("/data", 0600);

        assertEquals(1, fsyncs.get());
        assertArrayEquals(data, Files.readAllBytes(root.resolve("upper/data")));
    }

    /*
     * chmod of lower/c0..c19 through the stack, then an fsync of an unrelated file commits the
     * journal with every rename in it, then the filesystem stops without writing anything more
     * (xfs_io shutdown, xfstests' stand-in for a power cut) and is mounted again. On xfs the
     * copies are reflinks, on ext4 written bytes; with metacopy, marked copies. Each file must
     * be there (its rename was committed) and read whole through a new stack.
     */
    @ParameterizedTest(name = "{0}, metacopy {1}")
    @CsvSource({"xfs,false", "xfs,true", "ext4,false", "ext4,true"})
    void aCrashAfterCopyUpsLeavesEveryFileWhole(String type, boolean metacopy) throws Exception {
        Path root = filesystem(type);
        Path lower = root.resolve("lower");
        byte[][] content = new byte[20][];
        for (int i = 0; i < content.length; i++) {
            content[i] = new byte[256 << 10];
            new Random(100 + i).nextBytes(content[i]);
            Files.write(lower.resolve("c" + i), content[i]);
        }
        assertEquals(0, run("sync", "-f", lower.toString()));
        open(lower, root, metacopy);
        for (int i = 0; i < content.length; i++) fs.chmod("/c" + i, 0600);
        fs.close();
        fs = null;
        try (FileChannel other = FileChannel.open(root.resolve("unrelated"), StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE)) {
            other.write(java.nio.ByteBuffer.wrap(new byte[] {1}));
            other.force(true);
        }
        assertEquals(0, run("xfs_io", "-x", "-c", "shutdown", root.toString()), "shut " + type + " down");
        assertEquals(0, run("umount", root.toString()));
        assertEquals(0, run("mount", "-o", "loop", tmp.resolve(type + ".img").toString(), root.toString()), "mount again");

        fs = OverlayFs.open(StackConfig.builder().lower(lower).upper(root.resolve("upper"), root.resolve("work")).build());
        for (int i = 0; i < content.length; i++) {
            Path u = root.resolve("upper/c" + i);
            assertTrue(Files.exists(u), "the committed rename of c" + i);
            assertEquals(metacopy, Natives.get().getxattr(u, "trusted.overlay.metacopy") != null, "c" + i + " marked");
            assertEquals(0100600, fs.getattr("/c" + i).mode());
            try (OpenFile f = fs.open("/c" + i, NativeOs.OpenFlags.O_RDONLY, Caller.of(0, 0))) {
                byte[] b = new byte[content[i].length + 1];
                int n = f.read(b, 0, b.length, 0);
                assertArrayEquals(content[i], java.util.Arrays.copyOf(b, Math.max(n, 0)), "c" + i + " after the crash");
            }
        }
    }

    @Test
    void anEmptyCopyIsFsyncedOnAnUpperWithoutMetadataOrder() throws Exception {
        Path root = filesystem("ext2");
        open(root.resolve("lower"), root, false).chmod("/empty", 0600);

        assertEquals(1, fsyncs.get());
    }

    @Test
    void aMetadataOnlyCopyIsFsyncedOnAnUpperWithoutMetadataOrder() throws Exception {
        Path root = filesystem("ext2");
        open(root.resolve("lower"), root, true).chmod("/data", 0600);

        assertEquals(1, fsyncs.get());
    }

    @Test
    void nothingIsFsyncedWhenTheMountIsVolatile() throws Exception {
        Path root = filesystem("ext2");
        open(root.resolve("lower"), root, StackConfig.builder().fsync(false)).chmod("/data", 0600);

        assertEquals(0, fsyncs.get());
    }

    /** A fresh filesystem of {@code type} in an image, mounted, with the fixture's lower, upper and work. */
    private Path filesystem(String type) throws Exception {
        Path img = tmp.resolve(type + ".img");
        Path mnt = Files.createDirectories(tmp.resolve("fs"));
        try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(512L << 20); // mkfs.xfs wants at least 300 MiB; sparse
        }
        List<String> mkfs = switch (type) {
            case "xfs" -> List.of("mkfs.xfs", "-q", "-f", "-m", "reflink=1", img.toString());
            case "btrfs" -> List.of("mkfs.btrfs", "-q", "-f", img.toString());
            case "ext4" -> List.of("mkfs.ext4", "-q", "-F", img.toString());
            default -> List.of("mkfs.ext2", "-q", "-F", img.toString());
        };
        assertEquals(0, run(mkfs.toArray(String[]::new)), "mkfs " + type + " (scripts/provision.sh installs it)");
        assertEquals(0, run("mount", "-o", "loop", img.toString(), mnt.toString()), "loop-mount the " + type + " image");
        mounted.add(mnt);
        Path lower = Files.createDirectories(mnt.resolve("lower"));
        Files.createDirectories(mnt.resolve("upper"));
        Files.createDirectories(mnt.resolve("work"));
        data = new byte[64 << 10];
        new Random(5).nextBytes(data);
        Files.write(lower.resolve("data"), data);
        Files.write(lower.resolve("empty"), new byte[0]);
        // The lower file's data on the disk, as an image's layers are long before a mount.
        assertEquals(0, run("sync", "-f", lower.resolve("data").toString()));
        return mnt;
    }

    private OverlayFs open(Path lower, Path root, boolean metacopy) throws IOException {
        return open(lower, root, StackConfig.builder().metacopy(metacopy));
    }

    /** Opens the stack; only the fsyncs made after that count. */
    private OverlayFs open(Path lower, Path root, StackConfig.Builder b) throws IOException {
        fs = OverlayFs.open(b.lower(lower).upper(root.resolve("upper"), root.resolve("work")).build(), counting());
        fsyncs.set(0);
        return fs;
    }

    /** The core's system calls, with each fsync counted. */
    private NativeOs counting() {
        NativeOs real = Natives.get();
        return (NativeOs) Proxy.newProxyInstance(NativeOs.class.getClassLoader(), new Class<?>[] {NativeOs.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("fsync")) fsyncs.incrementAndGet();
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static int run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", argv));
        }
        return p.exitValue();
    }

    private static String output(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", argv) + ": " + out);
        return out;
    }
}
