package dev.stratafs.fuse.mount;

import dev.stratafs.fuse.FuseOptions;

/**
 * {@link HardLinksUnderLongCacheIT} on the path engine ({@code -o highlevel}): every name of a
 * hard link is its own kernel inode there, so these cases check the reply channel
 * (dev.stratafs.fuse.jnr.ReplyChannel) that keeps their attributes coherent.
 */
class HardLinksUnderLongCachePathEngineIT extends HardLinksUnderLongCacheIT {
    @Override
    FuseOptions options() {
        return FuseOptions.builder().lowLevel(false).build();
    }

    /** Each name is its own kernel inode here, so ReplyChannel sets attr_valid 0 for nlink > 1. */
    @Override
    boolean linkedFilesAskedEveryTime() {
        return true;
    }
}
