package dev.stratafs.core.diff;

import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.FsException;
import java.util.List;

/**
 * The merged view as a script sees it, with one implementation per side: {@link KernelFs} acts on
 * a mount through java.nio (and a few tools), {@link CoreFs} on the core's facade.
 * Paths are merged-view paths ("/a/b"). Every failure is an {@link FsException} whose kind both
 * sides name alike.
 */
interface MergedFs {
    enum WriteMode { AT_OFFSET, TRUNCATE, APPEND }

    String label();

    /** lstat-like: the object itself, never a symlink's target. */
    Node stat(String path) throws FsException;

    /** Names in the directory, sorted, without "." and "..". */
    List<String> list(String path) throws FsException;

    byte[] read(String path) throws FsException;

    String readlink(String path) throws FsException;

    byte[] getxattr(String path, String name) throws FsException;

    /** open(O_WRONLY [|O_TRUNC|O_APPEND]) an existing file, write once, close. */
    void write(String path, long offset, byte[] data, WriteMode mode) throws FsException;

    /** open(O_WRONLY|O_CREAT[|O_EXCL], perm) and close; perm is subject to the umask. */
    void create(String path, int perm, boolean exclusive) throws FsException;

    void truncate(String path, long size) throws FsException;

    void chmod(String path, int perm) throws FsException;

    void chown(String path, int uid, int gid) throws FsException;

    void utimens(String path, SetTime atime, SetTime mtime) throws FsException;

    void unlink(String path) throws FsException;

    void mkdir(String path, int perm) throws FsException;

    void rmdir(String path) throws FsException;

    /** rename(2) without flags. */
    void rename(String from, String to) throws FsException;

    /** renameat2(2) with RENAME_NOREPLACE: EEXIST rather than replacing an existing target. */
    void renameNoReplace(String from, String to) throws FsException;

    void link(String existing, String newPath) throws FsException;

    void symlink(String target, String path) throws FsException;

    void mkfifo(String path, int perm) throws FsException;

    /** mknod(2) of a character device; the umask applies as for mkfifo. */
    void mknodChar(String path, int perm, int major, int minor) throws FsException;

    void setxattr(String path, String name, byte[] value) throws FsException;

    void removexattr(String path, String name) throws FsException;

    /** An open file kept across other operations (open(2) without O_CREAT). */
    interface Handle {
        /** pread from 0 to end of file. */
        byte[] readAll() throws FsException;

        void write(long offset, byte[] data) throws FsException;

        void close() throws FsException;
    }

    Handle open(String path, boolean writable) throws FsException;

    /** The whole merged tree. */
    TreeSnapshot snapshot() throws FsException;
}
