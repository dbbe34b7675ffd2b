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

    private final LibC libc;
    private final Runtime runtime;
    private final ThreadLocal<Pointer> statBuf;
    private final int openExtra;

    JnrNativeOs() {
        libc = LibraryLoader.create(LibC.class).load("c");
        runtime = Runtime.getRuntime(libc);
        statBuf = ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, Statx.SIZE));
        direntBuf = ThreadLocal.withInitial(() -> Memory.allocateDirect(runtime, 32 * 1024));
        openExtra = OpenFlags.O_NOFOLLOW | OpenFlags.O_CLOEXEC;
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
        if (libc.statx(AT_FDCWD, cpath(p), Statx.AT_SYMLINK_NOFOLLOW, Statx.BASIC_STATS, buf) < 0) {
            int e = errno();
            if (e == Errnos.ENOENT || e == Errnos.ENOTDIR) {
                return null;
            }
            throw Errnos.exception(e, "lstat", p);
        }
        return Statx.decode(buf);
    }

    @Override
    public StatInfo lstat(Path p) throws FsException {
        Pointer buf = statBuf.get();
        check(libc.statx(AT_FDCWD, cpath(p), Statx.AT_SYMLINK_NOFOLLOW, Statx.BASIC_STATS, buf), "lstat", p);
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
    public java.util.List<DirEnt> readDir(Path dir) throws FsException {
        int fd = libc.open(cpath(dir), O_RDONLY_DIRECTORY_NOFOLLOW, 0);
        if (fd < 0) {
            int e = errno();
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
        byte[] path = cpath(p);
        int rc;
        try {
            rc = libc.mknod(path, mode, rdev);
        } catch (UnsatisfiedLinkError old) {
            // glibc < 2.33: mknod is an inline wrapper around __xmknod; _MKNOD_VER is 0 on
            // x86_64 and aarch64.
            rc = libc.__xmknod(0, path, mode, new LongLongByReference(rdev));
        }
        check(rc, "mknod", p);
    }

    @Override
    public void mkdir(Path p, int mode) throws FsException {
        check(libc.mkdir(cpath(p), mode), "mkdir", p);
    }

    @Override
    public void rmdir(Path p) throws FsException {
        check(libc.rmdir(cpath(p)), "rmdir", p);
    }

    @Override
    public void unlink(Path p) throws FsException {
        check(libc.unlink(cpath(p)), "unlink", p);
    }

    @Override
    public void symlink(String target, Path link) throws FsException {
        check(libc.symlink(cstr(target), cpath(link)), "symlink", link);
    }

    @Override
    public String readlink(Path p) throws FsException {
        byte[] path = cpath(p);
        // readlink(2) truncates silently; a result that fills the buffer may be cut, so grow.
        for (int size = 256; ; size *= 2) {
            byte[] buf = new byte[size];
            long n = libc.readlink(path, buf, size);
            if (n < 0) {
                throw fail("readlink", p);
            }
            if (n < size) {
                return new String(buf, 0, (int) n, StandardCharsets.UTF_8);
            }
        }
    }

    @Override
    public void link(Path existing, Path newLink) throws FsException {
        check(libc.linkat(AT_FDCWD, cpath(existing), AT_FDCWD, cpath(newLink), 0), "link", newLink);
    }

    @Override
    public void lchown(Path p, int uid, int gid) throws FsException {
        check(libc.lchown(cpath(p), uid, gid), "lchown", p);
    }

    @Override
    public void chmod(Path p, int mode) throws FsException {
        check(libc.chmod(cpath(p), mode), "chmod", p);
    }

    @Override
    public void utimens(Path p, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec)
            throws FsException {
        long[] times = {atimeSec, atimeNsec, mtimeSec, mtimeNsec};
        check(libc.utimensat(AT_FDCWD, cpath(p), times, Statx.AT_SYMLINK_NOFOLLOW), "utimensat", p);
    }

    @Override
    public void rename(Path from, Path to, int flags) throws FsException {
        if (libc.renameat2(AT_FDCWD, cpath(from), AT_FDCWD, cpath(to), flags) < 0) {
            int e = errno();
            throw Errnos.exception(e, "rename", from + " -> " + to);
        }
    }

    // ---- xattrs ----

    @Override
    public byte[] getxattr(Path p, String name) throws FsException {
        byte[] path = cpath(p);
        byte[] cname = cstr(name);
        while (true) {
            long size = libc.lgetxattr(path, cname, null, 0);
            if (size < 0) {
                return xattrMissing(p, name);
            }
            byte[] value = new byte[(int) size];
            if (size == 0) {
                return value;
            }
            long n = libc.lgetxattr(path, cname, value, size);
            if (n >= 0) {
                return n == size ? value : java.util.Arrays.copyOf(value, (int) n);
            }
            if (errno() != Errnos.ERANGE) {
                return xattrMissing(p, name);
            }
            // ERANGE: the value grew between the size query and the fetch; ask again.
        }
    }

    private byte[] xattrMissing(Path p, String name) throws FsException {
        int e = errno();
        if (e == Errnos.ENODATA) {
            return null;
        }
        throw Errnos.exception(e, "getxattr", p + " " + name);
    }

    @Override
    public void setxattr(Path p, String name, byte[] value, int flags) throws FsException {
        check(libc.lsetxattr(cpath(p), cstr(name), value, value.length, flags), "setxattr", p + " " + name);
    }

    @Override
    public List<String> listxattr(Path p) throws FsException {
        byte[] path = cpath(p);
        while (true) {
            long size = libc.llistxattr(path, null, 0);
            if (size < 0) {
                return listFailed(p);
            }
            if (size == 0) {
                return Collections.emptyList();
            }
            byte[] buf = new byte[(int) size];
            long n = libc.llistxattr(path, buf, size);
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
        check(libc.lremovexattr(cpath(p), cstr(name)), "removexattr", p + " " + name);
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

    // ---- file descriptors ----

    @Override
    public int open(Path p, int flags, int mode) throws FsException {
        int fd = libc.open(cpath(p), flags | openExtra, mode);
        check(fd, "open", p);
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

    @Override
    public void fallocate(int fd, int mode, long offset, long length) throws FsException {
        check(libc.fallocate(fd, mode, offset, length), "fallocate", "fd " + fd);
    }

    @Override
    public void ftruncate(int fd, long length) throws FsException {
        check(libc.ftruncate(fd, length), "ftruncate", "fd " + fd);
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

    /** The byte count of a pread/pwrite, or its errno as an exception. */
    private int count(long n, String call, int fd) throws FsException {
        if (n < 0) {
            throw fail(call, "fd " + fd);
        }
        return (int) n;
    }

    // ---- copy up ----

    @Override
    public CopyMethod copyFile(int srcFd, int dstFd, long length) throws FsException {
        if (libc.ioctl(dstFd, FICLONE, srcFd) == 0) {
            // A reflink shares every extent and copies the size; trim or extend only if the
            // caller's length differs from the source's.
            ftruncate(dstFd, length);
            return CopyMethod.CLONE;
        }
        // Any FICLONE failure (EOPNOTSUPP, EXDEV, EINVAL, ENOTTY...) just means "copy instead".
        Copier c = new Copier(srcFd, dstFd);
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
        ftruncate(dstFd, length);
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
