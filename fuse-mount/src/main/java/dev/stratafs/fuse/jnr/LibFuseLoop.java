package dev.stratafs.fuse.jnr;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;

/**
 * The pieces of libfuse 2.9 that fuse_main_real is made of (lib/helper.c, lib/fuse_loop_mt.c),
 * so that {@link FuseLoop} can run the request loop on Java threads, plus what
 * {@link ReplyChannel} needs to see replies on their way to the kernel. Public only because
 * jnr-ffi implements it (and the callbacks below) in a class loader of its own.
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

    int fuse_chan_fd(Pointer ch);

    /**
     * A channel whose operations are {@code op}, struct fuse_chan_ops { receive; send; destroy; }
     * (fuse_session.c copies it; a NULL destroy is skipped). fuse_chan_new@@FUSE_2.6, the
     * default version dlsym finds.
     */
    Pointer fuse_chan_new(Pointer op, int fd, @size_t long bufsize, Pointer data);

    /** Calls the channel's send: 0 or -errno (-ENOENT: the request was interrupted). */
    int fuse_chan_send(Pointer ch, Pointer iov, @size_t long count);

    void fuse_chan_destroy(Pointer ch);

    /**
     * FUSE_NOTIFY_INVAL_INODE: off < 0 drops only the cached attributes of kernel node {@code ino}
     * (fuse_ino_t, an unsigned long: 64 bits on the LP64 platforms jnr-fuse runs on here).
     */
    int fuse_lowlevel_notify_inval_inode(Pointer ch, long ino, @off_t long off, @off_t long len);

    /** fuse_chan_ops.receive: int (*)(struct fuse_chan **chp, char *buf, size_t size). */
    interface Receive {
        @Delegate int receive(Pointer chp, Pointer buf, @size_t long size);
    }

    /** fuse_chan_ops.send: int (*)(struct fuse_chan *ch, const struct iovec iov[], size_t count). */
    interface Send {
        @Delegate int send(Pointer ch, Pointer iov, @size_t long count);
    }
}
