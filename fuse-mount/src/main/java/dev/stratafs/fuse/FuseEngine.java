package dev.stratafs.fuse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What {@link dev.stratafs.fuse.mount.MountSession} needs of a FUSE adapter, so that it can run
 * either libfuse 2's path API ({@code StrataFuse}) or libfuse 3's low-level API
 * ({@code LowLevelFuse}, {@code -o lowlevel}) through one lifecycle.
 */
public interface FuseEngine {
    /** Mounts and serves until unmounted; {@code fuseArgs} are the -o words for this engine's libfuse. */
    void runLoop(Path mountPoint, List<String> fuseArgs, boolean debug) throws IOException;

    /** True once libfuse called init: the kernel connection is up. */
    boolean awaitInit(long timeout, TimeUnit unit) throws InterruptedException;

    /** What a JVM shutdown hook should run to unmount (the session's idempotent close). */
    void setUmountHook(Runnable hook);

    RequestGuard guard();

    /** Names of the threads callbacks ran on so far. */
    Set<String> callbackThreadNames();

    /** Requests of operation {@code op} (e.g. "lookup", "readdirplus") served so far; -1 when the engine does not count. */
    default long requestCount(String op) {
        return -1;
    }
}
