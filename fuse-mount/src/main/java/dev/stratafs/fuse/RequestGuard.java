package dev.stratafs.fuse;

import dev.stratafs.fuse.errno.Errno;
import dev.stratafs.fuse.errno.ErrnoMapper;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one wrapper around every FUSE request: runs it, and turns whatever it throws into the
 * negative errno libfuse expects, so that no request can kill the daemon. Expected failures
 * (ENOENT of a lookup, EEXIST, ...) are routine and logged at trace only; unexpected ones (bugs)
 * answer EIO and are logged with their stack the first time each kind is seen, then only counted,
 * so that a bug on a hot path cannot flood the log. A request that found nothing while the
 * engine's names moved runs again (see {@link #RequestGuard(LongSupplier)}).
 */
public final class RequestGuard {
    private static final Logger LOG = LoggerFactory.getLogger(RequestGuard.class);
    /** Bound on distinct failure signatures remembered. */
    private static final int MAX_SIGNATURES = 1024;

    /** A request body: returns a non-negative result (0, a byte count, a size). */
    @FunctionalInterface
    public interface Request {
        int run() throws Exception;
    }

    /** Tries of a request that kept finding nothing while names moved (bounds a rename storm). */
    static final int MAX_ATTEMPTS = 5;

    private final ConcurrentHashMap<String, AtomicLong> seen = new ConcurrentHashMap<>();
    private final AtomicLong unexpectedCount = new AtomicLong();
    private final LongSupplier namesEpoch;

    /** A guard for an engine whose paths never go stale (libfuse keeps them): no retries. */
    public RequestGuard() {
        this(() -> 0);
    }

    /**
     * @param namesEpoch changes whenever the engine's node names move ({@link NodeTable#namesEpoch}):
     *        a request answering ENOENT or ESTALE after it changed read a path a rename made stale,
     *        and runs again
     */
    public RequestGuard(LongSupplier namesEpoch) {
        this.namesEpoch = namesEpoch;
    }

    /**
     * Runs {@code body}; on failure answers minus the mapped errno. {@code what} names the object
     * (a path, a node id) and is turned into text only if the body fails.
     */
    public int run(String op, Object what, Request body) {
        for (int attempt = 1; ; attempt++) {
            long epoch = namesEpoch.getAsLong();
            int r;
            try {
                r = body.run();
            } catch (Throwable t) {
                if (attempt < MAX_ATTEMPTS && namesEpoch.getAsLong() != epoch && isMiss(ErrnoMapper.map(t).errno())) continue;
                return fail(op, String.valueOf(what), t);
            }
            // A body may answer a miss itself (a LOOKUP's negative entry).
            if (r < 0 && isMiss(-r) && attempt < MAX_ATTEMPTS && namesEpoch.getAsLong() != epoch) continue;
            return r;
        }
    }

    /** What a stale path looks like: nothing there (ENOENT), or a node that lost its name (ESTALE). */
    private static boolean isMiss(int errno) {
        return errno == Errno.ENOENT || errno == Errno.ESTALE;
    }

    /** Maps a failure caught elsewhere (e.g. while filling a struct) the same way. */
    public int fail(String op, String path, Throwable t) {
        ErrnoMapper.Mapped m = ErrnoMapper.map(t);
        if (m.unexpected()) {
            logUnexpected(op, path, t);
        } else if (LOG.isTraceEnabled()) {
            LOG.trace("{} {}: errno {} ({})", op, path, m.errno(), t.getMessage());
        }
        return -m.errno();
    }

    /** How many unexpected failures have been answered with EIO (for tests and diagnostics). */
    public long unexpectedCount() {
        return unexpectedCount.get();
    }

    private void logUnexpected(String op, String path, Throwable t) {
        unexpectedCount.incrementAndGet();
        StackTraceElement[] st = t.getStackTrace();
        String signature = op + ':' + t.getClass().getName() + (st.length > 0 ? "@" + st[0] : "");
        AtomicLong n = seen.get(signature);
        if (n == null && seen.size() < MAX_SIGNATURES) {
            n = seen.computeIfAbsent(signature, k -> new AtomicLong());
        }
        long count = n == null ? 2 : n.incrementAndGet();
        if (count == 1) {
            LOG.error("unexpected failure in {} {} (answered EIO; repeats of this failure are logged at debug)", op, path, t);
        } else {
            LOG.debug("unexpected failure in {} {} (seen {} times): {}", op, path, count, t.toString());
        }
    }
}
