package dev.stratafs.core.nat;

import dev.stratafs.core.error.FsException;
import java.nio.file.Path;
import java.util.List;

/**
 * The system calls java.nio cannot make, or cannot make without following symlinks. The only
 * place in the core that touches jnr-ffi/jnr-posix. Every call acts on the final component
 * without following it (the "l" variants, AT_SYMLINK_NOFOLLOW, O_NOFOLLOW). Every failure is an
 * {@link FsException} whose kind is translated from errno here and nowhere else in the core.
 *
 * <p>Paths are absolute host paths; callers are responsible for having verified the parent
 * components (see core.layer).
 */
public interface NativeOs {
    int RENAME_NOREPLACE = 1;
    int RENAME_EXCHANGE = 2;
    int RENAME_WHITEOUT = 4;

    int XATTR_CREATE = 1;
    int XATTR_REPLACE = 2;

    /** utimensat(2) sentinel nanosecond values. */
    long UTIME_NOW = (1L << 30) - 1;
    long UTIME_OMIT = (1L << 30) - 2;

    /** lstat(2); null when the path does not exist (ENOENT or ENOTDIR). */
    StatInfo lstatOrNull(Path p) throws FsException;

    /** lstat(2); NOT_FOUND when missing. */
    StatInfo lstat(Path p) throws FsException;

    /** fstat(2) on an fd from {@link #open}. */
    StatInfo fstat(int fd) throws FsException;

    /** mknod(2), not affected by umask beyond what the kernel applies; callers chmod after. */
    void mknod(Path p, int mode, long rdev) throws FsException;

    void mkdir(Path p, int mode) throws FsException;

    void rmdir(Path p) throws FsException;

    void unlink(Path p) throws FsException;

    void symlink(String target, Path link) throws FsException;

    String readlink(Path p) throws FsException;

    /** link(2) without following a symlink source (linkat with flags 0). */
    void link(Path existing, Path newLink) throws FsException;

    /** lchown(2); -1 leaves an id unchanged. */
    void lchown(Path p, int uid, int gid) throws FsException;

    /** chmod(2) of a non-symlink (the caller has checked the type; symlink modes cannot change). */
    void chmod(Path p, int mode) throws FsException;

    /** utimensat(2) with AT_SYMLINK_NOFOLLOW; nsec may be UTIME_NOW or UTIME_OMIT. */
    void utimens(Path p, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws FsException;

    /** renameat2(2); flags from RENAME_*. */
    void rename(Path from, Path to, int flags) throws FsException;

    /** lgetxattr(2); null when the attribute does not exist (ENODATA). */
    byte[] getxattr(Path p, String name) throws FsException;

    /** lsetxattr(2); flags XATTR_CREATE / XATTR_REPLACE. */
    void setxattr(Path p, String name, byte[] value, int flags) throws FsException;

    /** llistxattr(2); empty when the filesystem has no xattrs. */
    List<String> listxattr(Path p) throws FsException;

    /** lremovexattr(2). */
    void removexattr(Path p, String name) throws FsException;

    /** statvfs(3). */
    FsStats statvfs(Path p) throws FsException;

    /** The filesystem type of {@code p}'s filesystem: statfs(2)'s f_type, a magic number of linux/magic.h. */
    long fsType(Path p) throws FsException;

    /** open(2) with O_NOFOLLOW|O_CLOEXEC added; returns the fd. */
    int open(Path p, int flags, int mode) throws FsException;

    void close(int fd);

    void fsync(int fd) throws FsException;

    /**
     * Writes the file's dirty pages out and waits until they are written: sync_file_range(2)
     * with WAIT_BEFORE|WRITE|WAIT_AFTER over the whole file. No metadata is committed and no
     * device cache is flushed; see CopyUp for when that is enough.
     */
    void writeOutAndWait(int fd) throws FsException;

    void fallocate(int fd, int mode, long offset, long length) throws FsException;

    void ftruncate(int fd, long length) throws FsException;

    void fchmod(int fd, int mode) throws FsException;

    /** open(2) of /proc/self/fd/{@code fd}: a new descriptor, with {@code flags}, on the file {@code fd} has open. */
    int reopen(int fd, int flags) throws FsException;

    void fchown(int fd, int uid, int gid) throws FsException;

    /** futimens(3) on an fd from {@link #open}. */
    void futimens(int fd, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws FsException;

    /** fsetxattr(2) on an fd from {@link #open} (not an O_PATH one). */
    void fsetxattr(int fd, String name, byte[] value, int flags) throws FsException;

    /** pread(2) into a heap array; returns bytes read, 0 at end of file. */
    int pread(int fd, byte[] buf, int off, int len, long position) throws FsException;

    /** posix_fadvise(POSIX_FADV_WILLNEED) of the first {@code len} bytes: starts reading them; errors are ignored. */
    void willNeed(int fd, long len);

    /**
     * Whether the byte at {@code position} can be read without waiting for the disk: preadv2(2)
     * of it with RWF_NOWAIT. True past the end of the file; false where the check is not
     * supported (then a read may wait).
     */
    default boolean readsWithoutWaiting(int fd, long position) {
        return false;
    }

    /**
     * pread(2) into native memory at {@code address} as {@link #preadAddress}, but only of what
     * can be read without waiting for the disk: preadv2(2) with RWF_NOWAIT. Returns the bytes
     * read (0 at end of file, fewer than {@code len} when only a part is cached), or -1 when the
     * read would wait, the check is not supported or the call failed: then read with
     * {@link #preadAddress}, which also reports a failure.
     * Asking the data itself spares the separate probe of {@link #readsWithoutWaiting}, and a
     * miss still starts the read-ahead.
     */
    default int preadNoWait(int fd, long address, int len, long position) throws FsException {
        return -1;
    }

    /** pwrite(2) from a heap array; returns bytes written. */
    int pwrite(int fd, byte[] buf, int off, int len, long position) throws FsException;

    /**
     * pread(2) straight into native memory at {@code address} (e.g. a FUSE reply buffer), sparing
     * the heap array and its copy. The default stages through {@link #pread} for implementations
     * that have no native path.
     */
    default int preadAddress(int fd, long address, int len, long position) throws FsException {
        byte[] tmp = new byte[len];
        int n = pread(fd, tmp, 0, len, position);
        if (n > 0) NativeMemory.put(address, tmp, 0, n);
        return n;
    }

    /** pwrite(2) straight from native memory at {@code address}; see {@link #preadAddress}. */
    default int pwriteAddress(int fd, long address, int len, long position) throws FsException {
        byte[] tmp = new byte[len];
        NativeMemory.get(address, tmp, 0, len);
        return pwrite(fd, tmp, 0, len, position);
    }

    /**
     * Copies the whole regular file {@code srcFd} into {@code dstFd} (which is empty): tries
     * FICLONE first, then copy_file_range(2) over data extents only (SEEK_DATA/SEEK_HOLE) so holes
     * stay holes, then a read/write loop where the kernel cannot help. Ends with the destination
     * at the source's length. Returns how it copied, for logs and benchmarks.
     */
    default CopyMethod copyFile(int srcFd, int dstFd, long length) throws FsException {
        return copyFile(srcFd, dstFd, length, true, false);
    }

    /**
     * {@link #copyFile(int, int, long)} with what the caller already knows: {@code tryClone}
     * false skips FICLONE (it failed before for files from that filesystem), {@code dense} true
     * skips the hole search (the source's blocks cover its size, so it has no holes). A result
     * other than CLONE with {@code tryClone} means the reflink was refused.
     */
    CopyMethod copyFile(int srcFd, int dstFd, long length, boolean tryClone, boolean dense) throws FsException;

    /**
     * One directory entry as getdents64(2) reports it: name, d_ino, and the file type as S_IF*
     * bits (0 when the filesystem does not report types: the caller must lstat).
     */
    record DirEnt(String name, long ino, int type) {}

    /**
     * The entries of a directory, without "." and "..", read with getdents64(2) on an fd opened
     * with O_DIRECTORY|O_NOFOLLOW (a symlink in place of the directory fails with LOOP or
     * NOT_DIRECTORY). An empty list when the directory does not exist.
     */
    default List<DirEnt> readDir(Path dir) throws FsException {
        return readDir(dir, false);
    }

    /** {@link #readDir(Path)}, the directory opened with O_NOATIME when {@code noAtime} (a lower layer's). */
    List<DirEnt> readDir(Path dir, boolean noAtime) throws FsException;

    int geteuid();

    int getegid();

    /**
     * isatty(3): whether {@code fd} (2 for stderr) is a terminal, for progress output that only
     * makes sense there. A default so that other implementations need not change; false is the
     * safe answer (no escape output in pipes and logs).
     */
    default boolean isatty(int fd) {
        return false;
    }

    enum CopyMethod { CLONE, COPY_FILE_RANGE, READ_WRITE }

    /**
     * Linux open(2) flags of this platform (they differ between x86_64 and aarch64), read from
     * jnr-constants once. FUSE hands the kernel's flag values to us unchanged.
     */
    final class OpenFlags {
        public static final int O_RDONLY = 0;
        public static final int O_WRONLY = 1;
        public static final int O_RDWR = 2;
        public static final int O_ACCMODE = 3;
        public static final int O_CREAT = flag(jnr.constants.platform.OpenFlags.O_CREAT);
        public static final int O_EXCL = flag(jnr.constants.platform.OpenFlags.O_EXCL);
        public static final int O_TRUNC = flag(jnr.constants.platform.OpenFlags.O_TRUNC);
        public static final int O_APPEND = flag(jnr.constants.platform.OpenFlags.O_APPEND);
        public static final int O_NONBLOCK = flag(jnr.constants.platform.OpenFlags.O_NONBLOCK);
        public static final int O_DIRECTORY = flag(jnr.constants.platform.OpenFlags.O_DIRECTORY);
        public static final int O_NOFOLLOW = flag(jnr.constants.platform.OpenFlags.O_NOFOLLOW);
        public static final int O_CLOEXEC = flag(jnr.constants.platform.OpenFlags.O_CLOEXEC);
        /**
         * open(2): do not touch the access time (asm-generic/fcntl.h). Lower layers are read
         * with it, as overlayfs' ovl_path_open does: reading through the mount must not write to
         * them. Dropped where the daemon may not use it (EPERM: neither owner nor CAP_FOWNER).
         */
        public static final int O_NOATIME = 01000000;
        /** open(2): __O_TMPFILE | O_DIRECTORY (asm-generic/fcntl.h; not in jnr-constants). */
        public static final int O_TMPFILE = 020000000 | O_DIRECTORY;

        /** Whether an open with {@code flags} may change the file: write access, or O_TRUNC (open(2)). */
        public static boolean writes(int flags) {
            return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0;
        }

        private static int flag(jnr.constants.platform.OpenFlags f) {
            return f.defined() ? f.intValue() : 0;
        }

        private OpenFlags() {}
    }
}
