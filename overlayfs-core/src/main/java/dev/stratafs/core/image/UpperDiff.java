package dev.stratafs.core.image;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * `docker diff` for an overlay upper directory: A (added), C (changed), D (deleted), read from
 * the upper alone. Whiteouts in any format (0/0 device, `.wh.NAME`, zero-size file with the
 * overlay.whiteout xattr) are deletions. Whether a present entry is A or C needs the lower
 * layers: given them (an image), that is exact, and an opaque directory also reports the lower
 * children it hides as D; without them an entry counts as changed when the kernel recorded a
 * copy-up origin (trusted.overlay.origin) and as added otherwise.
 */
public final class UpperDiff {
    /** One line of output: kind 'A', 'C' or 'D' and the absolute path in the container. */
    public record Change(char kind, String path) {
        @Override
        public String toString() {
            return kind + " " + path;
        }
    }

    private final NativeOs os;
    private final dev.stratafs.core.whiteout.WhiteoutCodec codec;

    public UpperDiff(NativeOs os) {
        this.os = os;
        this.codec = new dev.stratafs.core.whiteout.WhiteoutCodec(os, false);
    }

    /** Changes of {@code upper} against nothing known below (heuristic A/C, see class comment). */
    public List<Change> diff(Path upper) throws IOException {
        return diff(upper, null);
    }

    /** Changes of {@code upper} over the merged lower layers {@code lowerBottomUp} (may be null). */
    public List<Change> diff(Path upper, List<Path> lowerBottomUp) throws IOException {
        Map<String, MergedView.Entry> lower = lowerBottomUp == null ? null
                : MergedView.of(os, lowerBottomUp).entries();
        List<Change> out = new ArrayList<>();
        walk(upper, "", lower, out);
        return out;
    }

    private void walk(Path dir, String rel, Map<String, MergedView.Entry> lower, List<Change> out) throws IOException {
        List<Path> kids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(kids::add);
        }
        kids.sort(null);
        for (Path c : kids) {
            String name = c.getFileName().toString();
            String r = rel.isEmpty() ? name : rel + "/" + name;
            StatInfo st = os.lstatOrNull(c);
            if (st == null || name.equals(LayerUnpacker.OPAQUE_MARKER)) {
                continue;
            }
            if (name.startsWith(LayerUnpacker.WH_PREFIX)) {
                String victim = rel.isEmpty() ? name.substring(4) : rel + "/" + name.substring(4);
                out.add(new Change('D', "/" + victim));
                continue;
            }
            if (isWhiteout(c, st)) {
                out.add(new Change('D', "/" + r));
                continue;
            }
            boolean existed = lower != null ? lower.containsKey(r)
                    : os.getxattr(c, "trusted.overlay.origin") != null;
            out.add(new Change(existed ? 'C' : 'A', "/" + r));
            if (st.isDirectory()) {
                if (lower != null && existed && isOpaque(c)) {
                    for (String l : lower.keySet()) {
                        if (l.startsWith(r + "/") && l.indexOf('/', r.length() + 1) < 0
                                && !Files.exists(c.resolve(l.substring(r.length() + 1)), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                            out.add(new Change('D', "/" + l));
                        }
                    }
                }
                walk(c, r, lower, out);
            }
        }
        if (rel.isEmpty()) {
            out.sort(java.util.Comparator.comparing(Change::path));
        }
    }

    /** Any whiteout format an upper may hold (uppers come from the kernel, fuse-overlayfs or us). */
    boolean isWhiteout(Path p, StatInfo st) throws IOException {
        return codec.isWhiteout(p, st, true);
    }

    boolean isOpaque(Path dir) throws IOException {
        return codec.isOpaque(dir);
    }
}
