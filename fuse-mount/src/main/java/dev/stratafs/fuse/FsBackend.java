package dev.stratafs.fuse;

import dev.stratafs.core.AttrChange;
import dev.stratafs.core.Caller;
import dev.stratafs.core.DirEntry;
import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * What the FUSE adapter needs of a filesystem: exactly the {@link OverlayFs} operations. An
 * interface so that the adapter and the mount lifecycle can be tested (in-process and mounted)
 * against a small stand-in, independently of the core.
 */
public interface FsBackend {
    static FsBackend of(OverlayFs fs) {
        return new OverlayFsBackend(fs);
    }

    boolean readOnly();

    FileAttr getattr(String path) throws IOException;

    /** {@link #getattr}, but null when the directory has no such name (no exception on a lookup's common miss). */
    default FileAttr lookup(String path) throws IOException {
        try {
            return getattr(path);
        } catch (FsException e) {
            if (e.kind() == ErrorKind.NOT_FOUND) return null;
            throw e;
        }
    }

    List<DirEntry> readdir(String path) throws IOException;

    String readlink(String path) throws IOException;

    OpenFile open(String path, int flags, Caller caller) throws IOException;

    OpenFile create(String path, int flags, int mode, Caller caller) throws IOException;

    /**
     * Keeps a file replaced by a rename reachable by inode number while {@code referenced} holds
     * for that number; see {@link #removedAttr}, {@link #openRemoved}, {@link #forgetRemoved}.
     */
    default void keepRemovedWhile(LongPredicate referenced) {
    }

    /** The attributes of a replaced file kept for inode {@code ino}, or null. */
    default FileAttr removedAttr(long ino) throws IOException {
        return null;
    }

    /** Opens a replaced file kept for inode {@code ino}, or null. */
    default OpenFile openRemoved(long ino, int flags) throws IOException {
        return null;
    }

    /** The kernel forgot inode {@code ino}. */
    default void forgetRemoved(long ino) {
    }

    /** open(2) with O_TMPFILE in directory {@code dirPath}: an open file without a name. */
    default OpenFile tmpfile(String dirPath, int flags, int mode, Caller caller) throws IOException {
        throw new FsException(ErrorKind.NOT_SUPPORTED, "O_TMPFILE: " + dirPath);
    }

    void mknod(String path, int mode, long rdev, Caller caller) throws IOException;

    void mkdir(String path, int mode, Caller caller) throws IOException;

    void unlink(String path) throws IOException;

    void rmdir(String path) throws IOException;

    /**
     * rename(2). {@code committed} runs once the rename has taken effect and before any other
     * request can resolve the new names, so the engine's node table never lags behind them.
     */
    void rename(String from, String to, int flags, Runnable committed) throws IOException;

    void link(String existing, String newPath) throws IOException;

    void symlink(String target, String path, Caller caller) throws IOException;

    void chmod(String path, int mode) throws IOException;

    void chown(String path, int uid, int gid) throws IOException;

    void utimens(String path, SetTime atime, SetTime mtime) throws IOException;

    void truncate(String path, long size) throws IOException;

    /** Applies {@code c} (mode, owner, size, times, in that order) and answers the attributes after it. */
    default FileAttr setattr(String path, AttrChange c) throws IOException {
        if (c.mode() >= 0) chmod(path, c.mode());
        if (c.changesOwner()) chown(path, c.uid(), c.gid());
        if (c.size() >= 0) truncate(path, c.size());
        if (c.changesTimes()) utimens(path, c.atime(), c.mtime());
        return getattr(path);
    }

    void setxattr(String path, String name, byte[] value, int flags) throws IOException;

    byte[] getxattr(String path, String name) throws IOException;

    /** {@link #getxattr}, but null when the object has no such attribute. */
    default byte[] xattr(String path, String name) throws IOException {
        try {
            return getxattr(path, name);
        } catch (FsException e) {
            if (e.kind() == ErrorKind.NO_ATTRIBUTE) return null;
            throw e;
        }
    }

    List<String> listxattr(String path) throws IOException;

    void removexattr(String path, String name) throws IOException;

    FsStat statfs(String path) throws IOException;

    void access(String path, int mask, Caller caller) throws IOException;
}
