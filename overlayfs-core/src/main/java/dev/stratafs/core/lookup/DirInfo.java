package dev.stratafs.core.lookup;

import dev.stratafs.core.path.FsPath;

/**
 * Which layers make up one merged directory: whether the upper has it (and whether it is opaque
 * there), and the lower layers, topmost first, where it is a real directory, cut at the first
 * opaque one. Immutable; cached per path and dropped when the upper changes under it.
 */
final class DirInfo {
    final FsPath path;
    final boolean upper;
    final int[] lowers;
    /** The upper directory holds xattr whiteouts (opaque=x). */
    final boolean upperX;
    /** Per entry of {@link #lowers}: that layer's directory holds xattr whiteouts. */
    final boolean[] lowerX;

    DirInfo(FsPath path, boolean upper, int[] lowers, boolean upperX, boolean[] lowerX) {
        this.path = path;
        this.upper = upper;
        this.lowers = lowers;
        this.upperX = upperX;
        this.lowerX = lowerX;
    }

    boolean merged() {
        return (upper ? 1 : 0) + lowers.length > 1;
    }
}
