package dev.stratafs.fuse.jnr;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The parts of libfuse 3's low-level API (libfuse3.so.3, include/fuse_lowlevel.h of 3.14) that
 * {@link LowLevelFuse} uses: session set-up, the request loop pieces for {@link Fuse3Loop}'s
 * Java workers, and the reply functions. Every reply function is called exactly once per
 * request (fuse_reply_none for FORGET). Public only because jnr-ffi implements it in a class
 * loader of its own.
 */
public interface LibFuse3 {
    /** Parses args (struct fuse_args: mount and low-level options), copies ops; NULL on failure. */
    Pointer fuse_session_new(Pointer args, Pointer ops, @size_t long opSize, Pointer userdata);

    void fuse_opt_free_args(Pointer args);

    int fuse_session_mount(Pointer se, String mountpoint);

    void fuse_session_unmount(Pointer se);

    /** Calls the destroy operation when init was seen and DESTROY was not. */
    void fuse_session_destroy(Pointer se);

    void fuse_session_exit(Pointer se);

    int fuse_session_exited(Pointer se);

    /** Reads one request into buf (struct fuse_buf; mallocs buf->mem when NULL): its size, 0 once over, or -errno. */
    int fuse_session_receive_buf(Pointer se, Pointer buf);

    void fuse_session_process_buf(Pointer se, Pointer buf);

    /** The session's /dev/fuse descriptor (valid once mounted). */
    int fuse_session_fd(Pointer se);

    /** libc's, reached through libfuse's dependencies: a reply written to /dev/fuse in one piece. */
    @ssize_t long write(int fd, Pointer buf, @size_t long count);

    /** Since 3.14: replies through {@code io}'s writev, requests through its read (struct fuse_custom_io). */
    int fuse_session_custom_io(Pointer se, Pointer io, int fd);

    @ssize_t long writev(int fd, Pointer iov, int count);

    /** libc's ioctl(2) with a pointer argument (FUSE_DEV_IOC_BACKING_OPEN/CLOSE). */
    int ioctl(int fd, long request, Pointer arg);

    /** libc's, reached through libfuse's dependencies: frees what fuse_session_receive_buf malloced. */
    void free(Pointer p);

    int fuse_reply_err(Pointer req, int err);

    void fuse_reply_none(Pointer req);

    int fuse_reply_entry(Pointer req, Pointer entryParam);

    int fuse_reply_readlink(Pointer req, @In byte[] linkZ);

    int fuse_reply_open(Pointer req, Pointer fi);

    int fuse_reply_buf(Pointer req, Pointer buf, @size_t long size);

    /**
     * Replies with the data a struct fuse_bufvec describes; a file-descriptor buffer is spliced
     * to the kernel when FUSE_CAP_SPLICE_WRITE was granted, else read into libfuse's memory.
     * Always consumes the request, answering a failed read with its errno itself.
     */
    int fuse_reply_data(Pointer req, Pointer bufv, int flags);

    int fuse_reply_statfs(Pointer req, Pointer statvfs);

    /** struct fuse_ctx { uid_t uid; gid_t gid; pid_t pid; mode_t umask; } of the request. */
    Pointer fuse_req_ctx(Pointer req);
}
