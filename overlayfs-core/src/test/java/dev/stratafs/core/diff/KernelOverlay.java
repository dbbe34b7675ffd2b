package dev.stratafs.core.diff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Mounts and unmounts kernel overlays with mount(8)/umount(8). Lower paths are passed relative
 * to a working directory so that deep stacks stay within the one page mount(2) takes as data.
 */
final class KernelOverlay implements AutoCloseable {
    private static Boolean available;
    private static String unavailableReason = "";

    private final Path mountPoint;
    private boolean mounted;

    private KernelOverlay(Path mountPoint) {
        this.mountPoint = mountPoint;
        this.mounted = true;
    }

    Path mountPoint() {
        return mountPoint;
    }

    /** Whether we are root and a trivial overlay mounts here; probed once. */
    static synchronized boolean available() {
        if (available == null) {
            available = probe();
        }
        return available;
    }

    static String unavailableReason() {
        return unavailableReason;
    }

    private static boolean probe() {
        Cmd.Result id = Cmd.run(List.of("id", "-u"));
        if (!id.ok() || !id.out().strip().equals("0")) {
            unavailableReason = "not root (id -u = " + id.out().strip() + ")";
            return false;
        }
        try {
            Path base = Files.createTempDirectory(Path.of("/tmp"), "stratafs-probe-");
            for (String d : List.of("l", "u", "w", "m")) Files.createDirectory(base.resolve(d));
            try (KernelOverlay m = mount(base, List.of(Path.of("l")), base.resolve("u"), base.resolve("w"),
                    base.resolve("m"), List.of())) {
                // mounted: the kernel overlay is usable
            } catch (IllegalStateException e) {
                unavailableReason = "mount -t overlay failed: " + e.getMessage();
                return false;
            } finally {
                Cmd.run(List.of("rm", "-rf", "--", base.toString()));
            }
            return true;
        } catch (IOException e) {
            unavailableReason = "cannot prepare probe: " + e;
            return false;
        }
    }

    /**
     * mount -t overlay overlay -o lowerdir=L1:L2...,upperdir=U,workdir=W MNT (upper may be null
     * for a read-only stack). Throws IllegalStateException with mount's message on failure.
     */
    static KernelOverlay mount(Path cwd, List<Path> lowers, Path upper, Path work, Path mnt, List<String> options) {
        String lowerdir = lowers.stream().map(p -> rel(cwd, p)).collect(Collectors.joining(":"));
        List<String> opts = new ArrayList<>();
        opts.add("lowerdir=" + lowerdir);
        if (upper != null) {
            opts.add("upperdir=" + rel(cwd, upper));
            opts.add("workdir=" + rel(cwd, work));
        }
        opts.addAll(options);
        String data = String.join(",", opts);
        if (data.length() >= 4096) {
            throw new IllegalArgumentException("mount data longer than a page (" + data.length() + " bytes)");
        }
        Cmd.Result r = Cmd.run(cwd, List.of("mount", "-t", "overlay", "overlay", "-o", data, mnt.toString()));
        if (!r.ok()) {
            Cmd.Result dmesg = Cmd.run(List.of("sh", "-c", "dmesg 2>/dev/null | grep -i overlay | tail -3"));
            throw new IllegalStateException(r.err().strip() + " " + dmesg.out().strip());
        }
        return new KernelOverlay(mnt);
    }

    private static String rel(Path cwd, Path p) {
        return p.isAbsolute() ? cwd.relativize(p).toString() : p.toString();
    }

    /** Unmounts; falls back to a lazy unmount so a test never leaves a busy mount behind. */
    @Override
    public void close() {
        if (!mounted) return;
        Cmd.Result r = Cmd.run(List.of("umount", mountPoint.toString()));
        if (!r.ok()) {
            Cmd.Result lazy = Cmd.run(List.of("umount", "-l", mountPoint.toString()));
            if (!lazy.ok()) {
                throw new IllegalStateException("cannot unmount " + mountPoint + ": " + r.err() + lazy.err());
            }
        }
        mounted = false;
    }

    /** Whether anything at or below dir is still a mount point (then it must not be deleted). */
    static boolean anythingMountedUnder(Path dir) {
        try {
            String prefix = dir.toRealPath().toString();
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 1 && (f[1].equals(prefix) || f[1].startsWith(prefix + "/"))) return true;
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
