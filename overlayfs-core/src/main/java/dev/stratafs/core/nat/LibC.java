package dev.stratafs.core.nat;

import dev.stratafs.core.nat.Natives;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.byref.LongLongByReference;
import jnr.ffi.types.intptr_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;
import java.nio.ByteBuffer;

/**
 * The glibc (>= 2.28 for statx and renameat2) functions we call, bound once by jnr-ffi. Paths and
 * names are NUL-terminated byte arrays (see {@link JnrNativeOs#cpath}) so the encoding is ours,
 * not the platform default's. {@code @SaveError} makes jnr capture errno right after each call.
 *
 * <p>Internal: public only because jnr-ffi defines its implementation in its own class loader,
 * which cannot see package-private types. Use {@link Natives#get()} instead.
 */
@SaveError
public interface LibC {
    int statx(int dirfd, @In byte[] path, int flags, int mask, Pointer buf);

    int mknodat(int dirfd, @In byte[] path, int mode, long dev);

    /** glibc < 2.33 exports only this versioned wrapper of mknodat. */
    int __xmknodat(int ver, int dirfd, @In byte[] path, int mode, @In LongLongByReference dev);

    int mkdirat(int dirfd, @In byte[] path, int mode);

    /** unlink(2) and, with AT_REMOVEDIR, rmdir(2). */
    int unlinkat(int dirfd, @In byte[] path, int flags);

    int symlinkat(@In byte[] target, int newdirfd, @In byte[] link);

    @ssize_t long readlinkat(int dirfd, @In byte[] path, @Out byte[] buf, @size_t long size);

    int linkat(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

    int fchownat(int dirfd, @In byte[] path, int uid, int gid, int flags);

    int fchmodat(int dirfd, @In byte[] path, int mode, int flags);

    /** times: struct timespec[2] flattened as {atime sec, nsec, mtime sec, nsec}. */
    int utimensat(int dirfd, @In byte[] path, @In long[] times, int flags);

    int renameat2(int olddirfd, @In byte[] oldpath, int newdirfd, @In byte[] newpath, int flags);

    @ssize_t long lgetxattr(@In byte[] path, @In byte[] name, @Out byte[] value, @size_t long size);

    int lsetxattr(@In byte[] path, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    @ssize_t long llistxattr(@In byte[] path, @Out byte[] list, @size_t long size);

    int lremovexattr(@In byte[] path, @In byte[] name);

    // The following forms, for /proc/self/fd/N of an O_PATH fd: the magic link lands on the
    // object itself (a symlink is not followed further), and fgetxattr(2) refuses O_PATH fds.

    @ssize_t long getxattr(@In byte[] path, @In byte[] name, @Out byte[] value, @size_t long size);

    int setxattr(@In byte[] path, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    @ssize_t long listxattr(@In byte[] path, @Out byte[] list, @size_t long size);

    int removexattr(@In byte[] path, @In byte[] name);

    int statvfs(@In byte[] path, Pointer buf);

    int statfs(@In byte[] path, Pointer buf);

    int openat(int dirfd, @In byte[] path, int flags, int mode);

    int close(int fd);

    int fsync(int fd);

    int sync_file_range(int fd, @off_t long offset, @off_t long nbytes, int flags);

    int fallocate(int fd, int mode, @off_t long offset, @off_t long len);

    int ftruncate(int fd, @off_t long length);

    int fchmod(int fd, int mode);

    int fchown(int fd, int uid, int gid);

    /** times as for {@link #utimensat}. */
    int futimens(int fd, @In long[] times);

    int fsetxattr(int fd, @In byte[] name, @In byte[] value, @size_t long size, int flags);

    @ssize_t long pread(int fd, @Out ByteBuffer buf, @size_t long count, @off_t long offset);

    @ssize_t long pwrite(int fd, @In ByteBuffer buf, @size_t long count, @off_t long offset);

    @ssize_t long pread(int fd, Pointer buf, @size_t long count, @off_t long offset);

    @ssize_t long pwrite(int fd, Pointer buf, @size_t long count, @off_t long offset);

    @ssize_t long preadv2(int fd, Pointer iov, int iovcnt, @off_t long offset, int flags);

    int posix_fadvise(int fd, @off_t long offset, @off_t long len, int advice);

    /** pread(2) into native memory given by address (a FUSE request buffer): no staging copy. */
    @ssize_t long pread(int fd, @intptr_t long buf, @size_t long count, @off_t long offset);

    @ssize_t long pwrite(int fd, @intptr_t long buf, @size_t long count, @off_t long offset);

    @off_t long lseek(int fd, @off_t long offset, int whence);

    int ioctl(int fd, long request, int arg);

    @ssize_t long copy_file_range(int fdIn, LongLongByReference offIn, int fdOut,
                                  LongLongByReference offOut, @size_t long len, int flags);

    /** glibc >= 2.30; fills buf with struct linux_dirent64 records. */
    @ssize_t long getdents64(int fd, Pointer buf, @size_t long count);

    int geteuid();

    int getegid();

    /** 1 for a terminal, else 0 with errno ENOTTY or EBADF. */
    int isatty(int fd);
}
