package dev.stratafs.core;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * The layered filesystem: every operation the mount needs, path in ("/a/b"), result out. Thread
 * safe. Knows nothing of FUSE; failures are {@link FsException}s with a portable kind.
 */
public final class OverlayFs implements Closeable {
    // SKELETON: bodies arrive with the core implementation.

    public static OverlayFs open(StackConfig config) throws IOException {
        throw todo();
    }

    public StackConfig config() { throw new UnsupportedOperationException(); }

    public boolean readOnly() { throw new UnsupportedOperationException(); }

    public FileAttr getattr(String path) throws IOException { throw todo(); }

    /** The merged listing of a directory, without "." and "..": deduplicated, whiteouts removed, sorted by name. */
    public List<DirEntry> readdir(String path) throws IOException { throw todo(); }

    public String readlink(String path) throws IOException { throw todo(); }

    /** open(2) of an existing object; flags are Linux O_* flags (O_CREAT is handled by {@link #create}). */
    public OpenFile open(String path, int flags, Caller caller) throws IOException { throw todo(); }

    /** Creates (or with no O_EXCL opens) a regular file; mode is permission bits, umask applied from caller. */
    public OpenFile create(String path, int flags, int mode, Caller caller) throws IOException { throw todo(); }

    /** mknod(2): mode carries the type (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, S_IFREG). */
    public void mknod(String path, int mode, long rdev, Caller caller) throws IOException { throw todo(); }

    public void mkdir(String path, int mode, Caller caller) throws IOException { throw todo(); }

    public void unlink(String path) throws IOException { throw todo(); }

    public void rmdir(String path) throws IOException { throw todo(); }

    /** rename(2) / renameat2(2) with RENAME_NOREPLACE (1) or RENAME_EXCHANGE (2). */
    public void rename(String from, String to, int flags) throws IOException { throw todo(); }

    public void link(String existing, String newPath) throws IOException { throw todo(); }

    public void symlink(String target, String path, Caller caller) throws IOException { throw todo(); }

    public void chmod(String path, int mode) throws IOException { throw todo(); }

    /** chown; -1 leaves an id unchanged. */
    public void chown(String path, int uid, int gid) throws IOException { throw todo(); }

    public void utimens(String path, SetTime atime, SetTime mtime) throws IOException { throw todo(); }

    public void truncate(String path, long size) throws IOException { throw todo(); }

    public void setxattr(String path, String name, byte[] value, int flags) throws IOException { throw todo(); }

    /** The value; NO_ATTRIBUTE when absent. */
    public byte[] getxattr(String path, String name) throws IOException { throw todo(); }

    public List<String> listxattr(String path) throws IOException { throw todo(); }

    public void removexattr(String path, String name) throws IOException { throw todo(); }

    public FsStat statfs(String path) throws IOException { throw todo(); }

    /** access(2) for the caller: mask of R_OK=4, W_OK=2, X_OK=1, or F_OK=0. */
    public void access(String path, int mask, Caller caller) throws IOException { throw todo(); }

    /** Releases caches; open handles stay usable until closed. Idempotent. */
    @Override
    public void close() {}

    private static FsException todo() {
        return new FsException(ErrorKind.NOT_IMPLEMENTED, "not implemented yet");
    }
}
