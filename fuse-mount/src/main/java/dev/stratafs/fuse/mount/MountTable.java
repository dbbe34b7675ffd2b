package dev.stratafs.fuse.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The mounts of this process's mount namespace, from /proc/self/mountinfo (proc(5)). */
final class MountTable {
    static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** One mountinfo line: where, what type, from what, and the device (major:minor) of the superblock. */
    record Entry(String mountPoint, String fsType, String source, int major, int minor) {
        boolean isFuse() {
            return fsType.equals("fuse") || fsType.startsWith("fuse.") || fsType.equals("fuseblk") || fsType.startsWith("fuseblk.");
        }
    }

    private final List<Entry> entries;

    private MountTable(List<Entry> entries) {
        this.entries = entries;
    }

    static MountTable read() throws IOException {
        return parse(new String(Files.readAllBytes(MOUNTINFO), StandardCharsets.UTF_8));
    }

    static MountTable parse(String text) {
        List<Entry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) continue;
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 7 || dash < 0 || dash + 2 >= f.length) continue;
            String[] mm = f[2].split(":");
            int major = mm.length == 2 ? parseInt(mm[0]) : -1;
            int minor = mm.length == 2 ? parseInt(mm[1]) : -1;
            out.add(new Entry(unescape(f[4]), unescape(f[dash + 1]), unescape(f[dash + 2]), major, minor));
        }
        return new MountTable(out);
    }

    /** The topmost mount at {@code mountPoint} (later lines are mounted over earlier ones). */
    Optional<Entry> find(Path mountPoint) {
        String p = mountPoint.toString();
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).mountPoint().equals(p)) return Optional.of(entries.get(i));
        }
        return Optional.empty();
    }

    /** True when a FUSE filesystem is mounted at {@code mountPoint}. */
    boolean hasFuseAt(Path mountPoint) {
        return entries.stream().anyMatch(e -> e.mountPoint().equals(mountPoint.toString()) && e.isFuse());
    }

    List<Entry> entries() {
        return entries;
    }

    /** mountinfo writes space, tab, newline and backslash as \ooo octal escapes. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        byte[] src = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[src.length];
        int n = 0;
        for (int i = 0; i < src.length; i++) {
            if (src[i] == '\\' && i + 3 < src.length && isOctal(src[i + 1]) && isOctal(src[i + 2]) && isOctal(src[i + 3])) {
                out[n++] = (byte) (((src[i + 1] - '0') << 6) | ((src[i + 2] - '0') << 3) | (src[i + 3] - '0'));
                i += 3;
            } else {
                out[n++] = src[i];
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte b) {
        return b >= '0' && b <= '7';
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
