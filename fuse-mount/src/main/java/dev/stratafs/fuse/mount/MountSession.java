package dev.stratafs.fuse.mount;

import dev.stratafs.core.OverlayFs;
import dev.stratafs.fuse.FuseOptions;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One live FUSE mount of an {@link OverlayFs}. {@link #mount} returns only once the mount is
 * proven live (init seen, the mountpoint listed as fuse in /proc/self/mountinfo and answering a
 * stat); {@link #close} unmounts and is idempotent.
 */
public final class MountSession implements Closeable {
    // SKELETON: the body arrives with the jnr-fuse adapter.

    private MountSession() {}

    public static MountSession mount(OverlayFs fs, Path mountPoint, FuseOptions options) throws IOException {
        throw new IOException("not implemented yet");
    }

    public Path mountPoint() { throw new UnsupportedOperationException(); }

    /** Blocks until the filesystem is unmounted from outside (fusermount -u, umount) or closed. */
    public void awaitUnmounted() throws InterruptedException { throw new UnsupportedOperationException(); }

    @Override
    public void close() throws IOException {}
}
