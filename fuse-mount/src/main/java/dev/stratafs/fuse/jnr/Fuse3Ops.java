package dev.stratafs.fuse.jnr;

import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * A native struct fuse_lowlevel_ops: 44 function pointers in the order of libfuse 3.14's
 * include/fuse_lowlevel.h (init .. lseek). Unset slots stay NULL, which libfuse answers with
 * ENOSYS (or a default). Holds the closures and their native stubs for as long as it lives: the
 * session keeps calling them until it is destroyed.
 */
final class Fuse3Ops {
    static final int INIT = 0, DESTROY = 1, LOOKUP = 2, FORGET = 3, GETATTR = 4, SETATTR = 5, READLINK = 6,
            MKNOD = 7, MKDIR = 8, UNLINK = 9, RMDIR = 10, SYMLINK = 11, RENAME = 12, LINK = 13, OPEN = 14,
            READ = 15, WRITE = 16, FLUSH = 17, RELEASE = 18, FSYNC = 19, OPENDIR = 20, READDIR = 21,
            RELEASEDIR = 22, FSYNCDIR = 23, STATFS = 24, SETXATTR = 25, GETXATTR = 26, LISTXATTR = 27,
            REMOVEXATTR = 28, ACCESS = 29, CREATE = 30, GETLK = 31, SETLK = 32, BMAP = 33, IOCTL = 34,
            POLL = 35, WRITE_BUF = 36, RETRIEVE_REPLY = 37, FORGET_MULTI = 38, FLOCK = 39, FALLOCATE = 40,
            READDIRPLUS = 41, COPY_FILE_RANGE = 42, LSEEK = 43;
    static final int COUNT = 44;

    private final Runtime rt = Runtime.getSystemRuntime();
    private final Pointer table = Memory.allocateDirect(rt, COUNT * rt.addressSize(), true);
    /** Strong references: a collected closure would leave libfuse calling freed code. */
    private final List<Object> keep = new ArrayList<>();

    <T> void set(int slot, Class<T> type, T closure) {
        Pointer stub = rt.getClosureManager().getClosurePointer(type, closure);
        keep.add(closure);
        keep.add(stub);
        table.putPointer((long) slot * rt.addressSize(), stub);
    }

    Pointer memory() {
        return table;
    }

    long size() {
        return (long) COUNT * rt.addressSize();
    }
}
