package dev.stratafs.core.nat;

/**
 * What lstat(2)/fstat(2) said of one object. Immutable. Mode holds the file type bits and the
 * permission bits exactly as st_mode.
 */
public record StatInfo(
        long dev,
        long ino,
        int mode,
        long nlink,
        int uid,
        int gid,
        long rdev,
        long size,
        long blksize,
        long blocks,
        long atimeSec, long atimeNsec,
        long mtimeSec, long mtimeNsec,
        long ctimeSec, long ctimeNsec) {

    public static final int S_IFMT = 0170000;
    public static final int S_IFSOCK = 0140000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFIFO = 0010000;

    /** The same attributes with st_blocks {@code b}. */
    public StatInfo withBlocks(long b) {
        return new StatInfo(dev, ino, mode, nlink, uid, gid, rdev, size, blksize, b,
                atimeSec, atimeNsec, mtimeSec, mtimeNsec, ctimeSec, ctimeNsec);
    }

    public int type() { return mode & S_IFMT; }
    public int perm() { return mode & 07777; }
    public boolean isDirectory() { return type() == S_IFDIR; }
    public boolean isRegular() { return type() == S_IFREG; }
    public boolean isSymlink() { return type() == S_IFLNK; }
    public boolean isCharDevice() { return type() == S_IFCHR; }

    /** major(3) of rdev, glibc encoding. */
    public static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    }

    /** minor(3) of rdev, glibc encoding. */
    public static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    }
}
