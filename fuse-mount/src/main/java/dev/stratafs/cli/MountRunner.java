package dev.stratafs.cli;

import dev.stratafs.core.OverlayFs;
import dev.stratafs.fuse.mount.MountSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Serves one mount in this process until it is unmounted: opens the stack, mounts it, reports
 * readiness, and waits. SIGTERM, SIGINT and SIGHUP unmount cleanly and end with status 0; so
 * does an unmount from outside (fusermount -u, umount), after which the process exits by itself
 * as container engines expect (they send no signal).
 */
final class MountRunner {
    private static final Logger LOG = LoggerFactory.getLogger(MountRunner.class);

    /** Told once the mount is live; a daemon child relays this to the waiting parent. */
    interface Readiness {
        void ready();
    }

    private MountRunner() {}

    /** The mountpoint must be a directory; a dead FUSE mount there gets a message of its own. */
    static void requireMountPoint(Path mountPoint) throws CliException {
        if (MountTable.isFuseMountedAt(mountPoint) && !answersStatfs(mountPoint)) {
            throw new CliException("mountpoint " + mountPoint + " holds a dead FUSE mount (its daemon is gone);"
                    + " unmount it first: fusermount -u " + mountPoint);
        }
        if (!Files.isDirectory(mountPoint)) {
            throw new CliException("mountpoint " + mountPoint + " is not a directory");
        }
    }

    /**
     * A FUSE mount whose daemon died answers ENOTCONN, but a stat may still be served from the
     * kernel's attribute cache for a while (attr_timeout); statfs is never cached, so ask that.
     */
    private static boolean answersStatfs(Path mountPoint) {
        try {
            Files.getFileStore(mountPoint).getTotalSpace();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** @return the exit status once unmounted; throws when the mount cannot be set up */
    static int run(MountRequest req, Readiness readiness) throws CliException {
        req.notes().forEach(n -> LOG.debug("{}", n));
        if (LOG.isDebugEnabled()) {
            LOG.debug("stack {} fuse options {}", req.stack(), describe(req));
        }
        requireMountPoint(req.mountPoint());
        OverlayFs fs;
        try {
            fs = OverlayFs.open(req.stack());
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new CliException("cannot open the layers: " + message(e), e);
        }
        // Signal handlers go in before the mount: a SIGTERM that arrives as soon as the mount is
        // visible must unmount and exit 0, not kill the JVM with status 143.
        AtomicReference<MountSession> current = new AtomicReference<>();
        AtomicBoolean stopRequested = new AtomicBoolean();
        AtomicBoolean stopping = new AtomicBoolean();
        AtomicBoolean ended = new AtomicBoolean();
        Runnable unmount = () -> {
            stopRequested.set(true);
            MountSession s = current.get();
            if (s == null || ended.get()) {
                return;
            }
            if (stopping.compareAndSet(false, true)) {
                LOG.info("unmounting {}", req.mountPoint());
            }
            try {
                s.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("unmount of {} failed: {}", req.mountPoint(), message(e));
            }
        };
        for (String sig : new String[] {"TERM", "INT", "HUP"}) {
            try {
                // Off the signal dispatcher thread: close() may wait for fusermount.
                Signal.handle(new Signal(sig), x -> new Thread(unmount, "stratafs-signal-" + sig).start());
            } catch (IllegalArgumentException e) {
                LOG.debug("cannot handle SIG{}: {}", sig, e.getMessage());
            }
        }
        // Still unmount when the JVM is told to exit some other way (System.exit, SIGQUIT...).
        Runtime.getRuntime().addShutdownHook(new Thread(unmount, "stratafs-shutdown"));
        MountSession session;
        try {
            session = MountSession.mount(fs, req.mountPoint(), req.fuse());
        } catch (IOException | RuntimeException | LinkageError e) {
            fs.close();
            throw new CliException("cannot mount " + req.mountPoint() + ": " + message(e), e);
        }
        current.set(session);
        if (stopRequested.get()) {
            unmount.run(); // a signal came while mounting
        }
        LOG.info("mounted {} at {}", req.stack().lowers(), req.mountPoint());
        readiness.ready();
        try {
            session.awaitUnmounted();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unmount.run();
        }
        ended.set(true);
        LOG.info("{} unmounted, exiting", req.mountPoint());
        try {
            session.close(); // idempotent; releases what the session still holds
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing the ended session: {}", message(e));
        }
        fs.close();
        return 0;
    }

    static String message(Throwable e) {
        if (e instanceof NoClassDefFoundError && NativeWarmup.failure() != null) {
            e = NativeWarmup.failure(); // the class failed to initialize there first
        }
        if (e instanceof ExceptionInInitializerError && e.getCause() != null) {
            e = e.getCause();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String describe(MountRequest req) {
        var f = req.fuse();
        return "timeout=" + f.timeoutSeconds() + " allow_other=" + f.allowOther()
                + " default_permissions=" + f.defaultPermissions() + " squash=" + f.squashUid() + "/" + f.squashGid()
                + " uidmap=" + f.uidMap() + " gidmap=" + f.gidMap() + " static_nlink=" + f.staticNlink()
                + " noacl=" + f.noAcl() + " xattr_permissions=" + f.xattrPermissions() + " fsname=" + f.fsName()
                + " writeback=" + f.writeback() + " passthrough=" + f.passthrough()
                + " busy_poll=" + f.busyPollMicros();
    }
}
