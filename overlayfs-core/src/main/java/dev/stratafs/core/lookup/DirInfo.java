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

    DirInfo(FsPath path, boolean upper, int[] lowers) {
        this.path = path;
        this.upper = upper;
        this.lowers = lowers;
    }

    boolean merged() {
        return (upper ? 1 : 0) + lowers.length > 1;
    }
}
