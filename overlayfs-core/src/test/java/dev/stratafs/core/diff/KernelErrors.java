package dev.stratafs.core.diff;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.util.Map;

/**
 * Turns what the kernel side reports (java.nio exceptions, or a tool's "...: strerror" message)
 * into the core's {@link ErrorKind}, so outcomes of both sides compare by name. java.nio keeps
 * the strerror(3) text as the reason of a plain FileSystemException for errnos it has no class
 * for; the C-locale texts are glibc's.
 */
final class KernelErrors {
    private static final Map<String, ErrorKind> BY_STRERROR = Map.ofEntries(
            Map.entry("No such file or directory", ErrorKind.NOT_FOUND),
            Map.entry("File exists", ErrorKind.EXISTS),
            Map.entry("Not a directory", ErrorKind.NOT_DIRECTORY),
            Map.entry("Is a directory", ErrorKind.IS_DIRECTORY),
            Map.entry("Directory not empty", ErrorKind.NOT_EMPTY),
            Map.entry("Read-only file system", ErrorKind.READ_ONLY),
            Map.entry("File name too long", ErrorKind.NAME_TOO_LONG),
            Map.entry("Invalid argument", ErrorKind.INVALID),
            Map.entry("Operation not permitted", ErrorKind.NOT_PERMITTED),
            Map.entry("Permission denied", ErrorKind.ACCESS_DENIED),
            Map.entry("Invalid cross-device link", ErrorKind.CROSS_DEVICE),
            Map.entry("No space left on device", ErrorKind.NO_SPACE),
            Map.entry("Disk quota exceeded", ErrorKind.QUOTA),
            Map.entry("No data available", ErrorKind.NO_ATTRIBUTE),
            // getfattr(1) prints its own text for ENODATA.
            Map.entry("No such attribute", ErrorKind.NO_ATTRIBUTE),
            Map.entry("Numerical result out of range", ErrorKind.RANGE),
            Map.entry("Too many levels of symbolic links", ErrorKind.LOOP),
            Map.entry("Bad file descriptor", ErrorKind.BAD_HANDLE),
            Map.entry("Device or resource busy", ErrorKind.BUSY),
            Map.entry("Too many links", ErrorKind.TOO_MANY_LINKS),
            Map.entry("File too large", ErrorKind.FILE_TOO_BIG),
            Map.entry("Operation not supported", ErrorKind.NOT_SUPPORTED),
            Map.entry("Function not implemented", ErrorKind.NOT_IMPLEMENTED),
            Map.entry("Argument list too long", ErrorKind.TOO_BIG),
            Map.entry("Text file busy", ErrorKind.TEXT_BUSY),
            Map.entry("Resource temporarily unavailable", ErrorKind.TRY_AGAIN),
            Map.entry("Interrupted system call", ErrorKind.INTERRUPTED),
            Map.entry("Input/output error", ErrorKind.IO));

    private KernelErrors() {}

    static FsException translate(IOException e) {
        if (e instanceof FsException fe) return fe;
        return new FsException(kindOf(e), "kernel: " + e.getMessage(), e);
    }

    static ErrorKind kindOf(IOException e) {
        if (e instanceof NoSuchFileException) return ErrorKind.NOT_FOUND;
        if (e instanceof FileAlreadyExistsException) return ErrorKind.EXISTS;
        if (e instanceof DirectoryNotEmptyException) return ErrorKind.NOT_EMPTY;
        if (e instanceof AccessDeniedException) return ErrorKind.ACCESS_DENIED;
        if (e instanceof NotDirectoryException) return ErrorKind.NOT_DIRECTORY;
        if (e instanceof AtomicMoveNotSupportedException) return ErrorKind.CROSS_DEVICE;
        // readlink(2) answers EINVAL for a non-symlink; java.nio calls that NotLinkException.
        if (e instanceof NotLinkException) return ErrorKind.INVALID;
        if (e instanceof FileSystemLoopException) return ErrorKind.LOOP;
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            ErrorKind k = fromStrerror(fse.getReason());
            if (k != null) return k;
        }
        ErrorKind k = e.getMessage() == null ? null : fromStrerror(e.getMessage());
        if (k != null) return k;
        throw new IllegalStateException("cannot map kernel-side error to an ErrorKind: " + e, e);
    }

    /** Matches a message that is, or ends with, a strerror text (tools print "prog: path: text"). */
    static ErrorKind fromStrerror(String message) {
        String m = message.strip();
        ErrorKind exact = BY_STRERROR.get(m);
        if (exact != null) return exact;
        for (var en : BY_STRERROR.entrySet()) {
            if (m.endsWith(": " + en.getKey())) return en.getValue();
        }
        for (var en : BY_STRERROR.entrySet()) {
            if (m.contains(en.getKey())) return en.getValue();
        }
        return null;
    }

    /** A failed tool's exit as an exception of the matching kind. */
    static FsException fromTool(Cmd.Result r) {
        ErrorKind k = fromStrerror(r.err());
        if (k == null) {
            throw new IllegalStateException("cannot map tool error: " + String.join(" ", r.argv()) + ": " + r.err().strip());
        }
        return new FsException(k, "kernel: " + r.err().strip());
    }
}
