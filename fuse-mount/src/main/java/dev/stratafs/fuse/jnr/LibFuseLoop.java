package dev.stratafs.fuse.jnr;

import jnr.ffi.Pointer;
import jnr.ffi.types.size_t;

/**
 * The pieces of libfuse 2.9 that fuse_main_real is made of (lib/helper.c, lib/fuse_loop_mt.c),
 * so that {@link FuseLoop} can run the request loop on Java threads. Public only because jnr-ffi
 * implements it in a class loader of its own.
 */
public interface LibFuseLoop {
    /** Parses the command line (-f, -s, -d, -o), mounts, creates the fuse; NULL on failure. */
    Pointer fuse_setup(int argc, String[] argv, Pointer op, @size_t long opSize, Pointer mountpoint,
            Pointer multithreaded, Pointer userData);

    /** Unmounts (unless gone already), calls the destroy operation, frees the fuse and mountpoint. */
    void fuse_teardown(Pointer fuse, Pointer mountpoint);

    Pointer fuse_get_session(Pointer fuse);

    Pointer fuse_session_next_chan(Pointer se, Pointer ch);

    @size_t long fuse_chan_bufsize(Pointer ch);

    /** Reads one request: its length, 0 once the session is over, or -errno. */
    int fuse_chan_recv(Pointer chp, Pointer buf, @size_t long size);

    void fuse_session_process(Pointer se, Pointer buf, @size_t long len, Pointer ch);

    int fuse_session_exited(Pointer se);

    void fuse_session_exit(Pointer se);

    /** The "remember" option's node cleanup (fuse_loop_mt starts it too); a no-op without it. */
    int fuse_start_cleanup_thread(Pointer fuse);

    void fuse_stop_cleanup_thread(Pointer fuse);
}
