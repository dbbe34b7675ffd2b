package dev.stratafs.fuse.jnr;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.Delegate;

/**
 * The C function pointer types of struct fuse_lowlevel_ops (include/fuse_lowlevel.h, libfuse
 * 3.14), one interface per distinct signature. fuse_req_t and every struct are Pointers;
 * fuse_ino_t, off_t, size_t, uint64_t and dev_t are 64-bit longs (LP64); mode_t and int are ints;
 * names arrive as Pointers and are decoded as UTF-8 by the adapter. Public because jnr-ffi
 * implements them in a class loader of its own.
 */
public interface Fuse3Callbacks {
    /** init(void *userdata, struct fuse_conn_info *conn). */
    interface Init { @Delegate void call(Pointer userdata, Pointer conn); }

    /** destroy(void *userdata). */
    interface Destroy { @Delegate void call(Pointer userdata); }

    /** lookup, unlink, rmdir, removexattr: (req, ino, const char *name). */
    interface InoName { @Delegate void call(Pointer req, long ino, Pointer name); }

    /** forget(req, ino, uint64_t nlookup). */
    interface Forget { @Delegate void call(Pointer req, long ino, long nlookup); }

    /** opendir, releasedir: (req, ino, struct fuse_file_info *fi). */
    interface InoFi { @Delegate void call(Pointer req, long ino, Pointer fi); }

    /** readlink, statfs: (req, ino). */
    interface Ino { @Delegate void call(Pointer req, long ino); }

    /** mknod(req, parent, name, mode_t mode, dev_t rdev). */
    interface Mknod { @Delegate void call(Pointer req, long parent, Pointer name, int mode, long rdev); }

    /** mkdir(req, parent, name, mode_t mode). */
    interface Mkdir { @Delegate void call(Pointer req, long parent, Pointer name, int mode); }

    /** symlink(req, const char *link, parent, name). */
    interface Symlink { @Delegate void call(Pointer req, Pointer link, long parent, Pointer name); }

    /** rename(req, parent, name, newparent, newname, unsigned int flags). */
    interface Rename { @Delegate void call(Pointer req, long parent, Pointer name, long newParent, Pointer newName, int flags); }

    /** link(req, ino, newparent, newname). */
    interface Link { @Delegate void call(Pointer req, long ino, long newParent, Pointer newName); }

    /** read, readdir, readdirplus: (req, ino, size_t size, off_t off, fi). */
    interface InoSizeOff { @Delegate void call(Pointer req, long ino, long size, long off, Pointer fi); }

    /** fsync, fsyncdir: (req, ino, int datasync, fi). */
    interface Fsync { @Delegate void call(Pointer req, long ino, int datasync, Pointer fi); }

    /** setxattr(req, ino, name, const char *value, size_t size, int flags). */
    interface SetXattr { @Delegate void call(Pointer req, long ino, Pointer name, Pointer value, long size, int flags); }

    /** access(req, ino, int mask). */
    interface Access { @Delegate void call(Pointer req, long ino, int mask); }

    /** forget_multi(req, size_t count, struct fuse_forget_data *forgets). */
    interface ForgetMulti { @Delegate void call(Pointer req, long count, Pointer forgets); }

    /** fallocate(req, ino, int mode, off_t offset, off_t length, fi). */
    interface Fallocate { @Delegate void call(Pointer req, long ino, int mode, long offset, long length, Pointer fi); }
}
