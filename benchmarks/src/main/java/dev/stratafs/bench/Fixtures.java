package dev.stratafs.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds layer stacks on the host filesystem for the benchmarks. Everything lives under one
 * directory in /tmp (ext4 on the benchmark machine, so trusted xattrs and mknod whiteouts work
 * as root) and is removed at trial teardown.
 */
final class Fixtures {
    private Fixtures() {}

    /** A fresh directory under /tmp for one trial. */
    static Path newRoot(String what) throws IOException {
        Path base = Path.of(System.getProperty("stratafs.bench.tmp", "/tmp"));
        return Files.createTempDirectory(base, "stratafs-bench-" + what + "-");
    }

    /** Creates {@code n} empty lower layer directories root/l0 .. l(n-1), topmost first. */
    static List<Path> lowers(Path root, int n) throws IOException {
        List<Path> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(Files.createDirectories(root.resolve("l" + i)));
        return out;
    }

    static Path dir(Path root, String name) throws IOException {
        return Files.createDirectories(root.resolve(name));
    }

    /**
     * A one-byte file. Not empty on purpose: an empty regular file costs the resolver two extra
     * getxattr calls (it may be an xattr whiteout), which is measured separately.
     */
    static void small(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[] {'x'});
    }

    static void empty(Path p) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, new byte[0]);
    }

    /**
     * A kernel-format whiteout (char device 0/0, overlayfs.rst "whiteouts and opaque
     * directories"). Needs CAP_MKNOD: the benchmarks run as root.
     */
    static void whiteout(Path p) throws IOException, InterruptedException {
        Files.createDirectories(p.getParent());
        run("mknod", p.toString(), "c", "0", "0");
    }

    /** A file of {@code size} random bytes: no holes, so no copy can skip data. */
    static void randomFile(Path p, long size) throws IOException {
        Files.createDirectories(p.getParent());
        SplittableRandom rnd = new SplittableRandom(42);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(p)) {
            long left = size;
            while (left > 0) {
                for (int i = 0; i < buf.length; i += 8) {
                    long v = rnd.nextLong();
                    for (int j = 0; j < 8; j++) buf[i + j] = (byte) (v >>> (j * 8));
                }
                int n = (int) Math.min(left, buf.length);
                out.write(buf, 0, n);
                left -= n;
            }
        }
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        int rc = p.waitFor();
        if (rc != 0) throw new IOException(String.join(" ", cmd) + " exited with " + rc);
    }

    /** rm -rf without following symlinks. */
    static void deleteTree(Path root) throws IOException {
        if (root == null || !Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
