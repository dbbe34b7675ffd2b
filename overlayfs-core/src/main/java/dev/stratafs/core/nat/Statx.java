package dev.stratafs.core.nat;

import jnr.ffi.Pointer;

/**
 * Decodes struct statx (include/uapi/linux/stat.h). Its layout is fixed by the kernel ABI and
 * identical on x86_64 and aarch64, unlike struct stat, which is why we use statx(2) for lstat and
 * fstat: one layout, nanosecond times included.
 */
final class Statx {
    /** sizeof(struct statx). */
    static final int SIZE = 256;
    /** STATX_BASIC_STATS: every field struct stat has. */
    static final int BASIC_STATS = 0x7ff;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_EMPTY_PATH = 0x1000;

    private static final int BLKSIZE = 4;
    private static final int NLINK = 16;
    private static final int UID = 20;
    private static final int GID = 24;
    private static final int MODE = 28;
    private static final int INO = 32;
    private static final int SIZE_OFF = 40;
    private static final int BLOCKS = 48;
    /** struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 reserved; }. */
    private static final int ATIME = 64;
    private static final int CTIME = 96;
    private static final int MTIME = 112;
    private static final int RDEV_MAJOR = 128;
    private static final int RDEV_MINOR = 132;
    private static final int DEV_MAJOR = 136;
    private static final int DEV_MINOR = 140;

    private Statx() {}

    static StatInfo decode(Pointer b) {
        return new StatInfo(
                makedev(b.getInt(DEV_MAJOR), b.getInt(DEV_MINOR)),
                b.getLong(INO),
                b.getShort(MODE) & 0xffff,
                b.getInt(NLINK) & 0xffffffffL,
                b.getInt(UID),
                b.getInt(GID),
                makedev(b.getInt(RDEV_MAJOR), b.getInt(RDEV_MINOR)),
                b.getLong(SIZE_OFF),
                b.getInt(BLKSIZE) & 0xffffffffL,
                b.getLong(BLOCKS),
                b.getLong(ATIME), b.getInt(ATIME + 8) & 0xffffffffL,
                b.getLong(MTIME), b.getInt(MTIME + 8) & 0xffffffffL,
                b.getLong(CTIME), b.getInt(CTIME + 8) & 0xffffffffL);
    }

    /** glibc gnu_dev_makedev, the inverse of {@link StatInfo#major}/{@link StatInfo#minor}. */
    static long makedev(int major, int minor) {
        long ma = major & 0xffffffffL;
        long mi = minor & 0xffffffffL;
        return ((ma & 0xfffL) << 8) | ((ma & ~0xfffL) << 32) | (mi & 0xffL) | ((mi & ~0xffL) << 12);
    }
}
