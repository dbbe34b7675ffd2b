package dev.stratafs.core.nat;

import dev.stratafs.core.error.FsException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.byref.LongLongByReference;

/**
 * {@link NativeOs} over glibc through jnr-ffi. libc is bound once; each thread keeps its own
 * native statx buffer so the hot lstat path allocates only the path bytes and the result.
 * errno is thread-local and jnr saves it right after each call ({@code @SaveError}), so reading
 * {@link Runtime#getLastError} straight after a failed call is race-free.
 */
final class JnrNativeOs implements NativeOs {
    /** AT_FDCWD from fcntl.h: resolve relative to the working directory (our paths are absolute). */
    private static final int AT_FDCWD = -100;
    /** lseek(2) whence values from unistd.h (Linux >= 3.1); jnr-constants has no SEEK_DATA. */
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    /** FICLONE = _IOW(0x94, 9, int) from linux/fs.h; the same number on x86_64 and aarch64. */
    private static final long FICLONE = 0x40049409L;
    /** Per-call chunk for copy_file_range and the read/write fallback. */
    private static final long COPY_CHUNK = 1L << 30;
    private static final int RW_BUFFER = 1 << 20;

    private static final byte[] EMPTY_PATH = {0};
    /** PATH_MAX from limits.h: the longest string a path argument may be, with its NUL. */
    static final int PATH_MAX = 4096;
    /** O_PATH from asm-generic/fcntl.h (the same on x86_64 and aarch64); not in jnr-constants. */
    private static final int O_PATH = 010000000;
    /** AT_REMOVEDIR from fcntl.h: unlinkat(2) acts as rmdir(2). */
    private static final int AT_REMOVEDIR = 0x200;

    /** fcntl.h: start reading the range into the page cache. */
    private static final int POSIX_FADV_WILLNEED = 3;
    /** preadv2(2): fail with EAGAIN instead of waiting for the disk. */
    private static final int RWF_NOWAIT = 0x8;

    private final LibC libc;
    private final Runtime runtime;
    private final ThreadLocal<Pointer> statBuf;
    private final int openExtra;

    JnrNativeOs() {
        libc = LibraryLoader.create(LibC.class).load("c");
        runtime = Runtime.getRuntime(libc);
        statBuf = ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, Statx.SIZE));
        probeIov = ThreadLocal.withInitial(() -> {
            Pointer iov = Memory.allocateDirect(runtime, 16 + 8, true);
            iov.putAddress(0, iov.address() + 16);
            iov.putLong(8, 1);
            return iov;
        });
        readIov = ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, 16, true));
        direntBuf = ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, 32 * 1024));
        openExtra = OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
    }

    /** The last path turned into a C string (a request's syscalls share one host path instance). */
    private record CPath(Path path, byte[] c) {}

    private volatile CPath lastPath;

    /** {@link #cpath} of {@code p}, reused when {@code p} is the very path of the last call. */
    private byte[] cpathOf(Path p) {
        CPath last = lastPath;
        if (last != null && last.path == p) return last.c;
        byte[] c = cpath(p);
        lastPath = new CPath(p, c);
        return c;
    }

    /** The path as NUL-terminated UTF-8, the encoding Java's own file APIs use here. */
    static byte[] cpath(Object p) {
        return cstr(p.toString());
    }

    static byte[] cstr(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] c = new byte[b.length + 1];
        System.arraycopy(b, 0, c, 0, b.length);
        return c;
    }

    private int errno() {
        return runtime.getLastError();
    }

    private FsException fail(String call, Object path) {
        return Errnos.exception(errno(), call, path);
    }

    private void check(int rc, String call, Object path) throws FsException {
        if (rc < 0) {
            throw fail(call, path);
        }
    }

    // ---- stat ----

    @Override
    public StatInfo lstatOrNull(Path p) throws FsException {
        Pointer buf = statBuf.get();
        try (At at = at(p)) {
            if (at.failed() || libc.statx(at.fd, at.name, Statx.AT_SYMLINK_NOFOLLOW, Statx.BASIC_STATS, buf) < 0) {
                int e = at.failed() ? at.errno : errno();
                if (e == Errnos.ENOENT || e == Errnos.ENOTDIR) {
                    return null;
                }
                throw Errnos.exception(e, "lstat", p);
            }
        }
        return Statx.decode(buf);
    }

    @Override
    public StatInfo lstat(Path p) throws FsException {
        Pointer buf = statBuf.get();
        try (At at = at(p)) {
            at.check(at.ok() ? libc.statx(at.fd, at.name, Statx.AT_SYMLINK_NOFOLLOW, Statx.BASIC_STATS, buf) : -1,
                    "lstat", p);
        }
        return Statx.decode(buf);
    }

    @Override
    public StatInfo fstat(int fd) throws FsException {
        Pointer buf = statBuf.get();
        check(libc.statx(fd, EMPTY_PATH, Statx.AT_EMPTY_PATH | Statx.AT_SYMLINK_NOFOLLOW,
                Statx.BASIC_STATS, buf), "fstat", "fd " + fd);
        return Statx.decode(buf);
    }

    // ---- directories ----

    /** getdents64 buffer per thread: 32 KiB holds a few hundred entries per call. */
    private final ThreadLocal<Pointer> direntBuf;

    @Override
    public java.util.List<DirEnt> readDir(Path dir, boolean noAtime) throws FsException {
        int fd;
        int e;
        try (At at = at(dir)) {
            fd = at.ok() ? openat(at, O_RDONLY_DIRECTORY_NOFOLLOW | (noAtime ? OpenFlags.O_NOATIME : 0), 0) : -1;
            e = fd >= 0 ? 0 : at.failed() ? at.errno : errno();
        }
        if (fd < 0) {
            if (e == Errnos.ENOENT) {
                return java.util.List.of();
            }
            throw Errnos.exception(e, "opendir", dir);
        }
        try {
            Pointer buf = direntBuf.get();
            java.util.List<DirEnt> out = new java.util.ArrayList<>();
            byte[] name = new byte[256];
            while (true) {
                long n = libc.getdents64(fd, buf, buf.size());
                if (n < 0) {
                    if (errno() == Errnos.EINTR) continue;
                    throw fail("getdents64", dir);
                }
                if (n == 0) break;
                int off = 0;
                while (off < n) {
                    long ino = buf.getLong(off);
                    int reclen = buf.getShort(off + 16) & 0xffff;
                    int dtype = buf.getByte(off + 18) & 0xff;
                    int len = 0;
                    while (len < reclen - 19 && buf.getByte(off + 19 + len) != 0) len++;
                    if (len > name.length) name = new byte[len];
                    buf.get(off + 19, name, 0, len);
                    if (!(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.')) {
                        out.add(new DirEnt(new String(name, 0, len, java.nio.charset.StandardCharsets.UTF_8), ino, dtypeToMode(dtype)));
                    }
                    off += reclen;
                }
            }
            return out;
        } finally {
            libc.close(fd);
        }
    }

    private static final int O_RDONLY_DIRECTORY_NOFOLLOW =
            NativeOs.OpenFlags.O_RDONLY | NativeOs.OpenFlags.O_DIRECTORY | NativeOs.OpenFlags.O_NOFOLLOW | NativeOs.OpenFlags.O_CLOEXEC;

    /** dirent d_type (DT_*) to S_IF* type bits: DT_x is S_IFx >> 12; DT_UNKNOWN is 0. */
    private static int dtypeToMode(int dtype) {
        return (dtype & 0xf) << 12;
    }

    // ---- namespace ----

    @Override
    public void mknod(Path p, int mode, long rdev) throws FsException {
        try (At at = at(p)) {
            int rc;
            if (at.failed()) {
                rc = -1;
            } else {
                try {
                    rc = libc.mknodat(at.fd, at.name, mode, rdev);
                } catch (UnsatisfiedLinkError old) {
                    // glibc < 2.33: mknodat is an inline wrapper around __xmknodat; _MKNOD_VER
                    // is 0 on x86_64 and aarch64.
                    rc = libc.__xmknodat(0, at.fd, at.name, mode, new LongLongByReference(rdev));
                }
            }
            at.check(rc, "mknod", p);
        }
    }

    @Override
    public void mkdir(Path p, int mode) throws FsException {
        try (At at = at(p)) {
            at.check(at.ok() ? libc.mkdirat(at.fd, at.name, mode) : -1, "mkdir", p);
        }
    }

    @Override
    public void rmdir(Path p) throws FsException {
        try (At at = at(p)) {
            at.check(at.ok() ? libc.unlinkat(at.fd, at.name, AT_REMOVEDIR) : -1, "rmdir", p);
        }
    }

    @Override
    public void unlink(Path p) throws FsException {
        try (At at = at(p)) {
            at.check(at.ok() ? libc.unlinkat(at.fd, at.name, 0) : -1, "unlink", p);
        }
    }

    @Override
    public void symlink(String target, Path link) throws FsException {
        try (At at = at(link)) {
            at.check(at.ok() ? libc.symlinkat(cstr(target), at.fd, at.name) : -1, "symlink", link);
        }
    }

    @Override
    public String readlink(Path p) throws FsException {
        try (At at = at(p)) {
            // readlink(2) truncates silently; a result that fills the buffer may be cut, so grow.
            for (int size = 256; ; size *= 2) {
                byte[] buf = new byte[size];
                long n = at.ok() ? libc.readlinkat(at.fd, at.name, buf, size) : -1;
                at.check(n, "readlink", p);
                if (n < size) {
                    return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
                }
            }
        }
    }

    @Override
    public void link(Path existing, Path newLink) throws FsException {
        try (At from = at(existing); At to = at(newLink)) {
            from.check(from.ok() ? 0 : -1, "link", existing);
            to.check(to.ok() ? libc.linkat(from.fd, from.name, to.fd, to.name, 0) : -1, "link", newLink);
        }
    }

    @Override
    public void lchown(Path p, int uid, int gid) throws FsException {
        try (At at = at(p)) {
            at.check(at.ok() ? libc.fchownat(at.fd, at.name, uid, gid, Statx.AT_SYMLINK_NOFOLLOW) : -1, "lchown", p);
        }
    }

    @Override
    public void chmod(Path p, int mode) throws FsException {
        try (At at = at(p)) {
            // Flags 0: fchmodat(2) refuses AT_SYMLINK_NOFOLLOW before glibc 2.32, and the caller
            // has checked that p is not a symlink.
            at.check(at.ok() ? libc.fchmodat(at.fd, at.name, mode, 0) : -1, "chmod", p);
        }
    }

    @Override
    public void utimens(Path p, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
            throws FsException {
        long[] times = {atimeSec, atimeNsec, mtimeSec, mtimeNsec};
        try (At at = at(p)) {
            at.check(at.ok() ? libc.utimensat(at.fd, at.name, times, Statx.AT_SYMLINK_NOFOLLOW) : -1, "utimensat", p);
        }
    }

    @Override
    public void rename(Path from, Path to, int flags) throws FsException {
        try (At a = at(from); At b = at(to)) {
            String what = from + " -> " + to;
            a.check(a.ok() ? 0 : -1, "rename", what);
            b.check(b.ok() ? libc.renameat2(a.fd, a.name, b.fd, b.name, flags) : -1, "rename", what);
        }
    }

    // ---- xattrs ----

    @Override
    public byte[] getxattr(Path p, String name) throws FsException {
        try (XattrPath x = xattrPath(p, "getxattr")) {
            return getxattr(x, p, cstr(name), name);
        }
    }

    private byte[] getxattr(XattrPath x, Path p, byte[] cname, String name) throws FsException {
        // Most values (origins, opaque and whiteout markers, capabilities, ACLs) are short: one
        // call with a small buffer instead of a size query and a fetch.
        byte[] small = xattrScratch.get();
        long got = x.get(cname, small, small.length);
        if (got >= 0) return java.util.Arrays.copyOf(small, (int) got);
        if (errno() != Errnos.ERANGE) return xattrMissing(p, name);
        while (true) {
            long size = x.get(cname, null, 0);
            if (size < 0) {
                return xattrMissing(p, name);
            }
            byte[] value = new byte[(int) size];
            if (size == 0) {
                return value;
            }
            long n = x.get(cname, value, size);
            if (n >= 0) {
                return n == size ? value : java.util.Arrays.copyOf(value, (int) n);
            }
            if (errno() != Errnos.ERANGE) {
                return xattrMissing(p, name);
            }
            // ERANGE: the value grew between the size query and the fetch; ask again.
        }
    }

    /** Values up to this size are read in one getxattr call, into a per-thread buffer. */
    private static final int SMALL_XATTR = 256;
    private final ThreadLocal<byte[]> xattrScratch = ThreadLocal.withInitial(() -> new byte[SMALL_XATTR]);

    private byte[] xattrMissing(Path p, String name) throws FsException {
        int e = errno();
        if (e == Errnos.ENODATA) {
            return null;
        }
        throw Errnos.exception(e, "getxattr", p + " " + name);
    }

    @Override
    public void setxattr(Path p, String name, byte[] value, int flags) throws FsException {
        try (XattrPath x = xattrPath(p, "setxattr")) {
            check(x.set(cstr(name), value, flags), "setxattr", p + " " + name);
        }
    }

    @Override
    public List<String> listxattr(Path p) throws FsException {
        try (XattrPath x = xattrPath(p, "listxattr")) {
            return listxattr(x, p);
        }
    }

    private List<String> listxattr(XattrPath x, Path p) throws FsException {
        while (true) {
            long size = x.list(null, 0);
            if (size < 0) {
                return listFailed(p);
            }
            if (size == 0) {
                return Collections.emptyList();
            }
            byte[] buf = new byte[(int) size];
            long n = x.list(buf, size);
            if (n >= 0) {
                return parseNames(buf, (int) n);
            }
            if (errno() != Errnos.ERANGE) {
                return listFailed(p);
            }
        }
    }

    private List<String> listFailed(Path p) throws FsException {
        int e = errno();
        if (e == Errnos.ENOTSUP || e == Errnos.EOPNOTSUPP) {
            return Collections.emptyList();
        }
        throw Errnos.exception(e, "listxattr", p);
    }

    /** llistxattr(2) returns names each followed by a NUL. */
    static List<String> parseNames(byte[] buf, int len) {
        List<String> names = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < len; i++) {
            if (buf[i] == 0) {
                if (i > start) {
                    names.add(new String(buf, start, i - start, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        return names;
    }

    @Override
    public void removexattr(Path p, String name) throws FsException {
        try (XattrPath x = xattrPath(p, "removexattr")) {
            check(x.remove(cstr(name)), "removexattr", p + " " + name);
        }
    }

    // ---- filesystem ----

    @Override
    public FsStats statvfs(Path p) throws FsException {
        // struct statvfs on 64-bit Linux: eleven unsigned longs, then int __f_spare[6].
        Pointer b = Memory.allocateDirect(runtime, 128);
        check(libc.statvfs(cpath(p), b), "statvfs", p);
        return new FsStats(b.getLong(0), b.getLong(8), b.getLong(16), b.getLong(24), b.getLong(32),
                b.getLong(40), b.getLong(48), b.getLong(56), b.getLong(64), b.getLong(72), b.getLong(80));
    }

    @Override
    public long fsType(Path p) throws FsException {
        // struct statfs on 64-bit Linux: f_type first (a long), 120 bytes in all.
        Pointer b = Memory.allocateDirect(runtime, 128);
        check(libc.statfs(cpath(p), b), "statfs", p);
        return b.getLong(0) & 0xffffffffL;
    }

    // ---- file descriptors ----

    @Override
    public int open(Path p, int flags, int mode) throws FsException {
        try (At at = at(p)) {
            int fd = at.ok() ? openat(at, flags | openExtra, mode) : -1;
            at.check(fd, "open", p);
            return fd;
        }
    }

    /** openat(2) where {@code at} points; O_NOATIME needs ownership or CAP_FOWNER (open(2)), a courtesy dropped on EPERM. */
    private int openat(At at, int flags, int mode) {
        int fd = libc.openat(at.fd, at.name, flags, mode);
        if (fd < 0 && (flags & OpenFlags.O_NOATIME) != 0 && errno() == Errnos.EPERM) {
            fd = libc.openat(at.fd, at.name, flags & ~OpenFlags.O_NOATIME, mode);
        }
        return fd;
    }

    @Override
    public void close(int fd) {
        // close(2): never retry, even on EINTR; the fd is gone either way on Linux.
        libc.close(fd);
    }

    @Override
    public void fsync(int fd) throws FsException {
        check(libc.fsync(fd), "fsync", "fd " + fd);
    }

    /** sync_file_range(2) flags (linux/fs.h). */
    private static final int SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final int SYNC_FILE_RANGE_WAIT_AFTER = 4;

    @Override
    public void writeOutAndWait(int fd) throws FsException {
        // nbytes 0: from offset to the end of the file.
        check(libc.sync_file_range(fd, 0, 0,
                SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER), "sync_file_range", "fd " + fd);
    }

    @Override
    public void fallocate(int fd, int mode, long offset, long length) throws FsException {
        check(libc.fallocate(fd, mode, offset, length), "fallocate", "fd " + fd);
    }

    @Override
    public void ftruncate(int fd, long length) throws FsException {
        check(libc.ftruncate(fd, length), "ftruncate", "fd " + fd);
    }

    @Override
    public void fchmod(int fd, int mode) throws FsException {
        check(libc.fchmod(fd, mode), "fchmod", "fd " + fd);
    }

    @Override
    public int reopen(int fd, int flags) throws FsException {
        // The magic link must be followed: no O_NOFOLLOW here (proc(5) /proc/pid/fd).
        String link = "/proc/self/fd/" + fd;
        int nfd = libc.openat(AT_FDCWD, cstr(link), flags | OpenFlags.O_CLOEXEC, 0);
        check(nfd, "open", link);
        return nfd;
    }

    @Override
    public void fchown(int fd, int uid, int gid) throws FsException {
        check(libc.fchown(fd, uid, gid), "fchown", "fd " + fd);
    }

    @Override
    public void futimens(int fd, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws FsException {
        check(libc.futimens(fd, new long[] {atimeSec, atimeNsec, mtimeSec, mtimeNsec}), "futimens", "fd " + fd);
    }

    @Override
    public void fsetxattr(int fd, String name, byte[] value, int flags) throws FsException {
        check(libc.fsetxattr(fd, cstr(name), value, value.length, flags), "fsetxattr", "fd " + fd + " " + name);
    }

    @Override
    public void willNeed(int fd, long len) {
        // Advice only: a failure (ESPIPE, say) changes nothing that reads would see.
        libc.posix_fadvise(fd, 0, len, POSIX_FADV_WILLNEED);
    }

    @Override
    public int pread(int fd, byte[] buf, int off, int len, long position) throws FsException {
        return count(libc.pread(fd, ByteBuffer.wrap(buf, off, len), len, position), "pread", fd);
    }

    @Override
    public int pwrite(int fd, byte[] buf, int off, int len, long position) throws FsException {
        return count(libc.pwrite(fd, ByteBuffer.wrap(buf, off, len), len, position), "pwrite", fd);
    }

    @Override
    public int preadAddress(int fd, long address, int len, long position) throws FsException {
        return count(libc.pread(fd, address, len, position), "pread", fd);
    }

    @Override
    public int pwriteAddress(int fd, long address, int len, long position) throws FsException {
        return count(libc.pwrite(fd, address, len, position), "pwrite", fd);
    }

    /** One struct iovec of one byte, with its byte behind it: readsWithoutWaiting's probe. */
    private final ThreadLocal<Pointer> probeIov;

    @Override
    public boolean readsWithoutWaiting(int fd, long position) {
        return libc.preadv2(fd, probeIov.get(), 1, position, RWF_NOWAIT) >= 0;
    }

    /** One struct iovec for {@link #preadNoWait}, pointed at the caller's memory on each call. */
    private final ThreadLocal<Pointer> readIov;
    /**
     * Cleared once the kernel refuses RWF_NOWAIT itself: EOPNOTSUPP from a kernel before 4.14 or a
     * filesystem without it, ENOSYS without preadv2. Other errors are left to the pread that
     * follows, which reports them (EINVAL, say, for an O_DIRECT read out of alignment).
     */
    private volatile boolean noWait = true;

    @Override
    public int preadNoWait(int fd, long address, int len, long position) throws FsException {
        if (!noWait) return -1;
        Pointer iov = readIov.get();
        iov.putAddress(0, address);
        iov.putLong(8, len);
        long n = libc.preadv2(fd, iov, 1, position, RWF_NOWAIT);
        if (n >= 0) return (int) n;
        int e = errno();
        if (e == Errnos.EOPNOTSUPP || e == Errnos.ENOTSUP || e == Errnos.ENOSYS) noWait = false;
        return -1;
    }

    /** The byte count of a pread/pwrite, or its errno as an exception. */
    private int count(long n, String call, int fd) throws FsException {
        if (n < 0) {
            throw fail(call, "fd " + fd);
        }
        return (int) n;
    }

    // ---- copy up ----

    @Override
    public CopyMethod copyFile(int srcFd, int dstFd, long length, boolean tryClone, boolean dense) throws FsException {
        if (tryClone && libc.ioctl(dstFd, FICLONE, srcFd) == 0) {
            // A reflink shares every extent and copies the size; trim or extend only if the
            // caller's length differs from the source's.
            ftruncate(dstFd, length);
            return CopyMethod.CLONE;
        }
        // Any FICLONE failure (EOPNOTSUPP, EXDEV, EINVAL, ENOTTY...) just means "copy instead".
        Copier c = new Copier(srcFd, dstFd);
        if (dense) {
            // No holes to keep: one copy, and the size is right unless the source was shorter.
            if (!c.copy(0, length)) ftruncate(dstFd, length);
            return c.method;
        }
        long pos = 0;
        while (pos < length) {
            long data = libc.lseek(srcFd, pos, SEEK_DATA);
            long hole;
            if (data < 0) {
                int e = errno();
                if (e == Errnos.ENXIO) {
                    break; // no data after pos: the rest is a hole
                }
                if (e != Errnos.EINVAL) {
                    throw Errnos.exception(e, "lseek", "fd " + srcFd);
                }
                // Filesystem without SEEK_DATA: treat the rest as one data extent.
                data = pos;
                hole = length;
            } else {
                if (data >= length) {
                    break;
                }
                hole = libc.lseek(srcFd, data, SEEK_HOLE);
                if (hole < 0) {
                    int e = errno();
                    if (e != Errnos.EINVAL && e != Errnos.ENXIO) {
                        throw Errnos.exception(e, "lseek", "fd " + srcFd);
                    }
                    hole = length;
                }
                hole = Math.min(hole, length);
            }
            if (!c.copy(data, hole)) {
                break; // source shorter than expected; ftruncate below fills with zeros
            }
            pos = hole;
        }
        // A trailing hole, or a source shorter than expected: the size comes from here.
        if (pos < length) ftruncate(dstFd, length);
        return c.method;
    }

    /** Copies byte ranges, switching from copy_file_range to pread/pwrite when the kernel can't. */
    private final class Copier {
        final int src;
        final int dst;
        CopyMethod method = CopyMethod.COPY_FILE_RANGE;
        Pointer buffer;

        Copier(int src, int dst) {
            this.src = src;
            this.dst = dst;
        }

        /** Copies [from, to); false when the source hit end of file early. */
        boolean copy(long from, long to) throws FsException {
            long off = from;
            while (off < to) {
                long n = method == CopyMethod.COPY_FILE_RANGE ? rangeStep(off, to) : rwStep(off, to);
                if (n == 0) {
                    return false;
                }
                if (n > 0) {
                    off += n;
                }
                // n < 0: retry (EINTR, or the method just changed)
            }
            return true;
        }

        private long rangeStep(long off, long to) throws FsException {
            LongLongByReference in = new LongLongByReference(off);
            LongLongByReference out = new LongLongByReference(off);
            long n = libc.copy_file_range(src, in, dst, out, Math.min(to - off, COPY_CHUNK), 0);
            if (n >= 0) {
                return n;
            }
            int e = errno();
            if (e == Errnos.EINTR) {
                return -1;
            }
            // copy_file_range(2) ERRORS: these mean "not between these files", not an I/O error.
            if (e == Errnos.EXDEV || e == Errnos.EINVAL || e == Errnos.ENOSYS
                    || e == Errnos.EOPNOTSUPP || e == Errnos.ENOTSUP) {
                method = CopyMethod.READ_WRITE;
                return -1;
            }
            throw Errnos.exception(e, "copy_file_range", "fd " + src + " -> fd " + dst);
        }

        private long rwStep(long off, long to) throws FsException {
            if (buffer == null) {
                buffer = Memory.allocateDirect(runtime, RW_BUFFER);
            }
            long want = Math.min(to - off, RW_BUFFER);
            long n = libc.pread(src, buffer, want, off);
            if (n < 0) {
                if (errno() == Errnos.EINTR) {
                    return -1;
                }
                throw fail("pread", "fd " + src);
            }
            long done = 0;
            while (done < n) {
                long w = libc.pwrite(dst, buffer.slice(done), n - done, off + done);
                if (w < 0) {
                    if (errno() == Errnos.EINTR) {
                        continue;
                    }
                    throw fail("pwrite", "fd " + dst);
                }
                done += w;
            }
            return n;
        }
    }

    // ---- paths longer than PATH_MAX ----

    /**
     * Where a *at call finds {@code p}: AT_FDCWD and the absolute path when the kernel takes the
     * string (almost always), else an O_PATH fd of an ancestor and the rest. Paths inside a
     * filesystem have no length limit (path_resolution(7): PATH_MAX bounds one argument
     * string), and kernel overlayfs works on dentries, so a merged path of up to PATH_MAX-1
     * bytes must work below a layer root of any length. A failed walk keeps its errno for
     * the caller's own error report; closing releases the ancestor fd.
     */
    private At at(Path p) {
        byte[] c = cpathOf(p);
        if (c.length <= PATH_MAX) {
            return new At(AT_FDCWD, c, 0);
        }
        int fd = AT_FDCWD;
        int start = 0;
        int end = c.length - 1; // without the NUL
        while (end - start >= PATH_MAX) {
            // The longest run of whole components that fits in one argument. Names are at most
            // NAME_MAX bytes, so a slash is always found.
            int slash = start + PATH_MAX - 1;
            while (slash > start && c[slash] != '/') slash--;
            if (slash == start) {
                // One component longer than PATH_MAX: not a name any Linux filesystem has.
                if (fd != AT_FDCWD) libc.close(fd);
                return new At(AT_FDCWD, null, Errnos.ENAMETOOLONG);
            }
            byte[] chunk = java.util.Arrays.copyOfRange(c, start, slash + 1);
            chunk[chunk.length - 1] = 0;
            // O_NOFOLLOW|O_DIRECTORY: a symlink in place of a directory fails (ELOOP/ENOTDIR),
            // as it would for the last component of a short path.
            int next = libc.openat(fd, chunk, O_PATH | OpenFlags.O_DIRECTORY | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, 0);
            int e = next < 0 ? errno() : 0;
            if (fd != AT_FDCWD) libc.close(fd);
            if (next < 0) {
                return new At(AT_FDCWD, null, e);
            }
            fd = next;
            start = slash + 1;
        }
        return new At(fd, java.util.Arrays.copyOfRange(c, start, c.length), 0);
    }

    /** A dirfd and a NUL-terminated name relative to it, or the errno of a failed walk. */
    private final class At implements AutoCloseable {
        final int fd;
        final byte[] name;
        final int errno;

        At(int fd, byte[] name, int errno) {
            this.fd = fd;
            this.name = name;
            this.errno = errno;
        }

        boolean ok() {
            return errno == 0;
        }

        boolean failed() {
            return errno != 0;
        }

        /** Throws for a negative result: the walk's errno if the walk failed, else the call's. */
        void check(long rc, String call, Object path) throws FsException {
            if (rc < 0) {
                throw Errnos.exception(failed() ? errno : errno(), call, path);
            }
        }

        @Override
        public void close() {
            if (fd != AT_FDCWD) libc.close(fd);
        }
    }

    /**
     * The path the l*xattr calls take for {@code p}: the path itself when short; for a long one
     * an O_PATH|O_NOFOLLOW fd of the object, named by /proc/self/fd/N for the following *xattr
     * calls (the magic link resolves to the object, a symlink included, and goes no further).
     */
    private XattrPath xattrPath(Path p, String call) throws FsException {
        byte[] c = cpath(p);
        if (c.length <= PATH_MAX) {
            return new XattrPath(c, -1);
        }
        try (At at = at(p)) {
            int fd = at.ok() ? libc.openat(at.fd, at.name, O_PATH | OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC, 0) : -1;
            at.check(fd, call, p);
            return new XattrPath(cstr("/proc/self/fd/" + fd), fd);
        }
    }

    private final class XattrPath implements AutoCloseable {
        private final byte[] path;
        private final int fd;

        XattrPath(byte[] path, int fd) {
            this.path = path;
            this.fd = fd;
        }

        long get(byte[] name, byte[] value, long size) {
            return fd < 0 ? libc.lgetxattr(path, name, value, size) : libc.getxattr(path, name, value, size);
        }

        int set(byte[] name, byte[] value, int flags) {
            return fd < 0 ? libc.lsetxattr(path, name, value, value.length, flags)
                    : libc.setxattr(path, name, value, value.length, flags);
        }

        long list(byte[] buf, long size) {
            return fd < 0 ? libc.llistxattr(path, buf, size) : libc.listxattr(path, buf, size);
        }

        int remove(byte[] name) {
            return fd < 0 ? libc.lremovexattr(path, name) : libc.removexattr(path, name);
        }

        @Override
        public void close() {
            if (fd >= 0) libc.close(fd);
        }
    }

    @Override
    public int geteuid() {
        return libc.geteuid();
    }

    @Override
    public int getegid() {
        return libc.getegid();
    }

    @Override
    public boolean isatty(int fd) {
        return libc.isatty(fd) == 1;
    }
}
