package dev.stratafs.core.nat;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import jnr.constants.platform.Errno;

/**
 * The one place in the core where errno becomes an {@link ErrorKind}. Values come from
 * jnr-constants for the running platform, never from numeric literals; a lookup table indexed by
 * errno is built once so the hot path (every failed lstat) does no enum search.
 */
final class Errnos {
    static final int ENOENT = Errno.ENOENT.intValue();
    static final int EPERM = Errno.EPERM.intValue();
    static final int ENOTDIR = Errno.ENOTDIR.intValue();
    static final int ENODATA = Errno.ENODATA.intValue();
    static final int ERANGE = Errno.ERANGE.intValue();
    static final int EINTR = Errno.EINTR.intValue();
    static final int ENXIO = Errno.ENXIO.intValue();
    static final int EINVAL = Errno.EINVAL.intValue();
    static final int EXDEV = Errno.EXDEV.intValue();
    static final int ENOSYS = Errno.ENOSYS.intValue();
    static final int EOPNOTSUPP = Errno.EOPNOTSUPP.intValue();
    static final int ENOTSUP = Errno.ENOTSUP.intValue();
    static final int ENAMETOOLONG = Errno.ENAMETOOLONG.intValue();

    /** Linux errno values are below 4096 (MAX_ERRNO in include/linux/err.h). */
    private static final int MAX_ERRNO = 4096;
    private static final ErrorKind[] KINDS;
    private static final String[] TEXT;

    static {
        int max = 0;
        for (Errno e : Errno.values()) {
            if (e.defined() && e.intValue() < MAX_ERRNO) {
                max = Math.max(max, e.intValue());
            }
        }
        KINDS = new ErrorKind[max + 1];
        TEXT = new String[max + 1];
        for (Errno e : Errno.values()) {
            if (e.defined() && e.intValue() >= 0 && e.intValue() < MAX_ERRNO) {
                // Aliases (EAGAIN/EWOULDBLOCK, ENOTSUP/EOPNOTSUPP) share a slot and a kind.
                KINDS[e.intValue()] = kindOf(e);
                if (TEXT[e.intValue()] == null) {
                    TEXT[e.intValue()] = e.description();
                }
            }
        }
    }

    private Errnos() {}

    /** The kind for a platform errno value; IO for anything we do not know. */
    static ErrorKind kind(int errno) {
        if (errno > 0 && errno < KINDS.length && KINDS[errno] != null) {
            return KINDS[errno];
        }
        return ErrorKind.IO;
    }

    /** strerror(3)-like text, without strerror's thread-safety caveats. */
    static String text(int errno) {
        if (errno > 0 && errno < TEXT.length && TEXT[errno] != null) {
            return TEXT[errno];
        }
        return "errno " + errno;
    }

    /** "<call> <path>: <strerror>". */
    static FsException exception(int errno, String call, Object path) {
        return new FsException(kind(errno), call + " " + path + ": " + text(errno));
    }

    static ErrorKind kindOf(Errno e) {
        switch (e) {
            case ENOENT: return ErrorKind.NOT_FOUND;
            case EEXIST: return ErrorKind.EXISTS;
            case ENOTDIR: return ErrorKind.NOT_DIRECTORY;
            case EISDIR: return ErrorKind.IS_DIRECTORY;
            case ENOTEMPTY: return ErrorKind.NOT_EMPTY;
            case EROFS: return ErrorKind.READ_ONLY;
            case ENAMETOOLONG: return ErrorKind.NAME_TOO_LONG;
            case EINVAL: return ErrorKind.INVALID;
            case EPERM: return ErrorKind.NOT_PERMITTED;
            case EACCES: return ErrorKind.ACCESS_DENIED;
            case EXDEV: return ErrorKind.CROSS_DEVICE;
            case ENOSPC: return ErrorKind.NO_SPACE;
            case EDQUOT: return ErrorKind.QUOTA;
            case ENODATA: return ErrorKind.NO_ATTRIBUTE;
            case ERANGE: return ErrorKind.RANGE;
            case ELOOP: return ErrorKind.LOOP;
            case EBADF: return ErrorKind.BAD_HANDLE;
            case EBUSY: return ErrorKind.BUSY;
            case EMLINK: return ErrorKind.TOO_MANY_LINKS;
            case EFBIG: return ErrorKind.FILE_TOO_BIG;
            case ENOTSUP:
            case EOPNOTSUPP: return ErrorKind.NOT_SUPPORTED;
            case ENOSYS: return ErrorKind.NOT_IMPLEMENTED;
            case E2BIG: return ErrorKind.TOO_BIG;
            case ETXTBSY: return ErrorKind.TEXT_BUSY;
            case EAGAIN:
            case EWOULDBLOCK: return ErrorKind.TRY_AGAIN;
            case EINTR: return ErrorKind.INTERRUPTED;
            default: return ErrorKind.IO;
        }
    }
}
