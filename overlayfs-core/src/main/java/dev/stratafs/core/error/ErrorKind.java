package dev.stratafs.core.error;

/**
 * Portable failure kinds of filesystem operations. The core speaks only in these; the FUSE edge
 * turns each into an errno number in one mapper.
 */
public enum ErrorKind {
    /** ENOENT */ NOT_FOUND,
    /** EEXIST */ EXISTS,
    /** ENOTDIR */ NOT_DIRECTORY,
    /** EISDIR */ IS_DIRECTORY,
    /** ENOTEMPTY */ NOT_EMPTY,
    /** EROFS */ READ_ONLY,
    /** ENAMETOOLONG */ NAME_TOO_LONG,
    /** EINVAL */ INVALID,
    /** EPERM */ NOT_PERMITTED,
    /** EACCES */ ACCESS_DENIED,
    /** EXDEV */ CROSS_DEVICE,
    /** ENOSPC */ NO_SPACE,
    /** EDQUOT */ QUOTA,
    /** ENODATA: no such extended attribute */ NO_ATTRIBUTE,
    /** ERANGE */ RANGE,
    /** ELOOP */ LOOP,
    /** EBADF */ BAD_HANDLE,
    /** EBUSY */ BUSY,
    /** EMLINK */ TOO_MANY_LINKS,
    /** EFBIG */ FILE_TOO_BIG,
    /** ENOTSUP / EOPNOTSUPP */ NOT_SUPPORTED,
    /** ENOSYS */ NOT_IMPLEMENTED,
    /** E2BIG */ TOO_BIG,
    /** ETXTBSY */ TEXT_BUSY,
    /** EAGAIN */ TRY_AGAIN,
    /** EINTR */ INTERRUPTED,
    /** ESTALE: a node the kernel holds has no name left; the kernel then looks the path up again */ STALE,
    /** EIO */ IO
}
