package dev.stratafs.fuse.jnr;

import java.io.IOException;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * fuse_main_real rebuilt from libfuse 2.9's parts (lib/helper.c fuse_main_common,
 * lib/fuse_loop_mt.c fuse_do_work) with the workers as Java threads ({@link WorkerPool}).
 *
 * <p>Workers read requests from libfuse's kernel channel but have them processed on a
 * {@link ReplyChannel}, which sees each reply before it goes to the kernel.
 */
final class FuseLoop {
    /** fuse_kernel.h: struct fuse_in_header { uint32_t len; uint32_t opcode; ... }. */
    private static final int OPCODE_OFFSET = 4;

    private final LibFuseLoop lib;
    private final Pointer fuse;
    private final Pointer session;
    private final Pointer channel;
    private final ReplyChannel replies;
    private final long bufSize;
    private final boolean multithreaded;
    private final String name;
    private final SpinWindow spin;
    private int error;

    private FuseLoop(LibFuseLoop lib, Pointer fuse, boolean multithreaded, String name, SpinWindow spin) throws IOException {
        this.spin = spin;
        this.lib = lib;
        this.fuse = fuse;
        this.session = lib.fuse_get_session(fuse);
        this.channel = lib.fuse_session_next_chan(session, null);
        this.replies = new ReplyChannel(lib, channel);
        this.bufSize = lib.fuse_chan_bufsize(channel);
        this.multithreaded = multithreaded;
        this.name = name;
    }

    /** The same libfuse.so.2 jnr-fuse binds (dlopen shares it), so one fuse_get_context. Bound on first use. */
    private static final class Lib {
        static final LibFuseLoop INSTANCE = NativeLibs.load(LibFuseLoop.class, "fuse", "libfuse.so.2");
    }

    /**
     * Mounts with {@code argv} (argv[0] the program name; -f keeps libfuse from daemonizing),
     * serves requests until the filesystem is unmounted, then tears down, which calls the destroy
     * operation on this thread. Throws when libfuse refuses to mount or the loop failed.
     */
    static void run(List<String> argv, Pointer operations, long operationsSize, String name, SpinWindow spin)
            throws IOException {
        LibFuseLoop lib = Lib.INSTANCE;
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
            loop = new FuseLoop(lib, fuse, multithreadedOut.getInt(0) != 0, name, spin);
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
            error = new WorkerPool(() -> lib.fuse_session_exited(session) != 0, () -> lib.fuse_session_exit(session),
                    ChannelWorker::new, new PendingRequests(lib.fuse_chan_fd(channel)), spin, multithreaded, name).serve();
        } finally {
            lib.fuse_stop_cleanup_thread(fuse);
        }
    }

    /** A request buffer read from the kernel channel, processed on the reply channel. */
    private final class ChannelWorker implements WorkerPool.Worker {
        private final Pointer buf;
        // fuse_chan_recv takes struct fuse_chan ** (a channel may hand over to another).
        private final Pointer chp;

        ChannelWorker() {
            Runtime rt = Runtime.getSystemRuntime();
            buf = Memory.allocateDirect(rt, Math.toIntExact(bufSize));
            chp = Memory.allocateDirect(rt, rt.addressSize());
            replies.bindWorker(buf);
        }

        @Override
        public int receive() {
            chp.putPointer(0, channel);
            return lib.fuse_chan_recv(chp, buf, bufSize);
        }

        @Override
        public int opcode() {
            return buf.getInt(OPCODE_OFFSET);
        }

        @Override
        public void process(int length) {
            // Replies go out through the reply channel, on this thread, before process returns.
            lib.fuse_session_process(session, buf, length, replies.pointer());
        }

        @Override
        public void close() {
            replies.unbindWorker();
        }
    }
}
