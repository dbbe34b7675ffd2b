package dev.stratafs.reliability;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads /proc/self/mountinfo without touching the mountpoint (a dead FUSE mount answers ENOTCONN). */
final class Mounts {
    private Mounts() {}

    /** The path mountinfo would show for p: its parent resolved, its own name kept. */
    static String shown(Path p) throws IOException {
        Path abs = p.toAbsolutePath().normalize();
        return abs.getParent().toRealPath().resolve(abs.getFileName()).toString();
    }

    static boolean fuseAt(Path p) throws IOException {
        return mountedAt(p, "fuse");
    }

    /** The FUSE connection number (the device minor in mountinfo) of the mount at p, or -1. */
    static int fuseConnection(Path p) throws IOException {
        String want = shown(p);
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length > 4 && dash > 0 && dash + 1 < f.length && unescape(f[4]).equals(want) && f[dash + 1].startsWith("fuse")) {
                return Integer.parseInt(f[2].substring(f[2].indexOf(':') + 1));
            }
        }
        return -1;
    }

    /**
     * Aborts a FUSE connection through fusectl: the way out when a killed daemon cannot finish
     * dying because one of its own threads waits on a request to its own mount.
     */
    static void abortConnection(int connection) {
        if (connection < 0) return;
        try {
            Files.writeString(Path.of("/sys/fs/fuse/connections/" + connection + "/abort"), "1");
        } catch (IOException gone) {
            // connection already gone
        }
    }

    /** True when a mount whose type starts with typePrefix sits at p. */
    static boolean mountedAt(Path p, String typePrefix) throws IOException {
        String want = shown(p);
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f.length > 4 && dash > 0 && dash + 1 < f.length && unescape(f[4]).equals(want) && f[dash + 1].startsWith(typePrefix)) {
                return true;
            }
        }
        return false;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** fusermount -uz, falling back to umount -l; waits until no FUSE mount is left at p. */
    static void lazyUnmount(Path p) throws Exception {
        for (int i = 0; i < 50 && fuseAt(p); i++) {
            Sh2.run(30, "fusermount", "-uz", p.toString());
            if (fuseAt(p)) Sh2.run(30, "umount", "-l", p.toString());
            if (fuseAt(p)) Thread.sleep(100);
        }
        if (fuseAt(p)) throw new AssertionError("could not unmount " + p);
    }
}
