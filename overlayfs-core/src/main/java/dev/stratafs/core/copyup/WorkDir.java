package dev.stratafs.core.copyup;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scratch space inside the workdir where objects are prepared before an atomic rename into
 * the upper. Same subdirectory as the kernel ({@code work}), so either one cleans the other's
 * leftovers at mount (overlayfs.rst "workdir").
 */
public final class WorkDir {
    private final Path root;
    private final Path scratch;
    private final Path index;
    private final NativeOs os;
    private final AtomicLong counter = new AtomicLong();
    private final String prefix;

    private WorkDir(Path root, NativeOs os) {
        this.root = root;
        this.scratch = root.resolve("work");
        this.index = root.resolve("stratafs-index");
        this.os = os;
        this.prefix = "#stratafs-" + Long.toHexString(ProcessHandle.current().pid()) + "-";
    }

    /**
     * Opens the workdir and removes leftovers of an interrupted copy-up: anything in the scratch
     * directory is by construction not yet part of the upper.
     */
    public static WorkDir open(Path root, NativeOs os, boolean volatileMode, boolean acceptDirtyVolatile) throws FsException {
        WorkDir w = new WorkDir(root, os);
        Path marker = w.volatileMarker();
        if (os.lstatOrNull(marker) != null && !acceptDirtyVolatile) {
            // overlayfs.rst "Volatile mount": the last volatile session skipped fsyncs and did not end cleanly.
            throw new FsException(ErrorKind.INVALID, "the upper directory was last mounted volatile and not unmounted cleanly;"
                    + " its files may be incomplete. Discard upperdir and workdir, or remove " + marker
                    + " if you know the host did not crash");
        }
        StatInfo st = os.lstatOrNull(w.scratch);
        if (st != null && !st.isDirectory()) os.unlink(w.scratch);
        if (st == null || !st.isDirectory()) os.mkdir(w.scratch, 0);
        w.clean(w.scratch);
        if (os.lstatOrNull(w.index) == null) os.mkdir(w.index, 0700);
        if (volatileMode) {
            os.mkdir(marker.getParent(), 0700);
            os.mkdir(marker, 0700);
        }
        return w;
    }

    /** The kernel's marker of a volatile session in progress: {@code work/incompat/volatile}. */
    public Path volatileMarker() {
        return scratch.resolve("incompat").resolve("volatile");
    }

    /** Ends a volatile session cleanly: the upper is whole, so the next mount may use it. */
    public void endVolatile() throws FsException {
        Path marker = volatileMarker();
        if (os.lstatOrNull(marker) != null) os.rmdir(marker);
        if (os.lstatOrNull(marker.getParent()) != null) os.rmdir(marker.getParent());
    }

    public Path scratch() { return scratch; }

    /** Directory holding one hard link per copied-up lower hard-linked file (keeps links linked). */
    public Path index() { return index; }

    /** A fresh name in the scratch directory. */
    public Path newTemp() {
        return scratch.resolve(prefix + Long.toHexString(counter.incrementAndGet()));
    }

    /** Removes a temp object and everything below it, never following symlinks. Best effort. */
    public void discard(Path p) {
        try {
            StatInfo st = os.lstatOrNull(p);
            if (st == null) return;
            if (st.isDirectory()) {
                clean(p);
                os.rmdir(p);
            } else {
                os.unlink(p);
            }
        } catch (FsException e) {
            // Left for the next open to clean.
        }
    }

    private void clean(Path dir) throws FsException {
        // Through NativeOs, not java.nio: a crashed tree copy can be deeper than PATH_MAX.
        for (NativeOs.DirEnt e : os.readDir(dir)) discard(dir.resolve(e.name()));
    }

    public Path root() { return root; }
}
