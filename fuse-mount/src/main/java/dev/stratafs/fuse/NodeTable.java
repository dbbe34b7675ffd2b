package dev.stratafs.fuse;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node ids the kernel knows for a low-level FUSE mount, and the merged-view path behind each.
 *
 * <p>One node per inode (keyed by the core's stable st_ino): hard links answer the same node id,
 * so the kernel keeps one inode for them and a change made through one name shows through the
 * others at once (libfuse's high-level API instead gives each name its own kernel inode). A node
 * remembers every name it was seen under (its links); its path is that of its first link,
 * computed from the parent chain, so that renaming a directory moves its whole subtree.
 *
 * <p>Lookup counts follow fuse_lowlevel.h: every successful entry reply (lookup, mknod, mkdir,
 * symlink, link, create, and each readdirplus entry other than "." and "..") adds one; FORGET and
 * BATCH_FORGET subtract what the kernel says. A node lives until its count drops to zero, also
 * after its last name is gone (a file unlinked while open); the root (id 1) is never forgotten.
 * Node ids are never reused, so generation numbers can stay 0. Thread safe (one monitor).
 */
public final class NodeTable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeTable.class);
    /** FUSE_ROOT_ID (fuse_kernel.h). */
    public static final long ROOT_ID = 1;

    private static final class Node {
        final long id;
        final long ino;
        final boolean dir;
        long lookups;
        /** Made by O_TMPFILE: never had a name. */
        boolean tmpfile;
        /** The names this node is known under; the first gives its path. Empty once unlinked. */
        final List<Link> links = new ArrayList<>(1);
        /** {@link #pathOf} as of {@link #pathGen} (every request asks for a path: build it once). */
        String path;
        long pathGen = -1;

        Node(long id, long ino, boolean dir) {
            this.id = id;
            this.ino = ino;
            this.dir = dir;
        }
    }

    private record Link(Node parent, String name) {}

    /**
     * A (parent node, name) pair. equals and hashCode are written out: a record's own go through
     * invokedynamic (java.lang.runtime.ObjectMethods), whose first call spins method handles for
     * ~13 ms, which the first LOOKUP of every mount paid, and which C1 does not inline after.
     */
    private record Key(long parent, String name) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.parent == parent && k.name.equals(name);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(parent) * 31 + name.hashCode();
        }
    }

    private final HashMap<Long, Node> byId = new HashMap<>();
    private final HashMap<Long, Node> byIno = new HashMap<>();
    private final HashMap<Key, Node> byName = new HashMap<>();
    private final Node root;
    private long nextId = ROOT_ID + 1;
    /** Bumped whenever an existing node's names change, which may move any path below it. */
    private long linksGen;
    /** {@link #linksGen}, readable without the lock. */
    private volatile long namesEpoch;

    /**
     * The root is known without its inode number: asking the filesystem at construction would
     * make a mount whose root does not answer hang before it is even mounted. No other name
     * can lead to the root, so it needs no entry by inode.
     */
    public NodeTable() {
        root = new Node(ROOT_ID, -1, true);
        root.lookups = 1;
        byId.put(ROOT_ID, root);
    }

    /**
     * Records a successful entry reply for {@code name} in {@code parent} naming the object with
     * inode {@code ino}; returns the node id to answer and counts one lookup on it.
     */
    public synchronized long lookedUp(long parent, String name, long ino, boolean dir) throws FsException {
        Node p = node(parent);
        Key key = new Key(parent, name);
        Node n = byName.get(key);
        if (n != null && (n.ino != ino || n.dir != dir)) {
            // Another object now has this name (replaced behind the kernel's back): detach the old one.
            unlinkKey(key);
            n = null;
        }
        if (n == null) {
            n = byIno.get(ino);
            // A node without names may be an unlinked file whose inode number the layer reused: never join it.
            if (n == null || n.dir != dir || n.links.isEmpty()) {
                n = new Node(nextId++, ino, dir);
                byId.put(n.id, n);
                byIno.put(ino, n);
            } else if (dir) {
                linksGen++;
                // A directory has one name: it can only have moved.
                for (Link l : n.links) byName.remove(new Key(l.parent.id, l.name), n);
                n.links.clear();
            }
            n.links.add(new Link(p, name));
            byName.put(key, n);
        }
        n.lookups++;
        return n.id;
    }

    /**
     * Records the entry reply of an O_TMPFILE file (inode {@code ino}): a node without a name, as
     * an unlinked file's; returns its id and counts one lookup on it.
     */
    public synchronized long tmpfile(long ino) {
        Node n = new Node(nextId++, ino, false);
        n.tmpfile = true;
        byId.put(n.id, n);
        byIno.put(ino, n);
        n.lookups++;
        return n.id;
    }

    /** Whether {@code id} is an O_TMPFILE file that was never given a name. */
    public synchronized boolean isTmpfile(long id) {
        Node n = byId.get(id);
        return n != null && n.tmpfile && n.links.isEmpty();
    }

    /**
     * FORGET: the kernel dropped {@code count} lookups of {@code id}. Unknown ids are ignored.
     * Returns the inode number of a node that went, or -1.
     */
    public synchronized long forget(long id, long count) {
        Node n = byId.get(id);
        if (n == null || n == root) return -1;
        n.lookups -= count;
        if (n.lookups > 0) return -1;
        byId.remove(id);
        byIno.remove(n.ino, n);
        // The links stay on the node: a child still alive can compute its path through them.
        for (Link l : n.links) byName.remove(new Key(l.parent.id, l.name), n);
        return n.ino;
    }

    /** The merged-view path of {@code id}, or null once it has no name left (unlinked, or below a removed directory). */
    public synchronized String path(long id) throws FsException {
        return pathOf(node(id));
    }

    /** The path of {@code name} in directory {@code parent}; NOT_FOUND when the directory has no name left. */
    public synchronized String childPath(long parent, String name) throws FsException {
        String p = pathOf(node(parent));
        if (p == null) throw new FsException(ErrorKind.NOT_FOUND, "directory was removed: node " + parent);
        return join(p, name);
    }

    /** The path of {@code name} in the directory at path {@code dir} ("/" or "/a/b"). */
    public static String join(String dir, String name) {
        return dir.length() == 1 ? "/" + name : dir + "/" + name;
    }

    /** The inode number behind {@code id}. */
    public synchronized long ino(long id) throws FsException {
        return node(id).ino;
    }

    /** Whether {@code id} is a directory. */
    public synchronized boolean isDirectory(long id) throws FsException {
        return node(id).dir;
    }

    /** Whether {@code id} is the object with inode {@code ino} (the root, whose number is not kept, always is). */
    public synchronized boolean isIno(long id, long ino) throws FsException {
        Node n = node(id);
        return n == root || n.ino == ino;
    }

    /** The node id known for {@code ino}, or 0. */
    public synchronized long idOfIno(long ino) {
        Node n = byIno.get(ino);
        return n == null ? 0 : n.id;
    }

    /** unlink/rmdir of {@code name} in {@code parent} succeeded: the node loses that name (and lives on while looked up). */
    public synchronized void unlinked(long parent, String name) {
        unlinkKey(new Key(parent, name));
    }

    /**
     * rename(2) succeeded: the node named {@code fromName} now has {@code toName} (its subtree
     * follows, paths being computed); a node that was at the target loses that name, unless
     * {@code exchange} (RENAME_EXCHANGE), which swaps the two.
     */
    public synchronized void renamed(long fromParent, String fromName, long toParent, String toName, boolean exchange)
            throws FsException {
        Key from = new Key(fromParent, fromName);
        Key to = new Key(toParent, toName);
        if (from.equals(to)) return;
        Node src = byName.get(from);
        Node dst = byName.get(to);
        // Two links of one file: rename(2) does nothing (and succeeds).
        if (src != null && src == dst && !exchange) return;
        if (exchange) {
            if (src != null) relink(src, from, to);
            if (dst != null) relink(dst, to, from);
            byName.remove(from);
            byName.remove(to);
            if (src != null) byName.put(to, src);
            if (dst != null) byName.put(from, dst);
            return;
        }
        if (dst != null) unlinkKey(to);
        if (src != null) {
            relink(src, from, to);
            byName.remove(from);
            byName.put(to, src);
        }
    }

    /** {@link #renamed} for a rename that has already taken effect: a table mismatch is logged, not thrown. */
    public void renamedQuietly(long fromParent, String fromName, long toParent, String toName, boolean exchange) {
        try {
            renamed(fromParent, fromName, toParent, toName, exchange);
        } catch (FsException e) {
            LOG.warn("node table could not follow the rename of {} in node {} to {} in node {}: {}",
                    fromName, fromParent, toName, toParent, e.getMessage());
        }
    }

    /**
     * Changes whenever a name in the table moves or goes: a request that read a path and then
     * found nothing there compares it with the value from before it read the path.
     */
    public long namesEpoch() {
        return namesEpoch;
    }

    /** How many lookups the kernel holds on {@code id} (0 when unknown); for tests and diagnostics. */
    public synchronized long lookups(long id) {
        Node n = byId.get(id);
        return n == null ? 0 : n.lookups;
    }

    /** Nodes known, the root included. */
    public synchronized int size() {
        return byId.size();
    }

    private void relink(Node n, Key from, Key to) throws FsException {
        namesEpoch = ++linksGen;
        Node newParent = node(to.parent);
        for (int i = 0; i < n.links.size(); i++) {
            Link l = n.links.get(i);
            if (l.parent.id == from.parent && l.name.equals(from.name)) {
                n.links.set(i, new Link(newParent, to.name));
                return;
            }
        }
        n.links.add(new Link(newParent, to.name));
    }

    private void unlinkKey(Key key) {
        namesEpoch = ++linksGen;
        Node n = byName.remove(key);
        if (n != null) n.links.removeIf(l -> l.parent.id == key.parent && l.name.equals(key.name));
    }

    private Node node(long id) throws FsException {
        Node n = byId.get(id);
        // The kernel asking about a node it has forgotten would be a kernel/table mismatch: ESTALE-like.
        if (n == null) throw new FsException(ErrorKind.NOT_FOUND, "unknown node id " + id);
        return n;
    }

    private String pathOf(Node n) {
        if (n.pathGen == linksGen) return n.path;
        String p = buildPath(n);
        n.path = p;
        n.pathGen = linksGen;
        return p;
    }

    private static String buildPath(Node n) {
        if (n.id == ROOT_ID) return "/";
        ArrayList<String> names = new ArrayList<>();
        for (Node c = n; c.id != ROOT_ID; ) {
            if (c.links.isEmpty()) return null;
            Link l = c.links.get(0);
            names.add(l.name);
            c = l.parent;
            if (names.size() > 4096) return null; // a cycle would be a table bug; never spin
        }
        StringBuilder sb = new StringBuilder();
        for (int i = names.size() - 1; i >= 0; i--) sb.append('/').append(names.get(i));
        return sb.toString();
    }
}
