package dev.stratafs.core.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.util.Map;
import jnr.constants.platform.Errno;
import org.junit.jupiter.api.Test;

class ErrnosTest {
    private static final Map<Errno, ErrorKind> TABLE = Map.ofEntries(
            Map.entry(Errno.ENOENT, ErrorKind.NOT_FOUND),
            Map.entry(Errno.EEXIST, ErrorKind.EXISTS),
            Map.entry(Errno.ENOTDIR, ErrorKind.NOT_DIRECTORY),
            Map.entry(Errno.EISDIR, ErrorKind.IS_DIRECTORY),
            Map.entry(Errno.ENOTEMPTY, ErrorKind.NOT_EMPTY),
            Map.entry(Errno.EROFS, ErrorKind.READ_ONLY),
            Map.entry(Errno.ENAMETOOLONG, ErrorKind.NAME_TOO_LONG),
            Map.entry(Errno.EINVAL, ErrorKind.INVALID),
            Map.entry(Errno.EPERM, ErrorKind.NOT_PERMITTED),
            Map.entry(Errno.EACCES, ErrorKind.ACCESS_DENIED),
            Map.entry(Errno.EXDEV, ErrorKind.CROSS_DEVICE),
            Map.entry(Errno.ENOSPC, ErrorKind.NO_SPACE),
            Map.entry(Errno.EDQUOT, ErrorKind.QUOTA),
            Map.entry(Errno.ENODATA, ErrorKind.NO_ATTRIBUTE),
            Map.entry(Errno.ERANGE, ErrorKind.RANGE),
            Map.entry(Errno.ELOOP, ErrorKind.LOOP),
            Map.entry(Errno.EBADF, ErrorKind.BAD_HANDLE),
            Map.entry(Errno.EBUSY, ErrorKind.BUSY),
            Map.entry(Errno.EMLINK, ErrorKind.TOO_MANY_LINKS),
            Map.entry(Errno.EFBIG, ErrorKind.FILE_TOO_BIG),
            Map.entry(Errno.ENOTSUP, ErrorKind.NOT_SUPPORTED),
            Map.entry(Errno.EOPNOTSUPP, ErrorKind.NOT_SUPPORTED),
            Map.entry(Errno.ENOSYS, ErrorKind.NOT_IMPLEMENTED),
            Map.entry(Errno.E2BIG, ErrorKind.TOO_BIG),
            Map.entry(Errno.ETXTBSY, ErrorKind.TEXT_BUSY),
            Map.entry(Errno.EAGAIN, ErrorKind.TRY_AGAIN),
            Map.entry(Errno.EWOULDBLOCK, ErrorKind.TRY_AGAIN),
            Map.entry(Errno.EINTR, ErrorKind.INTERRUPTED),
            Map.entry(Errno.EIO, ErrorKind.IO),
            Map.entry(Errno.ENXIO, ErrorKind.IO),
            Map.entry(Errno.ENOMEM, ErrorKind.IO));

    @Test
    void everyListedErrnoMapsToItsKindByEnumAndByNumber() {
        TABLE.forEach((errno, kind) -> {
            assertEquals(kind, Errnos.kindOf(errno), errno.name());
            assertEquals(kind, Errnos.kind(errno.intValue()), errno.name() + " as number");
        });
    }

    @Test
    void unknownOrNonPositiveErrnoIsIo() {
        assertEquals(ErrorKind.IO, Errnos.kind(0));
        assertEquals(ErrorKind.IO, Errnos.kind(-1));
        assertEquals(ErrorKind.IO, Errnos.kind(100_000));
    }

    @Test
    void exceptionMessageIsCallPathAndStrerror() {
        FsException e = Errnos.exception(Errno.ENOENT.intValue(), "lstat", "/tmp/x");
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertEquals("lstat /tmp/x: " + Errno.ENOENT.description(), e.getMessage());
        assertTrue(e.getMessage().toLowerCase().contains("no such file"), e.getMessage());
    }
}
