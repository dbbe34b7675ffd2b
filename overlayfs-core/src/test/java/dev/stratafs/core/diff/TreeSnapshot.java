package dev.stratafs.core.diff;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A whole tree as one side saw it: relative path ("" is the root, "a/b" below it) to {@link Node},
 * plus the side's own consistency complaints (for example a readdir d_ino that getattr denies).
 */
final class TreeSnapshot {
    private final String label;
    private final SortedMap<String, Node> nodes;
    private final List<String> anomalies;

    TreeSnapshot(String label, Map<String, Node> nodes, List<String> anomalies) {
        this.label = label;
        this.nodes = Collections.unmodifiableSortedMap(new TreeMap<>(nodes));
        this.anomalies = List.copyOf(anomalies);
    }

    String label() {
        return label;
    }

    SortedMap<String, Node> nodes() {
        return nodes;
    }

    List<String> anomalies() {
        return anomalies;
    }

    /**
     * Other paths of this tree that are the same object (same st_ino); empty for most. The
     * hard-link structure, not the inode numbers, is what two sides can agree on.
     */
    Map<String, SortedSet<String>> peers() {
        Map<Long, List<String>> byIno = new HashMap<>();
        for (Node n : nodes.values()) {
            byIno.computeIfAbsent(n.ino(), k -> new ArrayList<>()).add(n.path());
        }
        Map<String, SortedSet<String>> out = new HashMap<>();
        for (Node n : nodes.values()) {
            SortedSet<String> s = new TreeSet<>(byIno.get(n.ino()));
            s.remove(n.path());
            out.put(n.path(), s);
        }
        return out;
    }

    /** A text listing for failure messages. */
    String render() {
        StringBuilder sb = new StringBuilder();
        for (Node n : nodes.values()) {
            sb.append("    /").append(n.path()).append(' ').append(Node.typeName(n.type()))
                    .append(' ').append(String.format("%04o", n.perm()))
                    .append(' ').append(n.uid()).append(':').append(n.gid());
            if (n.isRegular()) sb.append(' ').append(n.content());
            if (n.linkTarget() != null) sb.append(" -> ").append(n.linkTarget());
            if (!n.xattrs().isEmpty()) sb.append(' ').append(n.xattrs());
            sb.append('\n');
        }
        return sb.toString();
    }
}
