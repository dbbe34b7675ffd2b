package dev.stratafs.fuse.jnr;

import dev.stratafs.fuse.errno.Errno;
import java.io.IOException;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * fuse_main_real rebuilt from libfuse 2.9's parts (lib/helper.c fuse_main_common,
 * lib/fuse_loop_mt.c fuse_do_work) with the workers as Java threads. libfuse's own loop runs
 * callbacks on native pthreads, and jffi attaches such a thread to the JVM for every callback and
 * detaches it afterwards (jnr-ffi issue #125): a JVM thread start per request, which cost ~30x
 * the filesystem's own work. Java threads are attached for good.
 *
 * <p>The pool grows as libfuse's does: a new worker whenever a request leaves none idle (FORGETs
 * excepted, they come in bursts and need no answer), and a worker leaves when more than
 * {@link #MAX_IDLE} are idle. Unlike libfuse's it is capped at {@link #MAX_WORKERS}; further
 * requests wait in the kernel's queue.
 *
 * <p>Workers read requests from libfuse's kernel channel but have them processed on a
 * {@link ReplyChannel}, which sees each reply before it goes to the kernel.
 */
final class FuseLoop {
    private static final Logger LOG = LoggerFactory.getLogger(FuseLoop.class);
    /** libfuse 2.9 fuse_do_work: a worker ends when more than this many are idle. */
    static final int MAX_IDLE = 10;
    static final int MAX_WORKERS = 32;
    static final String WORKER_PREFIX = "stratafs-fuse-worker-";
    /** fuse_kernel.h: struct fuse_in_header { uint32_t len; uint32_t opcode; ... }. */
    private static final int OPCODE_OFFSET = 4;
    private static final int FUSE_FORGET = 2;
    private static final int FUSE_BATCH_FORGET = 42;

    private static volatile LibFuseLoop library;

    private final LibFuseLoop lib;
    private final Pointer fuse;
    private final Pointer session;
    private final Pointer channel;
    private final ReplyChannel replies;
    private final long bufSize;
    private final boolean multithreaded;
    private final String name;
    // Guarded by this: running workers, how many of them wait for a request, names handed out.
    private int workers;
    private int idle;
    private int started;
    private volatile int error;

    private FuseLoop(LibFuseLoop lib, Pointer fuse, boolean multithreaded, String name) throws IOException {
        this.lib = lib;
        this.fuse = fuse;
        this.session = lib.fuse_get_session(fuse);
        this.channel = lib.fuse_session_next_chan(session, null);
        this.replies = new ReplyChannel(lib, channel);
        this.bufSize = lib.fuse_chan_bufsize(channel);
        this.multithreaded = multithreaded;
        this.name = name;
    }

    /** The same libfuse.so.2 jnr-fuse binds (dlopen shares it), so one fuse_get_context. */
    private static LibFuseLoop lib() {
        LibFuseLoop l = library;
        if (l == null) {
            synchronized (FuseLoop.class) {
                l = library;
                if (l == null) {
                    try {
                        l = LibraryLoader.create(LibFuseLoop.class).failImmediately().load("fuse");
                    } catch (LinkageError | RuntimeException e) {
                        l = LibraryLoader.create(LibFuseLoop.class).failImmediately().load("libfuse.so.2");
                    }
                    library = l;
                }
            }
        }
        return l;
    }

    /**
     * Mounts with {@code argv} (argv[0] the program name; -f keeps libfuse from daemonizing),
     * serves requests until the filesystem is unmounted, then tears down, which calls the destroy
     * operation on this thread. Throws when libfuse refuses to mount or the loop failed.
     */
    static void run(List<String> argv, Pointer operations, long operationsSize, String name) throws IOException {
        LibFuseLoop lib = lib();
        Runtime rt = Runtime.getSystemRuntime();
        Pointer mountPointOut = Memory.allocateDirect(rt, rt.addressSize(), true);
        Pointer multithreadedOut = Memory.allocateDirect(rt, Integer.BYTES, true);
        String[] args = argv.toArray(new String[0]);
        Pointer fuse = lib.fuse_setup(args.length, args, operations, operationsSize, mountPointOut, multithreadedOut, null);
        if (fuse == null) {
            throw new IOException("libfuse refused to mount (fuse_setup failed, its reason is on stderr): "
                    + String.join(" ", argv));
        }
        Pointer mountPoint = mountPointOut.getPointer(0);
        FuseLoop loop = null;
        try {
            loop = new FuseLoop(lib, fuse, multithreadedOut.getInt(0) != 0, name);
            loop.serve();
        } finally {
            // Only once no worker is left in libfuse: teardown frees the session they use.
            if (loop != null) loop.replies.close();
            lib.fuse_teardown(fuse, mountPoint);
        }
        if (loop.error != 0) {
            throw new IOException("reading /dev/fuse for " + name + " failed with errno " + -loop.error);
        }
    }

    private void serve() throws IOException {
        if (lib.fuse_start_cleanup_thread(fuse) != 0) {
            throw new IOException("libfuse could not start its cleanup thread");
        }
        try {
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
        } finally {
            lib.fuse_stop_cleanup_thread(fuse);
        }
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
        Runtime rt = Runtime.getSystemRuntime();
        Pointer buf = Memory.allocateDirect(rt, Math.toIntExact(bufSize));
        // fuse_chan_recv takes struct fuse_chan ** (a channel may hand over to another).
        Pointer chp = Memory.allocateDirect(rt, rt.addressSize());
        replies.bindWorker(buf);
        try {
            while (lib.fuse_session_exited(session) == 0) {
                chp.putPointer(0, channel);
                int res = lib.fuse_chan_recv(chp, buf, bufSize);
                if (res == -Errno.EINTR || res == -Errno.EAGAIN) continue;
                if (res <= 0) {
                    // 0: unmounted (libfuse saw ENODEV and exited the session) or exited already.
                    if (res < 0 && res != -Errno.ENODEV) error = res;
                    lib.fuse_session_exit(session);
                    break;
                }
                int opcode = buf.getInt(OPCODE_OFFSET);
                boolean forget = opcode == FUSE_FORGET || opcode == FUSE_BATCH_FORGET;
                synchronized (this) {
                    if (!forget) idle--;
                    if (idle <= 0 && multithreaded && lib.fuse_session_exited(session) == 0) startWorker();
                }
                try {
                    // Replies go out through the reply channel, on this thread, before process returns.
                    lib.fuse_session_process(session, buf, res, replies.pointer());
                } finally {
                    synchronized (this) {
                        if (!forget) idle++;
                    }
                }
                synchronized (this) {
                    if (idle > MAX_IDLE) return; // the finally below counts this worker out
                }
            }
        } catch (Throwable t) {
            // A bug here (callbacks answer their own failures): end the loop rather than hang it.
            LOG.error("FUSE worker failed; ending the session", t);
            error = -Errno.EIO;
            lib.fuse_session_exit(session);
        } finally {
            replies.unbindWorker();
            synchronized (this) {
                workers--;
                idle--;
                notifyAll();
            }
        }
    }
}
