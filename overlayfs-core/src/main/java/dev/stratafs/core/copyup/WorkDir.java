package dev.stratafs.core.copyup;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
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
    public static WorkDir open(Path root, NativeOs os) throws FsException {
        WorkDir w = new WorkDir(root, os);
        StatInfo st = os.lstatOrNull(w.scratch);
        if (st != null && !st.isDirectory()) os.unlink(w.scratch);
        if (st == null || !st.isDirectory()) os.mkdir(w.scratch, 0);
        w.clean(w.scratch);
        if (os.lstatOrNull(w.index) == null) os.mkdir(w.index, 0700);
        return w;
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
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path c : ds) discard(c);
        } catch (IOException e) {
            throw new FsException(ErrorKind.IO, "cannot clean workdir " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path root() { return root; }
}
