package dev.stratafs.fuse.errno;

/**
 * Linux errno numbers the mount answers with. asm-generic/errno-base.h and errno.h: the same on
 * x86_64 and aarch64, the two platforms jnr-fuse 0.5.8 supports here. The only place in the
 * module where these numbers are written down.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int E2BIG = 7;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    /** Read from /dev/fuse once the filesystem is unmounted. */
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ETXTBSY = 26;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int EMLINK = 31;
    public static final int ERANGE = 34;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int ENODATA = 61;
    /** EOPNOTSUPP and ENOTSUP are the same number on Linux. */
    public static final int EOPNOTSUPP = 95;
    /** The kernel retries a path lookup that ends in ESTALE (fs/namei.c retry_estale). */
    public static final int ESTALE = 116;
    public static final int EDQUOT = 122;

    private Errno() {}
}
