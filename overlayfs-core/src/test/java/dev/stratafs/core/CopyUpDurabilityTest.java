package dev.stratafs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.nat.StatInfo;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How each copy-up waits for the disk before its rename, and that a crash after them leaves
 * no torn file either way. A copy that writes no bytes (a reflink, an empty file, a
 * metadata-only copy) waits for nothing where the upper keeps metadata in order, as the kernel
 * overlay's do not (fs/overlayfs/copy_up.c); written bytes are written out and waited for on
 * ext4 with a journal and xfs, fsync'ed elsewhere. Counted through the core's system calls, on
 * real filesystems in loop-mounted images. Fixture:
 * <pre>
 *   tmp/fs/            xfs (reflink=1), btrfs (its files on a device number of their own),
 *                      ext4 (journaled, no reflink) or ext2 (no journal: metadata in no order)
 *     lower/data       64 KiB of random bytes
 *     lower/empty      0 bytes
 *     lower/c0..c19    256 KiB of random bytes each (the crash tests)
 *     upper/  work/
 *   tmp/far/data       the same 64 KiB on the test's own filesystem (a lower that cannot be reflinked)
 *   tmp/far/s0..s3     1 MiB of random bytes each (the crash test with slow writes)
 * </pre>
 */
class CopyUpDurabilityTest {
    @TempDir Path tmp;
    private final List<Path> mounted = new ArrayList<>();
    private final AtomicInteger fsyncs = new AtomicInteger();
    private final AtomicInteger writeOuts = new AtomicInteger();
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
    void aReflinkedCopyWaitsForNothing(String type) throws Exception {
        Path root = filesystem(type);
        open(root.resolve("lower"), root, false).chmod("/data", 0600);

        assertWaits(0, 0);
        assertArrayEquals(data, Files.readAllBytes(root.resolve("upper/data")));
        assertTrue(output("filefrag", "-v", root.resolve("upper/data").toString()).contains("shared"),
                "the copy shares the lower file's blocks");
    }

    /* Copies without bytes: an empty file, and a metadata-only copy (its data stays below). */
    @ParameterizedTest(name = "{0}: {1}, metacopy {2}")
    @CsvSource({"xfs,/empty,false", "btrfs,/empty,false", "ext4,/empty,false",
                "xfs,/data,true", "btrfs,/data,true", "ext4,/data,true"})
    void aCopyWithoutBytesWaitsForNothing(String type, String path, boolean metacopy) throws Exception {
        Path root = filesystem(type);
        open(root.resolve("lower"), root, metacopy).chmod(path, 0600);

        assertWaits(0, 0);
        assertEquals(Files.size(root.resolve("lower" + path)), Files.size(root.resolve("upper" + path)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xfs", "ext4"})
    void copiedBytesAreWrittenOutAndWaitedForNotFsynced(String type) throws Exception {
        Path root = filesystem(type);
        // A lower on another filesystem cannot be reflinked: the bytes are written.
        open(farLower(), root, false).chmod("/data", 0600);

        assertWaits(0, 1);
        assertArrayEquals(data, Files.readAllBytes(root.resolve("upper/data")));
    }

    @Test
    void copiedBytesAreFsyncedOnBtrfs() throws Exception {
        Path root = filesystem("btrfs");
        open(farLower(), root, false).chmod("/data", 0600);

        assertWaits(1, 0);
        assertArrayEquals(data, Files.readAllBytes(root.resolve("upper/data")));
    }

    /* ext2 keeps nothing in order over a crash: copied bytes, an empty copy, a marked copy. */
    @ParameterizedTest(name = "{0}, metacopy {1}")
    @CsvSource({"/data,false", "/empty,false", "/data,true"})
    void everyCopyIsFsyncedOnAnUpperWithoutOrder(String path, boolean metacopy) throws Exception {
        Path root = filesystem("ext2");
        open(root.resolve("lower"), root, metacopy).chmod(path, 0600);

        assertWaits(1, 0);
    }

    @Test
    void nothingWaitsWhenTheMountIsVolatile() throws Exception {
        Path root = filesystem("ext4");
        open(farLower(), root, StackConfig.builder().fsync(false)).chmod("/data", 0600);

        assertWaits(0, 0);
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
        byte[][] content = lowerFiles(root.resolve("lower"), "c", 20, 256 << 10);
        open(root.resolve("lower"), root, metacopy);
        for (int i = 0; i < content.length; i++) fs.chmod("/c" + i, 0600);
        crash(root, type);

        assertEveryCopyWhole(root, root.resolve("lower"), "c", content, metacopy);
    }

    /*
     * The copies of tmp/far/s0..s3 are written while this JVM's writes to the test filesystem
     * go at 2 MiB/s, so that the bytes of a copy are still on their way well after the kernel
     * took them; then the commit and the power cut as above. A copy renamed before its bytes
     * were on the disk would read as zeros (an unwritten extent) or be empty: with the bytes
     * written out but not waited for, all of them do.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"xfs", "ext4"})
    void aCrashAfterCopyUpsWithSlowWritesLeavesEveryFileWhole(String type) throws Exception {
        Path root = filesystem(type);
        Path far = farLower();
        byte[][] content = lowerFiles(far, "s", 4, 1 << 20);
        open(far, root, false);
        StatInfo dev = Natives.get().lstat(root);
        try (SlowWrites slow = SlowWrites.to(StatInfo.major(dev.dev()) + ":" + StatInfo.minor(dev.dev()), 2 << 20)) {
            for (int i = 0; i < content.length; i++) fs.chmod("/s" + i, 0600);
            // The copies' bytes went through the slowed group: else this test would prove nothing.
            assertTrue(slow.bytesWritten() >= (long) content.length << 20, "written through the throttle: " + slow.bytesWritten());
        }
        assertWaits(0, content.length);
        crash(root, type);

        assertEveryCopyWhole(root, far, "s", content, false);
    }

    private void assertWaits(int fsync, int writeOut) {
        assertEquals(fsync, fsyncs.get(), "fsyncs");
        assertEquals(writeOut, writeOuts.get(), "write-outs (sync_file_range)");
    }

    /** {@code n} lower files PREFIX0.. of {@code size} random bytes in {@code dir}, on the disk. */
    private static byte[][] lowerFiles(Path dir, String prefix, int n, int size) throws Exception {
        byte[][] content = new byte[n][];
        for (int i = 0; i < n; i++) {
            content[i] = new byte[size];
            new Random(100 + i).nextBytes(content[i]);
            Files.write(dir.resolve(prefix + i), content[i]);
        }
        assertEquals(0, run("sync", "-f", dir.toString()));
        return content;
    }

    /**
     * Closes the stack, commits the journal through an unrelated file's fsync (every rename made
     * is in it), cuts the power and mounts the filesystem again.
     */
    private void crash(Path root, String type) throws Exception {
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
    }

    /** Each PREFIXi is in the upper (its rename was committed) and reads whole through a new stack. */
    private void assertEveryCopyWhole(Path root, Path lower, String prefix, byte[][] content, boolean marked) throws Exception {
        fs = OverlayFs.open(StackConfig.builder().lower(lower).upper(root.resolve("upper"), root.resolve("work")).build());
        for (int i = 0; i < content.length; i++) {
            String name = prefix + i;
            Path u = root.resolve("upper").resolve(name);
            assertTrue(Files.exists(u), "the committed rename of " + name);
            assertEquals(marked, Natives.get().getxattr(u, "trusted.overlay.metacopy") != null, name + " marked");
            assertEquals(0100600, fs.getattr("/" + name).mode());
            try (OpenFile f = fs.open("/" + name, NativeOs.OpenFlags.O_RDONLY, Caller.of(0, 0))) {
                byte[] b = new byte[content[i].length + 1];
                int n = f.read(b, 0, b.length, 0);
                assertArrayEquals(content[i], java.util.Arrays.copyOf(b, Math.max(n, 0)), name + " after the crash");
            }
        }
    }

    /** tmp/far/data: the fixture's 64 KiB on the test's own filesystem, which cannot reflink into the image. */
    private Path farLower() throws IOException {
        Path far = Files.createDirectories(tmp.resolve("far"));
        Files.write(far.resolve("data"), data);
        return far;
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

    /** Opens the stack; only the waits made after that count. */
    private OverlayFs open(Path lower, Path root, StackConfig.Builder b) throws IOException {
        fs = OverlayFs.open(b.lower(lower).upper(root.resolve("upper"), root.resolve("work")).build(), counting());
        fsyncs.set(0);
        writeOuts.set(0);
        return fs;
    }

    /** The core's system calls, with each fsync and each sync_file_range counted. */
    private NativeOs counting() {
        NativeOs real = Natives.get();
        return (NativeOs) Proxy.newProxyInstance(NativeOs.class.getClassLoader(), new Class<?>[] {NativeOs.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("fsync")) fsyncs.incrementAndGet();
                    if (m.getName().equals("writeOutAndWait")) writeOuts.incrementAndGet();
                    try {
                        return m.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /**
     * This JVM's writes to one block device slowed down, by a blkio cgroup (v1) or io.max (v2)
     * the process is moved into; moved back to its own cgroup at close.
     */
    static final class SlowWrites implements AutoCloseable {
        private final Path group;
        private final Path home;
        private final String majMin;

        private SlowWrites(Path group, Path home, String majMin) {
            this.group = group;
            this.home = home;
            this.majMin = majMin;
        }

        /**
         * Bytes written to the device by this group so far: v1 blkio.throttle.io_service_bytes
         * ("MAJ:MIN Write N"), v2 io.stat ("MAJ:MIN rbytes=.. wbytes=N ..").
         */
        long bytesWritten() throws IOException {
            Path v1 = group.resolve("blkio.throttle.io_service_bytes");
            for (String line : Files.readAllLines(Files.exists(v1) ? v1 : group.resolve("io.stat"))) {
                String[] f = line.split(" ");
                if (f.length < 2 || !f[0].equals(majMin)) continue;
                if (f.length == 3 && f[1].equals("Write")) return Long.parseLong(f[2]);
                for (String kv : f) if (kv.startsWith("wbytes=")) return Long.parseLong(kv.substring(7));
            }
            return 0;
        }

        static SlowWrites to(String majMin, long bytesPerSecond) throws IOException {
            String pid = Long.toString(ProcessHandle.current().pid());
            Path v1 = Path.of("/sys/fs/cgroup/blkio");
            Path v2 = Path.of("/sys/fs/cgroup");
            Path group;
            Path home;
            if (Files.exists(v1.resolve("blkio.throttle.write_bps_device"))) {
                home = v1.resolve(ownCgroup("blkio").substring(1));
                group = Files.createDirectories(v1.resolve("stratafs-slow-" + pid));
                Files.writeString(group.resolve("blkio.throttle.write_bps_device"), majMin + " " + bytesPerSecond);
            } else if (Files.exists(v2.resolve("cgroup.controllers"))
                    && Files.readString(v2.resolve("cgroup.controllers")).contains("io")) {
                home = v2.resolve(ownCgroup("").substring(1));
                Files.writeString(v2.resolve("cgroup.subtree_control"), "+io");
                group = Files.createDirectories(v2.resolve("stratafs-slow-" + pid));
                Files.writeString(group.resolve("io.max"), majMin + " wbps=" + bytesPerSecond);
            } else {
                Assumptions.abort("no blkio (cgroup v1) or io (cgroup v2) controller to slow the writes down with");
                throw new AssertionError();
            }
            Files.writeString(group.resolve("cgroup.procs"), pid);
            return new SlowWrites(group, home, majMin);
        }

        /** This process's cgroup path in hierarchy {@code controller} ("" for v2), from /proc/self/cgroup. */
        private static String ownCgroup(String controller) throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
                String[] f = line.split(":", 3);
                if (f.length == 3 && java.util.Arrays.asList(f[1].split(",")).contains(controller)) return f[2];
                if (f.length == 3 && controller.isEmpty() && f[1].isEmpty()) return f[2];
            }
            return "/";
        }

        @Override
        public void close() throws IOException {
            Files.writeString(home.resolve("cgroup.procs"), Long.toString(ProcessHandle.current().pid()));
            Files.delete(group);
        }
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
