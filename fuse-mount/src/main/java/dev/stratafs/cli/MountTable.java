package dev.stratafs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads /proc/self/mountinfo (proc(5)): field 1 is the mount id, field 5 the mount point
 * (octal-escaped: \040 for a space); after the " - " separator come the filesystem type and
 * source. Of several mounts on one point the last line is the one on top.
 */
final class MountTable {
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** One mountinfo line, reduced to what we check. */
    record Entry(long id, String mountPoint, String fsType) {
        boolean isFuse() {
            return fsType.equals("fuse") || fsType.startsWith("fuse.");
        }
    }

    private MountTable() {}

    /** Mounts on {@code mountPoint}, bottom first; empty when /proc cannot be read. */
    static List<Entry> at(Path mountPoint) {
        try {
            return at(Files.readString(MOUNTINFO, StandardCharsets.UTF_8), mountPoint.toString());
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The mount on top of {@code mountPoint}, if any. */
    static Optional<Entry> top(Path mountPoint) {
        List<Entry> all = at(mountPoint);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    static boolean isFuseMountedAt(Path mountPoint) {
        return top(mountPoint).map(Entry::isFuse).orElse(false);
    }

    static List<Entry> at(String mountinfo, String mountPoint) {
        List<Entry> found = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            if (f.length < 7 || !unescape(f[4]).equals(mountPoint)) {
                continue;
            }
            for (int i = 6; i + 1 < f.length; i++) {
                if (f[i].equals("-")) {
                    found.add(new Entry(Long.parseLong(f[0]), mountPoint, f[i + 1]));
                    break;
                }
            }
        }
        return found;
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                out.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
