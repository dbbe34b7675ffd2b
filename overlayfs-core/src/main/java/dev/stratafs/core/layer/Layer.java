package dev.stratafs.core.layer;

import dev.stratafs.core.path.FsPath;
import java.nio.file.Path;

/**
 * One directory of the stack: the upper (writable) or a lower (read-only). Its root is a real
 * directory (symlinks to the root are resolved once at open; links inside are never followed).
 */
public final class Layer {
    private final int index;
    private final Path root;
    private final boolean upper;
    private final long dev;

    Layer(int index, Path root, boolean upper, long dev) {
        this.index = index;
        this.root = root;
        this.upper = upper;
        this.dev = dev;
    }

    /** st_dev of the layer root: the device of its objects (layers do not span mounts). */
    public long dev() { return dev; }

    /** Position in the stack: -1 for the upper, 0.. for lowers topmost first. */
    public int index() { return index; }

    public Path root() { return root; }

    public boolean isUpper() { return upper; }

    /** Host path of a merged-view path in this layer. Callers must have verified the parents. */
    public Path host(FsPath p) {
        return p.in(root);
    }

    @Override
    public String toString() {
        return (upper ? "upper " : "lower " + index + " ") + root;
    }
}
