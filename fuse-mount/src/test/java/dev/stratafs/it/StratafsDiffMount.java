package dev.stratafs.it;

import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.core.diff.CoreMountFactory;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.mount.MountSession;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The core side of overlayfs-core's differential suite as a real stratafs FUSE mount (failsafe
 * execution {@code mount-diff} in this module's pom names this class). Mounted as the command
 * line mounts as root (allow_other, default_permissions), but with every kernel cache timeout 0
 * so that a cached entry or attribute cannot hide a difference from the kernel overlay
 * ({@code -Dstratafs.diff.mountTimeout=1000000000} tries the command line's default instead). Run
 * once per engine: libfuse 3's low-level API (the default), and libfuse 2's path API
 * ({@link #HIGHLEVEL_PROPERTY}).
 */
public final class StratafsDiffMount implements CoreMountFactory {
    static final String TIMEOUT_PROPERTY = "stratafs.diff.mountTimeout";
    /** {@code -Dstratafs.diff.highlevel=true}: mount with the libfuse 2 path engine (failsafe execution mount-diff-highlevel). */
    static final String HIGHLEVEL_PROPERTY = "stratafs.diff.highlevel";

    @Override
    public AutoCloseable mount(StackConfig stack, Path mountPoint) throws IOException {
        OverlayFs fs = OverlayFs.open(stack);
        MountSession session;
        try {
            session = MountSession.mount(fs, mountPoint, options());
        } catch (IOException | RuntimeException e) {
            fs.close();
            throw e;
        }
        return () -> {
            long bugs = session.unexpectedFailures();
            try {
                session.close();
            } finally {
                fs.close();
            }
            // An unexpected exception answers EIO; the step outcomes show EIO, this names the cause.
            if (bugs > 0) throw new IllegalStateException(bugs + " requests failed with an unexpected exception (see the log)");
        };
    }

    /** libfuse 3's low-level API passes renameat2 flags (FUSE_RENAME2); libfuse 2 does not. */
    @Override
    public boolean passesRenameFlags() {
        return !Boolean.getBoolean(HIGHLEVEL_PROPERTY);
    }

    static FuseOptions options() {
        double timeout = Double.parseDouble(System.getProperty(TIMEOUT_PROPERTY, "0"));
        return FuseOptions.builder().timeoutSeconds(timeout).allowOther(true).defaultPermissions(true)
                .lowLevel(!Boolean.getBoolean(HIGHLEVEL_PROPERTY)).build();
    }
}
