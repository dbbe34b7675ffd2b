package dev.stratafs.core.diff;

import dev.stratafs.core.nat.StatInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Compares two {@link TreeSnapshot}s and lists every difference by path, in words. What is
 * compared is chosen by {@link Rules}: merged views and upper directories need different ones.
 */
final class SnapshotDiff {
    /**
     * @param xattrFilter which xattr names take part
     * @param skip paths (with everything below) left out on both sides
     * @param recentSec mtimes at or after this second count as "set by the run": two such times
     *        are equal for the comparison, since each side wrote at its own moment
     * @param whiteoutsByTypeOnly for 0/0 char devices compare only the type (their mode and owner
     *        are bookkeeping of whoever wrote them)
     * @param comparePeers whether hard-link peer sets must match
     */
    record Rules(Predicate<String> xattrFilter, Set<String> skip, long recentSec,
                 boolean whiteoutsByTypeOnly, boolean comparePeers) {
        Rules withSkip(Set<String> more) {
            Set<String> s = new TreeSet<>(skip);
            s.addAll(more);
            return new Rules(xattrFilter, s, recentSec, whiteoutsByTypeOnly, comparePeers);
        }

        boolean skipped(String path) {
            for (String s : skip) {
                String r = s.startsWith("/") ? s.substring(1) : s;
                if (path.equals(r) || path.startsWith(r + "/")) return true;
            }
            return false;
        }
    }

    /** Merged views: every xattr the side lists (both must hide overlay-private ones themselves). */
    static Rules mergedView(long recentSec) {
        return new Rules(n -> true, Set.of(), recentSec, false, true);
    }

    /**
     * Upper directories on disk: the kernel's private bookkeeping (origin, impure, nlink, index
     * ... under trusted.overlay.*) and the core's own trusted.overlay.stratafs.* are ignored; the
     * opaque and metacopy marks are what the format defines, so they count (overlayfs.rst,
     * "whiteouts and opaque directories", "Metadata only copy up").
     */
    static Rules upperDir(long recentSec) {
        return new Rules(n -> !n.startsWith("trusted.overlay.") || n.equals("trusted.overlay.opaque")
                        || n.equals("trusted.overlay.metacopy"),
                Set.of(), recentSec, true, true);
    }

    private SnapshotDiff() {}

    /** Differences, one line each; empty when the trees agree. */
    static List<String> diff(TreeSnapshot a, TreeSnapshot b, Rules rules) {
        List<String> out = new ArrayList<>();
        for (String an : a.anomalies()) out.add(a.label() + " anomaly: " + an);
        for (String an : b.anomalies()) out.add(b.label() + " anomaly: " + an);
        SortedMap<String, Node> an = filter(a.nodes(), rules);
        SortedMap<String, Node> bn = filter(b.nodes(), rules);
        Map<String, SortedSet<String>> ap = a.peers();
        Map<String, SortedSet<String>> bp = b.peers();
        TreeSet<String> all = new TreeSet<>(an.keySet());
        all.addAll(bn.keySet());
        for (String p : all) {
            Node x = an.get(p);
            Node y = bn.get(p);
            String shown = "/" + p;
            if (x == null) {
                out.add(shown + ": only in " + b.label() + " (" + brief(y) + ")");
            } else if (y == null) {
                out.add(shown + ": only in " + a.label() + " (" + brief(x) + ")");
            } else {
                List<String> f = fields(x, y, rules);
                // The kernel links all its whiteouts to one shared inode (work/#whiteout, since 5.8):
                // bookkeeping, so whiteouts take no part in the hard-link comparison on disk.
                boolean whiteoutPeers = rules.whiteoutsByTypeOnly() && (x.isWhiteoutDevice() || y.isWhiteoutDevice());
                if (rules.comparePeers() && !x.isDir() && !whiteoutPeers) {
                    SortedSet<String> px = visible(ap.get(p), an, rules);
                    SortedSet<String> py = visible(bp.get(p), bn, rules);
                    if (!px.equals(py)) f.add("hard-link peers " + px + " vs " + py);
                }
                if (!f.isEmpty()) {
                    out.add(shown + ": " + String.join("; ", f) + "  [" + a.label() + " vs " + b.label() + "]");
                }
            }
        }
        return out;
    }

    private static SortedSet<String> visible(SortedSet<String> peers, SortedMap<String, Node> nodes, Rules rules) {
        SortedSet<String> s = new TreeSet<>();
        if (peers != null) {
            for (String p : peers) {
                Node n = nodes.get(p);
                if (n != null && !(rules.whiteoutsByTypeOnly() && n.isWhiteoutDevice())) s.add("/" + p);
            }
        }
        return s;
    }

    private static SortedMap<String, Node> filter(SortedMap<String, Node> nodes, Rules rules) {
        SortedMap<String, Node> m = new TreeMap<>();
        for (var e : nodes.entrySet()) {
            if (!rules.skipped(e.getKey())) m.put(e.getKey(), e.getValue());
        }
        return m;
    }

    private static String brief(Node n) {
        String s = Node.typeName(n.type());
        if (n.isRegular()) s += " " + n.content();
        if (n.linkTarget() != null) s += " -> " + n.linkTarget();
        return s;
    }

    private static List<String> fields(Node x, Node y, Rules rules) {
        List<String> f = new ArrayList<>();
        if (x.type() != y.type()) {
            f.add("type " + Node.typeName(x.type()) + " vs " + Node.typeName(y.type()));
            return f;
        }
        if (x.type() == StatInfo.S_IFCHR || x.type() == StatInfo.S_IFBLK) {
            if (x.rdev() != y.rdev()) f.add("rdev " + x.rdev() + " vs " + y.rdev());
            if (rules.whiteoutsByTypeOnly() && x.isWhiteoutDevice()) return f;
        }
        // Symlink permission bits are always 0777 on Linux and cannot change (symlink(7)).
        if (x.type() != StatInfo.S_IFLNK && x.perm() != y.perm()) {
            f.add(String.format("mode %04o vs %04o", x.perm(), y.perm()));
        }
        if (x.uid() != y.uid() || x.gid() != y.gid()) {
            f.add("owner " + x.uid() + ":" + x.gid() + " vs " + y.uid() + ":" + y.gid());
        }
        if (x.isRegular() && x.size() != y.size()) f.add("size " + x.size() + " vs " + y.size());
        if (!Objects.equals(x.content(), y.content())) f.add("content " + x.content() + " vs " + y.content());
        if (!Objects.equals(x.linkTarget(), y.linkTarget())) f.add("target " + x.linkTarget() + " vs " + y.linkTarget());
        if (!x.isDir() && x.nlink() != y.nlink()) f.add("nlink " + x.nlink() + " vs " + y.nlink());
        TreeMap<String, String> xa = xattrs(x, rules);
        TreeMap<String, String> ya = xattrs(y, rules);
        if (!xa.equals(ya)) f.add("xattrs " + xa + " vs " + ya);
        if (!x.isDir()) {
            String t = mtimes(x, y, rules.recentSec());
            if (t != null) f.add(t);
        }
        return f;
    }

    private static TreeMap<String, String> xattrs(Node n, Rules rules) {
        TreeMap<String, String> m = new TreeMap<>();
        n.xattrs().forEach((k, v) -> {
            if (rules.xattrFilter().test(k)) m.put(k, v);
        });
        return m;
    }

    /**
     * Both kept an old time exactly (fixtures and utimes use times long past), or both set
     * "now". Directory times are left out: they move with every entry change.
     */
    private static String mtimes(Node x, Node y, long recentSec) {
        boolean xr = x.mtimeSec() >= recentSec;
        boolean yr = y.mtimeSec() >= recentSec;
        if (xr && yr) return null;
        if (x.mtimeSec() == y.mtimeSec() && x.mtimeNsec() == y.mtimeNsec()) return null;
        return "mtime " + time(x, xr) + " vs " + time(y, yr);
    }

    private static String time(Node n, boolean recent) {
        return n.mtimeSec() + "." + String.format("%09d", n.mtimeNsec()) + (recent ? "(now)" : "");
    }
}
