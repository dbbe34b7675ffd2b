package dev.stratafs.fuse.jnr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A libfuse 3 low-level session served by Java worker threads ({@link WorkerPool}):
 * fuse_session_new, _mount, then workers looping over fuse_session_receive_buf /
 * fuse_session_process_buf (what libfuse's fuse_session_loop_mt does on pthreads;
 * lib/fuse_loop_mt.c), then _unmount and _destroy.
 */
final class Fuse3Loop {
    /** fuse_kernel.h: struct fuse_in_header { uint32_t len; uint32_t opcode; ... }. */
    private static final int OPCODE_OFFSET = 4;
    /** struct fuse_buf (fuse_common.h): size_t size; enum flags; void *mem; int fd; off_t pos. */
    private static final int FUSE_BUF_SIZE = 40;
    private static final int FUSE_BUF_MEM = 16;
    /** struct fuse_args (fuse_opt.h): int argc; char **argv; int allocated. */
    private static final int FUSE_ARGS_SIZE = 24;

    private final LibFuse3 lib;
    private final Pointer session;
    private final String name;
    private final DirectLane lane;
    private final SpinWindow spin;
    private int fd = -1;
    private int error;

    private Fuse3Loop(LibFuse3 lib, Pointer session, String name, DirectLane lane, SpinWindow spin) {
        this.spin = spin;
        this.lib = lib;
        this.session = session;
        this.name = name;
        this.lane = lane;
    }

    /** Requests answered in Java, without libfuse's dispatch and its callback into the JVM. */
    interface DirectLane {
        /**
         * Answers the request at {@code request} ({@code length} bytes, struct fuse_in_header
         * first) by writing its reply to {@code fd}, or returns false to leave it to libfuse.
         */
        boolean serve(int fd, Pointer request, int length);
    }

    /** Runs once the session is mounted, before the first request (INIT) is read. */
    interface Mounted {
        void mounted(Pointer session, int fd);
    }

    static LibFuse3 lib() {
        return Lib.INSTANCE;
    }

    /** Bound on first use. The runtime package installs libfuse3.so.3 only (the unversioned name is -dev's). */
    private static final class Lib {
        static final LibFuse3 INSTANCE = NativeLibs.load(LibFuse3.class, "libfuse3.so.3", "fuse3");
    }

    /**
     * Creates the session from {@code argv} (argv[0] the program name, then -o words and -d),
     * mounts it at {@code mountPoint}, serves requests until unmounted, then unmounts (when still
     * mounted) and destroys the session, which calls the destroy operation on this thread.
     */
    static void run(List<String> argv, Fuse3Ops ops, String mountPoint, DirectLane lane, SpinWindow spin,
                    Mounted mounted) throws IOException {
        LibFuse3 lib = lib();
        Runtime rt = Runtime.getSystemRuntime();
        Pointer args = Memory.allocateDirect(rt, FUSE_ARGS_SIZE, true);
        Pointer vec = Memory.allocateDirect(rt, (argv.size() + 1) * rt.addressSize(), true);
        Pointer[] strings = new Pointer[argv.size()];
        for (int i = 0; i < argv.size(); i++) {
            byte[] b = argv.get(i).getBytes(StandardCharsets.UTF_8);
            strings[i] = Memory.allocateDirect(rt, b.length + 1, true);
            strings[i].put(0, b, 0, b.length);
            vec.putPointer((long) i * rt.addressSize(), strings[i]);
        }
        args.putInt(0, argv.size());
        args.putPointer(8, vec);
        Pointer se = lib.fuse_session_new(args, ops.memory(), ops.size(), null);
        lib.fuse_opt_free_args(args);
        if (se == null) {
            throw new IOException("libfuse 3 refused the options (fuse_session_new failed, its reason is on stderr): "
                    + String.join(" ", argv));
        }
        Fuse3Loop loop = new Fuse3Loop(lib, se, mountPoint, lane, spin);
        try {
            if (lib.fuse_session_mount(se, mountPoint) != 0) {
                throw new IOException("libfuse 3 could not mount " + mountPoint + " (its reason is on stderr)");
            }
            loop.fd = lib.fuse_session_fd(se);
            mounted.mounted(se, loop.fd);
            try {
                loop.serve();
            } finally {
                lib.fuse_session_unmount(se);
            }
        } finally {
            // Only once no worker is left in libfuse: destroy frees the session they use.
            lib.fuse_session_destroy(se);
        }
        if (loop.error != 0) {
            throw new IOException("reading /dev/fuse for " + mountPoint + " failed with errno " + -loop.error);
        }
    }

    private void serve() throws IOException {
        error = new WorkerPool(() -> lib.fuse_session_exited(session) != 0, () -> lib.fuse_session_exit(session),
                BufWorker::new, new PendingRequests(fd), spin, true, name).serve();
    }

    /** A struct fuse_buf whose memory libfuse mallocs on the first receive and reuses. */
    private final class BufWorker implements WorkerPool.Worker {
        private final Pointer buf = Memory.allocateDirect(Runtime.getSystemRuntime(), FUSE_BUF_SIZE, true);
        private Pointer mem;

        @Override
        public int receive() {
            return lib.fuse_session_receive_buf(session, buf);
        }

        @Override
        public int opcode() {
            return request().getInt(OPCODE_OFFSET);
        }

        @Override
        public void process(int length) {
            if (lane.serve(fd, request(), length)) return;
            lib.fuse_session_process_buf(session, buf);
        }

        /**
         * The request just received. libfuse mallocs this memory on the first receive and keeps
         * it; requests are read into it, never spliced (libfuse asks for FUSE_CAP_SPLICE_READ only
         * for a filesystem with a write_buf operation, which this one has not).
         */
        private Pointer request() {
            if (mem == null) mem = buf.getPointer(FUSE_BUF_MEM);
            return mem;
        }

        @Override
        public void close() {
            Pointer m = buf.getPointer(FUSE_BUF_MEM);
            if (m != null && m.address() != 0) lib.free(m);
        }
    }
}
