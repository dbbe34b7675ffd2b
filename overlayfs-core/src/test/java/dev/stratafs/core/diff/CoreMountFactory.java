package dev.stratafs.core.diff;

import dev.stratafs.core.StackConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Mounts the core on a stack, for {@code -Dstratafs.diff.core=mount}: the differential suite
 * then drives the mount through java.nio like the kernel overlay ({@link KernelFs}). Implemented
 * where the mount lives (fuse-mount's tests; this module must not depend on it) and named by
 * {@code -Dstratafs.diff.mountFactory}; loaded by reflection through a public no-argument
 * constructor.
 */
public interface CoreMountFactory {
    /**
     * Mounts {@code stack} at mountPoint, an existing empty directory, and returns once the
     * mount answers. Closing the result unmounts and releases everything, and must not leave the
     * mount behind on failure.
     */
    AutoCloseable mount(StackConfig stack, Path mountPoint) throws IOException;

    /**
     * Whether renameat2(2) flags reach the core through this mount. FUSE passes them only as
     * FUSE_RENAME2 (protocol 7.23), which libfuse 2 does not speak: the kernel then answers
     * EINVAL for a rename with flags that it does not refuse itself.
     */
    default boolean passesRenameFlags() {
        return false;
    }
}
