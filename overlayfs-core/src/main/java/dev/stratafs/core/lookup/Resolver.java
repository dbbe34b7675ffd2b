package dev.stratafs.core.lookup;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.layer.Layer;
import dev.stratafs.core.layer.LayerStack;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import dev.stratafs.core.path.FsPath;
import dev.stratafs.core.whiteout.WhiteoutCodec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Top-down resolution of merged-view paths (overlayfs.rst "Directories", "whiteouts and opaque
 * directories"): the first layer that has a name wins, a whiteout hides it, a non-directory ends
 * the merge, an opaque directory stops it.
 *
 * <p>Safety: a layer object is only ever lstat'ed after each of its parents was found to be a real
 * directory in that same layer (DirInfo lists exactly those layers), so no symlink inside a layer
 * is followed while resolving.
 *
 * <p>Callers hold the namespace lock (read for lookups, write for changes) and call
 * {@link #invalidate} after changing the upper.
 */
public final class Resolver {
    /**
     * Cached lower names and stats across all directories before the index cache is dropped:
     * about 200 bytes each, so an eighth of the maximum heap, within [50k, 2M] of them.
     */
    private static final long INDEX_BUDGET = Math.max(50_000, Math.min(2_000_000, Runtime.getRuntime().maxMemory() / 8 / 200));
    /** Cached directory structures before the cache is dropped (memory bound). */
    private static final int DIR_BUDGET = 200_000;

    private final LayerStack stack;
    private final NativeOs os;
    private final WhiteoutCodec codec;
    private final ConcurrentHashMap<FsPath, DirInfo> dirs = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<FsPath, LowerIndex> indexes = new ConcurrentHashMap<>();
    private final AtomicLong indexWeight = new AtomicLong();
    /**
     * Lower files found from the lower layers' roots (absolute redirects), by path. Only the lower
     * layers decide them, and those do not change while mounted, so no change through the mount
     * invalidates them; each getattr and open of such a file would otherwise walk every layer
     * along the path again.
     */
    private final ConcurrentHashMap<FsPath, Resolved> lowerRootData = new ConcurrentHashMap<>();

    public Resolver(LayerStack stack, NativeOs os, WhiteoutCodec codec) {
        this.stack = stack;
        this.os = os;
        this.codec = codec;
    }

    public LayerStack stack() { return stack; }

    /** Resolves a merged-view path. NOT_FOUND/NOT_DIRECTORY when a parent is missing or not a directory. */
    public Resolved resolve(FsPath path) throws FsException {
        return resolve(path, false);
    }

    /**
     * As {@link #resolve}, but a lower object's stat may be the one an earlier resolve took (see
     * {@link LowerIndex#stats}): for an open for reading, which fails itself if the name went and
     * takes the attributes of what it opened from the descriptor.
     */
    public Resolved resolveToOpen(FsPath path) throws FsException {
        return resolve(path, true);
    }

    private Resolved resolve(FsPath path, boolean cachedLowerStat) throws FsException {
        if (path.isRoot()) {
            DirInfo d = dirInfo(path);
            Layer top = d.upper ? stack.upper() : stack.lower(d.lowers[0]);
            return new Resolved(path, top, os.lstat(top.root()), Resolved.LowerProbe.NO);
        }
        DirInfo parent = dirInfo(path.parent());
        return lookupChild(parent, path, cachedLowerStat);
    }

    /**
     * True when the directory at {@code dir} is known, from the cached structure, to have its
     * upper part (every change to an upper directory's existence invalidates that structure).
     * False means unknown or no.
     */
    public boolean knownUpperDir(FsPath dir) {
        DirInfo d = dirs.get(dir);
        return d != null && d.upper;
    }

    /** True when the merged directory at {@code path} is made of more than one layer directory. */
    public boolean isMergedDir(FsPath path) throws FsException {
        return dirInfo(path).merged();
    }

    /** True when the directory has lower layers under it (so its upper copy is not the whole story). */
    public boolean hasLowerParts(FsPath dir) throws FsException {
        return dirInfo(dir).lowers.length > 0;
    }

    private Resolved lookupChild(DirInfo parent, FsPath path, boolean cachedLowerStat) throws FsException {
        String n = path.fileName().value();
        if (WhiteoutCodec.isMarkerName(n)) {
            return Resolved.missing(path, Resolved.LowerProbe.NO, Resolved.UpperSlot.UNKNOWN);
        }
        LowerIndex li = parent.lowers.length > 0 ? lowerIndex(parent) : null;
        int[] occ = li == null ? null : li.names.get(n);
        if (parent.upper) {
            Layer up = stack.upper();
            Path hp = up.host(path);
            StatInfo st = os.lstatOrNull(hp);
            // Whether the lower name is visible matters only to removals: asked lazily.
            int[] o = occ;
            Resolved.LowerProbe lowerPos = o == null ? Resolved.LowerProbe.NO : () -> topLowerStat(parent, li, path, o, false) != null;
            if (st != null) {
                if (codec.isWhiteout(hp, st, parent.upperX)) return Resolved.missing(path, lowerPos, Resolved.UpperSlot.WHITEOUT);
                return new Resolved(path, up, st, lowerPos);
            }
            // A marker only matters where a lower layer has the name; elsewhere it is left as found.
            if (occ != null && upperMarkers(parent).contains(n)) {
                return Resolved.missing(path, lowerPos, Resolved.UpperSlot.AUFS_MARKER);
            }
        }
        // Nothing in the upper here (or no upper part yet: it is copied up empty before anything
        // is made in it).
        StatInfo st = occ == null ? null : topLowerStat(parent, li, path, occ, cachedLowerStat);
        if (st == null) return Resolved.missing(path, Resolved.LowerProbe.NO, Resolved.UpperSlot.EMPTY);
        return new Resolved(path, stack.lower(parent.lowers[occ[0]]), st, Resolved.LowerProbe.YES);
    }

    /**
     * The lower regular file whose data a metadata-only upper copy stands for, found at
     * {@code path} (its own, or its redirect's) below the upper (overlayfs.rst "Metadata only
     * copy up": the data is looked up by path in the lower layers). {@code fromLowerRoot} for an
     * absolute redirect, which the kernel follows from the lower layers' roots whatever the
     * upper did since (ovl_lookup restarts at the root's lower stack): its directories may have
     * been removed or made opaque above. Otherwise the path's directory is the merged one, as
     * the kernel looks a name up in its parent's lower stack. IO when there is none, as the
     * kernel answers.
     */
    public Resolved lowerData(FsPath path, boolean fromLowerRoot) throws FsException {
        if (!fromLowerRoot) return findLowerData(path, false);
        Resolved known = lowerRootData.get(path);
        if (known != null) return known;
        Resolved found = findLowerData(path, true);
        if (lowerRootData.size() >= DIR_BUDGET) lowerRootData.clear();
        lowerRootData.put(path, found);
        return found;
    }

    private Resolved findLowerData(FsPath path, boolean fromLowerRoot) throws FsException {
        if (path.isRoot()) throw new FsException(ErrorKind.IO, "the root holds no file data");
        DirInfo parent;
        try {
            parent = fromLowerRoot ? lowerDir(path.parent()) : dirInfo(path.parent());
        } catch (FsException e) {
            if (e.kind() != ErrorKind.NOT_FOUND && e.kind() != ErrorKind.NOT_DIRECTORY) throw e;
            throw new FsException(ErrorKind.IO, "no lower file holds the data of the metadata-only copy " + path);
        }
        LowerIndex li = parent.lowers.length == 0 ? null : fromLowerRoot ? peekIndex(parent) : lowerIndex(parent);
        int[] occ = li == null ? null : li.names.get(path.fileName().value());
        // Lower layers do not change while mounted: the index's stat will do (an open fstats).
        StatInfo st = occ == null ? null : topLowerStat(parent, li, path, occ, true);
        if (st == null || !st.isRegular()) {
            throw new FsException(ErrorKind.IO, "no lower file holds the data of the metadata-only copy " + path);
        }
        return new Resolved(path, stack.lower(parent.lowers[occ[0]]), st, Resolved.LowerProbe.YES);
    }

    /**
     * The stat of the topmost lower object of {@code path}'s name (its positions {@code occ} in
     * {@code li}), or null when that is a whiteout, gone, or an AUFS marker hides the name. Taken
     * afresh and kept in the index, unless {@code cached} and the index has it: lower layers do not
     * change while mounted (overlayfs.rst, "Changes to underlying filesystems"), but lookups and
     * attributes still see a lower name removed or replaced behind the mount's back.
     */
    private StatInfo topLowerStat(DirInfo parent, LowerIndex li, FsPath path, int[] occ, boolean cached) throws FsException {
        if (occ[0] < 0) return null;
        String n = path.fileName().value();
        StatInfo st = cached ? li.stats.get(n) : null;
        if (st == null) {
            Path hp = stack.lower(parent.lowers[occ[0]]).host(path);
            StatInfo found = os.lstatOrNull(hp);
            if (found == null) {
                li.stats.remove(n);
                return null;
            }
            st = codec.isWhiteout(hp, found, parent.lowerX[occ[0]]) ? LowerIndex.HIDDEN : found;
            if (li.stats.put(n, st) == null) indexWeight.incrementAndGet();
        }
        return st == LowerIndex.HIDDEN ? null : st;
    }

    /**
     * The names whited out by {@code .wh.} files in a merged directory's upper part. The upper
     * changes only through us, so one listing per directory replaces a stat of {@code .wh.NAME}
     * on every lookup of a lower name.
     */
    private java.util.Set<String> upperMarkers(DirInfo d) throws FsException {
        java.util.Set<String> m = d.upperMarkers;
        if (m != null) return m;
        m = new HashSet<>();
        for (NativeOs.DirEnt e : os.readDir(stack.upper().host(d.path))) {
            String w = WhiteoutCodec.whitedOutName(e.name());
            if (w != null) m.add(w);
        }
        m = m.isEmpty() ? java.util.Set.of() : m;
        d.upperMarkers = m;
        return m;
    }

    /**
     * An entry was made or removed at {@code child}: its directory's AUFS markers are read again
     * if the change can have touched one. A change at a name only ever removes that name's
     * marker, or, with an AUFS-format codec, writes one; in the kernel format a set without the
     * name is still exact. Reading the set again after every change made removing N lower
     * files of one directory (rm -rf) cost N listings of its upper part and growing whiteouts.
     */
    public void markersChanged(FsPath child) {
        if (child.isRoot()) return;
        DirInfo d = dirs.get(child.parent());
        if (d == null) return;
        java.util.Set<String> m = d.upperMarkers;
        if (m == null || (codec.kernelFormat() && !m.contains(child.fileName().value()))) return;
        d.upperMarkers = null;
    }

    DirInfo dirInfo(FsPath path) throws FsException {
        DirInfo d = dirs.get(path);
        if (d != null) return d;
        d = buildDirInfo(path);
        if (dirs.size() >= DIR_BUDGET) {
            // Drop everything and leave this one uncached, so no entry outlives its parent's.
            dirs.clear();
            return d;
        }
        dirs.put(path, d);
        return d;
    }

    private DirInfo buildDirInfo(FsPath path) throws FsException {
        List<Integer> lows = new ArrayList<>();
        List<Boolean> lowX = new ArrayList<>();
        if (path.isRoot()) {
            boolean up = stack.hasUpper();
            WhiteoutCodec.Opacity uo = up ? codec.opacity(stack.upper().root()) : WhiteoutCodec.Opacity.NONE;
            if (uo != WhiteoutCodec.Opacity.OPAQUE) rootLowers(lows, lowX);
            return dirInfo(path, up, uo, lows, lowX);
        }
        DirInfo parent = dirInfo(path.parent());
        Resolved r = lookupChild(parent, path, false).requireDirectory();
        boolean up = r.inUpper();
        WhiteoutCodec.Opacity uo = up ? codec.opacity(r.host()) : WhiteoutCodec.Opacity.NONE;
        if (uo == WhiteoutCodec.Opacity.OPAQUE) {
            return dirInfo(path, true, uo, lows, lowX);
        }
        if (parent.lowers.length > 0) childLowers(parent, path, lowerIndex(parent), lows, lowX);
        return dirInfo(path, up, uo, lows, lowX);
    }

    /**
     * The directory {@code path} of the lower layers alone, as if there were no upper; not
     * cached itself (only an absolute redirect needs it, and its result is). NOT_FOUND when the
     * lower layers have no directory there.
     */
    private DirInfo lowerDir(FsPath path) throws FsException {
        List<Integer> lows = new ArrayList<>();
        List<Boolean> lowX = new ArrayList<>();
        if (path.isRoot()) {
            rootLowers(lows, lowX);
        } else {
            DirInfo parent = lowerDir(path.parent());
            if (parent.lowers.length > 0) childLowers(parent, path, peekIndex(parent), lows, lowX);
            if (lows.isEmpty()) throw new FsException(ErrorKind.NOT_FOUND, "no lower directory " + path);
        }
        return dirInfo(path, false, WhiteoutCodec.Opacity.NONE, lows, lowX);
    }

    /** The lower layers whose roots merge, top down to the first opaque one. */
    private void rootLowers(List<Integer> lows, List<Boolean> lowX) throws FsException {
        for (Layer l : stack.lowers()) {
            WhiteoutCodec.Opacity o = codec.opacity(l.root());
            lows.add(l.index());
            lowX.add(o == WhiteoutCodec.Opacity.XWHITEOUTS);
            if (o == WhiteoutCodec.Opacity.OPAQUE) break;
        }
    }

    /**
     * The lower layers whose directory {@code path} merges, below {@code parent} (whose lower
     * index is {@code li}): top down, to the first whiteout, non-directory or opaque directory.
     */
    private void childLowers(DirInfo parent, FsPath path, LowerIndex li, List<Integer> lows, List<Boolean> lowX)
            throws FsException {
        int[] occ = li.names.get(path.fileName().value());
        if (occ == null) return;
        for (int pos : occ) {
            if (pos < 0) break;
            Layer l = stack.lower(parent.lowers[pos]);
            Path hp = l.host(path);
            StatInfo st = os.lstatOrNull(hp);
            if (st == null) continue;
            if (!st.isDirectory()) break; // a whiteout or a non-directory ends the merge
            WhiteoutCodec.Opacity o = codec.opacity(hp);
            lows.add(l.index());
            lowX.add(o == WhiteoutCodec.Opacity.XWHITEOUTS);
            if (o == WhiteoutCodec.Opacity.OPAQUE) break;
        }
    }

    private static DirInfo dirInfo(FsPath path, boolean up, WhiteoutCodec.Opacity uo, List<Integer> lows, List<Boolean> lowX) {
        int[] a = new int[lows.size()];
        boolean[] x = new boolean[lows.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = lows.get(i);
            x[i] = lowX.get(i);
        }
        return new DirInfo(path, up, a, uo == WhiteoutCodec.Opacity.XWHITEOUTS, x);
    }

    LowerIndex lowerIndex(DirInfo d) throws FsException {
        LowerIndex li = indexes.get(d.path);
        if (li != null && Arrays.equals(li.lowers, d.lowers)) return li;
        li = buildIndex(d);
        if (indexWeight.addAndGet(li.weight) > INDEX_BUDGET) {
            indexes.clear();
            indexWeight.set(li.weight);
        }
        indexes.put(d.path, li);
        return li;
    }

    /**
     * The cached index of {@code d} when it has the same lower layers, else one built for this
     * call alone: a lower-only directory must not push out the merged view's index.
     */
    private LowerIndex peekIndex(DirInfo d) throws FsException {
        LowerIndex li = indexes.get(d.path);
        return li != null && Arrays.equals(li.lowers, d.lowers) ? li : buildIndex(d);
    }

    private LowerIndex buildIndex(DirInfo d) throws FsException {
        Map<String, int[]> names = new HashMap<>();
        Map<String, NativeOs.DirEnt> tops = new HashMap<>();
        for (int pos = 0; pos < d.lowers.length; pos++) {
            Path dir = stack.lower(d.lowers[pos]).host(d.path);
            List<String> markers = new ArrayList<>();
            for (NativeOs.DirEnt e : os.readDir(dir, true)) {
                String nm = e.name();
                String w = WhiteoutCodec.whitedOutName(nm);
                if (w != null) {
                    markers.add(w);
                } else if (!WhiteoutCodec.isMarkerName(nm)) {
                    if (!names.containsKey(nm)) tops.put(nm, e);
                    append(names, nm, pos);
                }
            }
            for (String w : markers) {
                int[] o = names.get(w);
                if (o == null || o[o.length - 1] != pos) append(names, w, -(pos + 1));
            }
        }
        Map<String, StatInfo> stats = new HashMap<>();
        return new LowerIndex(d.lowers, names, visible(d, names, tops, stats), stats);
    }

    /**
     * The lower part of a listing: the topmost object of each name that is not a whiteout, typed
     * from the directory entries; only char devices (whiteout?), entries of unknown type and,
     * in directories marked as holding xattr whiteouts, empty-file candidates cost an lstat,
     * which goes into {@code stats} for later lookups ({@link LowerIndex#stats}).
     */
    private List<Entry> visible(DirInfo d, Map<String, int[]> names, Map<String, NativeOs.DirEnt> tops,
                                Map<String, StatInfo> stats) throws FsException {
        List<Entry> v = new ArrayList<>(tops.size());
        for (Map.Entry<String, int[]> e : names.entrySet()) {
            int first = e.getValue()[0];
            if (first < 0) continue;
            String nm = e.getKey();
            Layer l = stack.lower(d.lowers[first]);
            NativeOs.DirEnt de = tops.get(nm);
            int type = de.type();
            if (type == 0 || type == StatInfo.S_IFCHR || (type == StatInfo.S_IFREG && d.lowerX[first])) {
                Path hp = l.host(d.path).resolve(nm);
                StatInfo st = os.lstatOrNull(hp);
                if (st == null || codec.isWhiteout(hp, st, d.lowerX[first])) {
                    stats.put(nm, LowerIndex.HIDDEN);
                    continue;
                }
                stats.put(nm, st);
                v.add(Entry.of(nm, l, st, true));
            } else {
                v.add(new Entry(nm, l, type, l.dev(), de.ino(), true));
            }
        }
        return v;
    }

    private static void append(Map<String, int[]> names, String nm, int pos) {
        int[] o = names.get(nm);
        if (o == null) {
            names.put(nm, new int[] {pos});
        } else {
            int[] n = Arrays.copyOf(o, o.length + 1);
            n[o.length] = pos;
            names.put(nm, n);
        }
    }

    /** One visible entry of a merged listing: where it lives, its type bits and layer inode. */
    public record Entry(String name, Layer layer, int type, long dev, long ino, boolean lowerHasName) {
        public boolean isDirectory() {
            return type == StatInfo.S_IFDIR;
        }

        static Entry of(String name, Layer layer, StatInfo st, boolean lowerHasName) {
            return new Entry(name, layer, st.type(), st.dev(), st.ino(), lowerHasName);
        }
    }

    /** The merged listing of a directory: deduplicated, whiteouts removed, sorted by name. */
    public List<Entry> list(FsPath path) throws FsException {
        DirInfo d = dirInfo(path);
        TreeMap<String, Entry> out = new TreeMap<>();
        Set<String> hidden = new HashSet<>();
        LowerIndex li = d.lowers.length > 0 ? lowerIndex(d) : null;
        if (d.upper) {
            Layer up = stack.upper();
            Path dir = up.host(path);
            for (NativeOs.DirEnt de : os.readDir(dir)) {
                String nm = de.name();
                String w = WhiteoutCodec.whitedOutName(nm);
                if (w != null) {
                    hidden.add(w);
                    continue;
                }
                if (WhiteoutCodec.isMarkerName(nm)) continue;
                boolean lowerHas = li != null && li.names.containsKey(nm);
                int type = de.type();
                if (type == 0 || type == StatInfo.S_IFCHR || (type == StatInfo.S_IFREG && d.upperX)) {
                    Path hp = dir.resolve(nm);
                    StatInfo st = os.lstatOrNull(hp);
                    if (st == null) continue;
                    if (codec.isWhiteout(hp, st, d.upperX)) {
                        hidden.add(nm);
                        continue;
                    }
                    out.put(nm, Entry.of(nm, up, st, lowerHas));
                } else {
                    out.put(nm, new Entry(nm, up, type, up.dev(), de.ino(), lowerHas));
                }
            }
        }
        if (li != null) {
            for (Entry e : li.visible) {
                if (!out.containsKey(e.name()) && !hidden.contains(e.name())) out.put(e.name(), e);
            }
        }
        return new ArrayList<>(out.values());
    }

    /** True when the merged directory shows no entries. */
    public boolean isEmptyDir(FsPath path) throws FsException {
        return list(path).isEmpty();
    }

    /** Forgets cached directory structure at and below {@code path}; call after changing the upper there. */
    public void invalidate(FsPath path) {
        if (path.isRoot()) {
            dirs.clear();
            return;
        }
        // A DirInfo is only built after its parent's, and only ever removed with its descendants:
        // when the path is not cached, nothing below it is, and the scan can be skipped.
        if (dirs.remove(path) == null) return;
        dirs.keySet().removeIf(k -> k.startsWith(path));
    }
}
