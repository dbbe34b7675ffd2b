package dev.stratafs.core.lookup;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.layer.Layer;
import dev.stratafs.core.nat.StatInfo;
import dev.stratafs.core.path.FsPath;
import java.nio.file.Path;

/**
 * The answer of a lookup: where the visible object of a merged-view path lives, or that there is
 * none. Callers state what they need in one call ({@link #requireExists()}, {@link #requireDirectory()}).
 */
public final class Resolved {
    private final FsPath path;
    private final Layer layer;
    private final StatInfo stat;
    private final LowerProbe lowerProbe;
    private final UpperSlot upperSlot;
    private Boolean lowerHasName;

    /**
     * What the upper directory holds under a name the view does not show, as the lookup found
     * it: a create needs to know whether it must replace a whiteout or drop an AUFS marker, and
     * the lookup has just looked.
     */
    public enum UpperSlot {
        /** Not looked at: the name is visible, or starts with {@code .wh.} (never made). */
        UNKNOWN,
        /** Nothing there; a new object goes straight in. */
        EMPTY,
        /** A whiteout object: a new object must replace it in one rename. */
        WHITEOUT,
        /** Nothing there, but a {@code .wh.NAME} marker hides a lower name and goes once the name is made. */
        AUFS_MARKER
    }

    /** Whether a lower layer shows the name: asked only by removals and renames, not by lookups. */
    interface LowerProbe {
        boolean lowerHasName() throws FsException;

        LowerProbe NO = () -> false;
        LowerProbe YES = () -> true;
    }

    Resolved(FsPath path, Layer layer, StatInfo stat, LowerProbe lowerProbe) {
        this(path, layer, stat, lowerProbe, UpperSlot.UNKNOWN);
    }

    private Resolved(FsPath path, Layer layer, StatInfo stat, LowerProbe lowerProbe, UpperSlot upperSlot) {
        this.path = path;
        this.layer = layer;
        this.stat = stat;
        this.lowerProbe = lowerProbe;
        this.upperSlot = upperSlot;
    }

    /** The same object with the attributes {@code st} (an fstat of it once opened). */
    public Resolved withStat(StatInfo st) {
        return new Resolved(path, layer, st, lowerProbe, upperSlot);
    }

    static Resolved missing(FsPath path, LowerProbe lowerProbe, UpperSlot upperSlot) {
        return new Resolved(path, null, null, lowerProbe, upperSlot);
    }

    public FsPath path() { return path; }

    /** For a missing name: what its upper directory holds there (see {@link UpperSlot}). */
    public UpperSlot upperSlot() { return upperSlot; }

    public boolean exists() { return layer != null; }

    /** The layer holding the visible object; null when missing. */
    public Layer layer() { return layer; }

    public StatInfo stat() { return stat; }

    public boolean inUpper() { return layer != null && layer.isUpper(); }

    public boolean isDirectory() { return stat != null && stat.isDirectory(); }

    /** Host path of the visible object. */
    public Path host() { return layer.host(path); }

    /**
     * True when some lower layer has a visible object under this name (below any upper entry):
     * removing the upper entry would expose it, so removal must leave a whiteout.
     */
    public boolean lowerHasName() throws FsException {
        Boolean b = lowerHasName;
        if (b == null) {
            b = lowerProbe.lowerHasName();
            lowerHasName = b;
        }
        return b;
    }

    public Resolved requireExists() throws FsException {
        if (layer == null) throw new FsException(ErrorKind.NOT_FOUND, "no such file or directory: " + path);
        return this;
    }

    public Resolved requireDirectory() throws FsException {
        requireExists();
        if (!stat.isDirectory()) throw new FsException(ErrorKind.NOT_DIRECTORY, "not a directory: " + path);
        return this;
    }

    public Resolved requireNotDirectory() throws FsException {
        requireExists();
        if (stat.isDirectory()) throw new FsException(ErrorKind.IS_DIRECTORY, "is a directory: " + path);
        return this;
    }

    public Resolved requireMissing() throws FsException {
        if (layer != null) throw new FsException(ErrorKind.EXISTS, "file exists: " + path);
        return this;
    }
}
