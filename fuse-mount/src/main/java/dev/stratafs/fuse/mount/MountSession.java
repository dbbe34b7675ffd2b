package dev.stratafs.fuse.mount;

import dev.stratafs.core.OverlayFs;
import dev.stratafs.fuse.FsBackend;
import dev.stratafs.fuse.FuseEngine;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.jnr.LowLevelFuse;
import dev.stratafs.fuse.jnr.StrataFuse;
import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live FUSE mount of an {@link OverlayFs}. {@link #mount} returns only once the mount is
 * proven live (init seen, the mountpoint listed as fuse in /proc/self/mountinfo and answering a
 * stat); {@link #close} unmounts and is idempotent.
 *
 * <p>The FUSE loop runs blocking on a thread of our own, which waits for the loop's Java worker
 * threads and tears the mount down after them. {@link StrataFuse} registers a shutdown hook per
 * mount that calls umount() and routes it to {@link #close}, so a JVM exit unmounts exactly once.
 */
public final class MountSession implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(MountSession.class);
    static final Duration MOUNT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration LOOP_EXIT_TIMEOUT = Duration.ofSeconds(10);
    /** After a lazy unmount the loop lives on while files stay open: give them this long. */
    static final Duration LAZY_GRACE = Duration.ofSeconds(2);
    private static final long PROBE_INTERVAL_MS = 20;

    private final Path mountPoint;
    private final FuseEngine fuse;
    private final CountDownLatch loopEnded = new CountDownLatch(1);
    private volatile Throwable loopFailure;
    private volatile int connectionMinor = -1;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile IOException closeFailure;

    private MountSession(Path mountPoint, FuseEngine fuse) {
        this.mountPoint = mountPoint;
        this.fuse = fuse;
    }

    public static MountSession mount(OverlayFs fs, Path mountPoint, FuseOptions options) throws IOException {
        refuseLayersUnder(fs, mountPoint);
        return mount(FsBackend.of(fs), mountPoint, options);
    }

    /**
     * The core reaches its layers by path. A layer that is the mountpoint or lies below it would,
     * once mounted, be reached through this very mount: every request would call back into the
     * daemon and the mount hangs (the kernel overlay allows it because it holds the layers'
     * dentries from before the mount). A layer that merely contains the mountpoint is fine.
     */
    static void refuseLayersUnder(OverlayFs fs, Path mountPoint) throws IOException {
        if (!Files.isDirectory(mountPoint)) return; // reported by mount() with its own message
        Path mnt = mountPoint.toRealPath();
        java.util.Map<Path, String> layers = new java.util.LinkedHashMap<>();
        fs.config().lowers().forEach(l -> layers.putIfAbsent(l, "lowerdir"));
        fs.config().upper().ifPresent(u -> layers.put(u, "upperdir"));
        fs.config().work().ifPresent(w -> layers.put(w, "workdir"));
        for (java.util.Map.Entry<Path, String> e : layers.entrySet()) {
            Path real;
            try {
                real = e.getKey().toRealPath();
            } catch (IOException gone) {
                continue; // the core has opened it; nothing to compare
            }
            if (real.startsWith(mnt)) {
                throw new IOException(e.getValue() + " " + e.getKey() + (real.equals(mnt) ? " is the mountpoint " : " lies inside the mountpoint ")
                        + mountPoint + ": stratafs reaches its layers by path, so it cannot mount over them; mount elsewhere");
            }
        }
    }

    /** As {@link #mount(OverlayFs, Path, FuseOptions)} for any backend (tests mount stand-ins). */
    public static MountSession mount(FsBackend fs, Path mountPoint, FuseOptions options) throws IOException {
        return mount(fs, mountPoint, options, MOUNT_TIMEOUT);
    }

    static MountSession mount(FsBackend fs, Path mountPoint, FuseOptions options, Duration timeout) throws IOException {
        if (!Files.isDirectory(mountPoint)) {
            Path abs = mountPoint.toAbsolutePath().normalize();
            if (MountTable.read().hasFuseAt(abs)) {
                // stat of a mount whose daemon died fails with ENOTCONN
                throw new IOException("mountpoint " + abs + " holds a dead FUSE mount; unmount it first (fusermount -u " + abs + ")");
            }
            throw new IOException("mountpoint is not a directory: " + mountPoint);
        }
        warnUnlessUtf8();
        // mountinfo shows the resolved path; compare like with like.
        Path mnt = mountPoint.toRealPath();
        List<String> args = options.lowLevel() ? LowLevelArgs.of(options, fs.readOnly()) : FuseArgs.of(options, fs.readOnly());
        FuseEngine fuse;
        try {
            fuse = options.lowLevel() ? newLowLevel(fs, options) : new StrataFuse(fs, options);
        } catch (LinkageError | RuntimeException e) {
            // jnr-fuse loads libfuse.so.2 here (Debian: libfuse2, Ubuntu 24.04: libfuse2t64)
            throw new IOException("cannot load libfuse 2 (is the libfuse2 package installed?): " + e, e);
        }
        MountSession session = new MountSession(mnt, fuse);
        fuse.setUmountHook(session::closeQuietly);
        session.startLoop(args, options.debug());
        try {
            session.awaitLive(timeout);
        } catch (IOException | RuntimeException | Error e) {
            session.closeQuietly();
            throw e;
        }
        LOG.info("mounted {} (fuse args {})", mnt, args);
        return session;
    }

    private static FuseEngine newLowLevel(FsBackend fs, FuseOptions options) throws IOException {
        try {
            return new LowLevelFuse(fs, options);
        } catch (LinkageError | RuntimeException e) {
            // libfuse3.so.3: Debian's libfuse3-3 (Ubuntu 24.04: libfuse3-4), pulled in by fuse3
            throw new IOException("cannot load libfuse 3 (install the fuse3 package, or mount with -o highlevel"
                    + " to use libfuse 2): " + e, e);
        }
    }

    /**
     * jnr-ffi decodes the paths libfuse hands us with the JVM's default charset, and java.nio
     * encodes host paths with sun.jnu.encoding (from the locale): anything but UTF-8 turns
     * non-ASCII file names into '?' or errors. Run with LC_ALL=C.UTF-8 and -Dfile.encoding=UTF-8.
     */
    private static void warnUnlessUtf8() {
        String jnu = System.getProperty("sun.jnu.encoding", "");
        String def = java.nio.charset.Charset.defaultCharset().name();
        if (!def.equalsIgnoreCase("UTF-8") || !(jnu.equalsIgnoreCase("UTF-8") || jnu.equalsIgnoreCase("UTF8"))) {
            LOG.warn("default charset {} / sun.jnu.encoding {}: non-ASCII file names will be mangled; "
                    + "run the JVM with LC_ALL=C.UTF-8 and -Dfile.encoding=UTF-8", def, jnu);
        }
    }

    public Path mountPoint() {
        return mountPoint;
    }

    /** True while the FUSE loop runs. */
    public boolean isRunning() {
        return loopEnded.getCount() > 0;
    }

    /** Blocks until the filesystem is unmounted from outside (fusermount -u, umount) or closed. */
    public void awaitUnmounted() throws InterruptedException {
        loopEnded.await();
    }

    /** As {@link #awaitUnmounted()} with a bound; true when the loop has ended. */
    public boolean awaitUnmounted(long timeout, TimeUnit unit) throws InterruptedException {
        return loopEnded.await(timeout, unit);
    }

    /** Requests answered EIO because of a bug (an unexpected exception) so far. */
    public long unexpectedFailures() {
        return fuse.guard().unexpectedCount();
    }

    /** Requests of one operation served so far, -1 when the engine does not count (tests). */
    long requestCount(String op) {
        return fuse.requestCount(op);
    }

    /** Names of the threads FUSE callbacks ran on so far (tests check they are the loop's workers). */
    java.util.Set<String> callbackThreadNames() {
        return fuse.callbackThreadNames();
    }

    private void startLoop(List<String> args, boolean debug) {
        Thread t = new Thread(() -> {
            try {
                fuse.runLoop(mountPoint, args, debug);
            } catch (Throwable e) {
                loopFailure = e;
            } finally {
                loopEnded.countDown();
                LOG.debug("FUSE loop for {} ended", mountPoint);
            }
        }, "stratafs-fuse-loop " + mountPoint);
        // A forgotten session must not keep the JVM alive; the shutdown hook unmounts it.
        t.setDaemon(true);
        t.start();
    }

    private void awaitLive(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String lastProblem = "FUSE init not seen";
        try {
            while (true) {
                if (loopEnded.getCount() == 0) {
                    Throwable f = loopFailure;
                    throw new IOException("FUSE loop for " + mountPoint + " ended before the mount came up"
                            + (f != null ? ": " + describe(f) : ""), f);
                }
                if (fuse.awaitInit(PROBE_INTERVAL_MS, TimeUnit.MILLISECONDS)) {
                    Optional<MountTable.Entry> e = MountTable.read().find(mountPoint);
                    if (e.isEmpty() || !e.get().isFuse()) {
                        lastProblem = "init seen but " + mountPoint + " is not a fuse mount in " + MountTable.MOUNTINFO;
                        Thread.sleep(PROBE_INTERVAL_MS);
                    } else {
                        connectionMinor = e.get().minor(); // for close() to abort, should the stat hang
                        String statProblem = probeStat(deadline);
                        if (statProblem == null) return;
                        lastProblem = statProblem;
                        Thread.sleep(PROBE_INTERVAL_MS);
                    }
                }
                if (System.nanoTime() - deadline > 0) {
                    throw new IOException("mount of " + mountPoint + " did not come up within "
                            + timeout.toSeconds() + " s (" + lastProblem + ")");
                }
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + mountPoint + " to mount");
        }
    }

    /**
     * Stats the mounted root from a child process: a thread of this process waiting on its own
     * mount would pin the process should it be killed meanwhile (the kernel cannot finish the
     * exit while a thread waits for an answer only this process could give; the mount then
     * hangs until aborted through fusectl). A child is killable and never holds the daemon.
     * null when the stat succeeded, else what went wrong.
     */
    private String probeStat(long deadline) throws InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder("stat", "-c", "%i", "--", mountPoint.toString())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectErrorStream(false)
                    .start();
        } catch (IOException e) {
            return "cannot run stat(1) to probe the mount: " + e.getMessage();
        }
        try {
            if (!p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return "stat of the mounted root did not answer";
            }
            if (p.exitValue() != 0) {
                String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
                return "stat of the mounted root failed: " + err;
            }
            return null;
        } catch (IOException e) {
            return "stat of the mounted root failed: " + e.getMessage();
        } finally {
            if (p.isAlive()) p.destroyForcibly();
        }
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            sb.append(" <- ").append(c);
        }
        return sb.toString();
    }

    /**
     * Unmounts (if still mounted) and waits, bounded, for the FUSE loop to end. Idempotent and
     * safe from several threads: later callers wait for the first. Throws when the mountpoint is
     * still a FUSE mount afterwards.
     */
    @Override
    public void close() throws IOException {
        if (!closing.compareAndSet(false, true)) {
            try {
                closed.await(LOOP_EXIT_TIMEOUT.toSeconds() * 3, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (closeFailure != null) throw closeFailure;
            return;
        }
        try {
            doClose();
        } catch (IOException e) {
            closeFailure = e;
            throw e;
        } finally {
            closed.countDown();
        }
    }

    private void doClose() throws IOException {
        boolean interrupted = false;
        Unmounter.Outcome outcome = null;
        if (isMountedHere()) {
            outcome = Unmounter.unmount(mountPoint);
        }
        Duration wait = outcome != null && outcome.lazy() ? LAZY_GRACE : LOOP_EXIT_TIMEOUT;
        try {
            if (!loopEnded.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                // Lazily detached but still referenced (an open file, a cwd): cut the connection.
                // After an abort the loop ends at once unless a request is stuck in the filesystem;
                // then it ends when that request returns, and waiting longer here does not help.
                if (Unmounter.abortConnection(connectionMinor)) {
                    loopEnded.await(LAZY_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
                if (loopEnded.getCount() > 0) {
                    LOG.warn("FUSE loop for {} still running after unmount (a request has not returned)", mountPoint);
                }
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) Thread.currentThread().interrupt();
        if (isMountedHere()) {
            throw new IOException("could not unmount " + mountPoint
                    + (outcome != null ? ": " + outcome.failures() : ""));
        }
        LOG.info("unmounted {}", mountPoint);
    }

    private boolean isMountedHere() {
        try {
            return MountTable.read().hasFuseAt(mountPoint);
        } catch (IOException e) {
            // Cannot tell: try to unmount anyway; the commands fail harmlessly when nothing is there.
            return true;
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("unmounting {}: {}", mountPoint, e.toString());
        }
    }
}
