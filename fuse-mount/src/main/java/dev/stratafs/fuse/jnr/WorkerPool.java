package dev.stratafs.fuse.jnr;

import dev.stratafs.fuse.errno.Errno;
import java.io.IOException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request loop of both engines ({@link FuseLoop} for libfuse 2, {@link Fuse3Loop} for
 * libfuse 3) on Java threads. libfuse's own loops run callbacks on native pthreads, and jffi
 * attaches such a thread to the JVM for every callback and detaches it afterwards (jnr-ffi issue
 * #125): a JVM thread start per request, which cost ~30x the filesystem's own work. Java threads
 * are attached for good.
 *
 * <p>The pool grows as libfuse's does (lib/fuse_loop_mt.c fuse_do_work): a new worker whenever
 * a request leaves none idle (FORGETs excepted: they come in bursts and need no answer), and a
 * worker leaves when more than {@link #MAX_IDLE} are idle. Unlike libfuse's it is capped at
 * {@link #MAX_WORKERS}; further requests wait in the kernel's queue.
 */
final class WorkerPool {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerPool.class);
    /** libfuse fuse_do_work: a worker ends when more than this many are idle. */
    static final int MAX_IDLE = 10;
    static final int MAX_WORKERS = 32;
    /** Tests and thread dumps know the workers of either engine by this prefix. */
    static final String WORKER_PREFIX = "stratafs-fuse-worker-";
    /** fuse_kernel.h opcodes that get no reply. */
    private static final int FUSE_FORGET = 2;
    private static final int FUSE_BATCH_FORGET = 42;

    /** One worker's side of the session. */
    interface Worker {
        /** Reads one request: its length, 0 once the session is over, or -errno. */
        int receive();

        /** The opcode of the request just received (struct fuse_in_header). */
        int opcode();

        /** Has libfuse process the request just received; replies go out before it returns. */
        void process(int length);

        /** Frees what the worker holds; on its own thread, once it leaves. */
        void close();
    }

    private final BooleanSupplier exited;
    private final Runnable exit;
    private final Supplier<Worker> newWorker;
    private final boolean multithreaded;
    private final String name;
    // Guarded by this: running workers, how many of them wait for a request, names handed out.
    private int workers;
    private int idle;
    private int started;
    private volatile int error;

    /**
     * @param exited whether the engine's session has ended
     * @param exit ends the session (all workers leave)
     * @param newWorker per-thread state (a request buffer) for a new worker, made on its thread
     */
    WorkerPool(BooleanSupplier exited, Runnable exit, Supplier<Worker> newWorker, boolean multithreaded, String name) {
        this.exited = exited;
        this.exit = exit;
        this.newWorker = newWorker;
        this.multithreaded = multithreaded;
        this.name = name;
    }

    /**
     * Serves until the session ends and every worker is out (only then may the caller free the
     * session). Returns 0, or the -errno that ended the loop.
     */
    int serve() throws IOException {
        synchronized (this) {
            startWorker();
            if (workers == 0) throw new IOException("could not start a FUSE worker thread");
            // Interrupts cannot end the loop early: the workers must be out before teardown.
            boolean interrupted = false;
            while (workers > 0) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        return error;
    }

    /** Holding the monitor. */
    private void startWorker() {
        if (workers >= MAX_WORKERS) return;
        Thread t = new Thread(this::work, WORKER_PREFIX + (++started) + " " + name);
        // Like the loop thread: a forgotten mount must not keep the JVM alive.
        t.setDaemon(true);
        try {
            t.start();
        } catch (OutOfMemoryError e) {
            LOG.warn("cannot start another FUSE worker ({} running): {}", workers, e.toString());
            return;
        }
        workers++;
        idle++;
    }

    private void work() {
        Worker w = null;
        boolean countedOut = false;
        try {
            w = newWorker.get();
            while (!exited.getAsBoolean()) {
                int res = w.receive();
                if (res == -Errno.EINTR || res == -Errno.EAGAIN) continue;
                if (res <= 0) {
                    // 0: unmounted (libfuse saw ENODEV and exited the session) or exited already.
                    if (res < 0 && res != -Errno.ENODEV) error = res;
                    exit.run();
                    break;
                }
                int opcode = w.opcode();
                boolean forget = opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET;
                synchronized (this) {
                    if (!forget) idle--;
                    if (idle <= 0 && multithreaded && !exited.getAsBoolean()) startWorker();
                }
                try {
                    w.process(res);
                } finally {
                    synchronized (this) {
                        if (!forget) idle++;
                        // Decided and counted out under one lock: two workers finishing together
                        // must not both see "too many idle" and leave the pool empty.
                        if (idle > MAX_IDLE) {
                            countedOut = true;
                            leave();
                        }
                    }
                }
                if (countedOut) return;
            }
        } catch (Throwable t) {
            // A bug here (callbacks answer their own failures): end the loop rather than hang it.
            LOG.error("FUSE worker failed; ending the session", t);
            error = -Errno.EIO;
            exit.run();
        } finally {
            if (w != null) w.close();
            if (!countedOut) {
                synchronized (this) {
                    leave();
                }
            }
        }
    }

    /** Holding the monitor: one idle worker leaves. */
    private void leave() {
        workers--;
        idle--;
        notifyAll();
    }
}
