package dev.stratafs.fuse.errno;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;

/**
 * The one translation of a failure into the errno a FUSE request answers with. Core failures
 * ({@link FsException}) carry their kind; java.nio failures are recognised by type; anything
 * else is a bug in this program and answers EIO, flagged {@linkplain Mapped#unexpected() unexpected}
 * so the caller can log it.
 */
public final class ErrnoMapper {
    /** An errno (positive) and whether the failure was a surprise worth a stack trace in the log. */
    public record Mapped(int errno, boolean unexpected) {}

    private static final Mapped UNEXPECTED = new Mapped(Errno.EIO, true);

    private ErrnoMapper() {}

    /** The positive errno for {@code t}. */
    public static int errno(Throwable t) {
        return map(t).errno();
    }

    public static Mapped map(Throwable t) {
        if (t instanceof FsException fe) {
            return expected(errno(fe.kind()));
        }
        if (t instanceof UncheckedIOException u && u.getCause() != null) {
            return map(u.getCause());
        }
        if (t instanceof IOException io) {
            return expected(ioErrno(io));
        }
        return UNEXPECTED;
    }

    /** The errno of a core error kind; exhaustive, so a new kind fails compilation here. */
    public static int errno(ErrorKind kind) {
        return switch (kind) {
            case NOT_FOUND -> Errno.ENOENT;
            case EXISTS -> Errno.EEXIST;
            case NOT_DIRECTORY -> Errno.ENOTDIR;
            case IS_DIRECTORY -> Errno.EISDIR;
            case NOT_EMPTY -> Errno.ENOTEMPTY;
            case READ_ONLY -> Errno.EROFS;
            case NAME_TOO_LONG -> Errno.ENAMETOOLONG;
            case INVALID -> Errno.EINVAL;
            case NOT_PERMITTED -> Errno.EPERM;
            case ACCESS_DENIED -> Errno.EACCES;
            case CROSS_DEVICE -> Errno.EXDEV;
            case NO_SPACE -> Errno.ENOSPC;
            case QUOTA -> Errno.EDQUOT;
            case NO_ATTRIBUTE -> Errno.ENODATA;
            case RANGE -> Errno.ERANGE;
            case LOOP -> Errno.ELOOP;
            case BAD_HANDLE -> Errno.EBADF;
            case BUSY -> Errno.EBUSY;
            case TOO_MANY_LINKS -> Errno.EMLINK;
            case FILE_TOO_BIG -> Errno.EFBIG;
            case NOT_SUPPORTED -> Errno.EOPNOTSUPP;
            case NOT_IMPLEMENTED -> Errno.ENOSYS;
            case TOO_BIG -> Errno.E2BIG;
            case TEXT_BUSY -> Errno.ETXTBSY;
            case TRY_AGAIN -> Errno.EAGAIN;
            case INTERRUPTED -> Errno.EINTR;
            case STALE -> Errno.ESTALE;
            case IO -> Errno.EIO;
        };
    }

    private static int ioErrno(IOException e) {
        if (e instanceof NoSuchFileException) return Errno.ENOENT;
        if (e instanceof FileAlreadyExistsException) return Errno.EEXIST;
        if (e instanceof DirectoryNotEmptyException) return Errno.ENOTEMPTY;
        if (e instanceof NotDirectoryException) return Errno.ENOTDIR;
        if (e instanceof AccessDeniedException) return Errno.EACCES;
        if (e instanceof FileSystemLoopException) return Errno.ELOOP;
        if (e instanceof NotLinkException) return Errno.EINVAL;
        if (e instanceof ClosedChannelException) return Errno.EBADF;
        // java.nio has no types for these; its messages are strerror(3) texts (UnixException).
        String text = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
        if (text != null) {
            if (text.contains("No space left on device")) return Errno.ENOSPC;
            if (text.contains("Disk quota exceeded")) return Errno.EDQUOT;
            if (text.contains("Read-only file system")) return Errno.EROFS;
            if (text.contains("File name too long")) return Errno.ENAMETOOLONG;
        }
        return Errno.EIO;
    }

    private static Mapped expected(int errno) {
        return new Mapped(errno, false);
    }
}
