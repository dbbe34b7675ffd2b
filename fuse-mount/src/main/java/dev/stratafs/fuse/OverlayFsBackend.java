package dev.stratafs.fuse;

import dev.stratafs.core.AttrChange;
import dev.stratafs.core.Caller;
import dev.stratafs.core.DirEntry;
import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.SetTime;
import java.io.IOException;
import java.util.List;
import java.util.function.LongPredicate;

/** {@link FsBackend} straight onto the core. */
final class OverlayFsBackend implements FsBackend {
    private final OverlayFs fs;

    OverlayFsBackend(OverlayFs fs) {
        this.fs = fs;
    }

    @Override
    public boolean readOnly() {
        return fs.readOnly();
    }

    @Override
    public FileAttr getattr(String path) throws IOException {
        return fs.getattr(path);
    }

    @Override
    public FileAttr lookup(String path) throws IOException {
        return fs.lookup(path);
    }

    @Override
    public List<DirEntry> readdir(String path) throws IOException {
        return fs.readdir(path);
    }

    @Override
    public String readlink(String path) throws IOException {
        return fs.readlink(path);
    }

    @Override
    public OpenFile open(String path, int flags, Caller caller) throws IOException {
        return fs.open(path, flags, caller);
    }

    @Override
    public void keepRemovedWhile(LongPredicate referenced) {
        fs.keepRemovedWhile(referenced);
    }

    @Override
    public FileAttr removedAttr(long ino) throws IOException {
        return fs.removedAttr(ino);
    }

    @Override
    public OpenFile openRemoved(long ino, int flags) throws IOException {
        return fs.openRemoved(ino, flags);
    }

    @Override
    public void forgetRemoved(long ino) {
        fs.forgetRemoved(ino);
    }

    @Override
    public OpenFile tmpfile(String dirPath, int flags, int mode, Caller caller) throws IOException {
        return fs.tmpfile(dirPath, flags, mode, caller);
    }

    @Override
    public OpenFile create(String path, int flags, int mode, Caller caller) throws IOException {
        return fs.create(path, flags, mode, caller);
    }

    @Override
    public void mknod(String path, int mode, long rdev, Caller caller) throws IOException {
        fs.mknod(path, mode, rdev, caller);
    }

    @Override
    public void mkdir(String path, int mode, Caller caller) throws IOException {
        fs.mkdir(path, mode, caller);
    }

    @Override
    public void unlink(String path) throws IOException {
        fs.unlink(path);
    }

    @Override
    public void rmdir(String path) throws IOException {
        fs.rmdir(path);
    }

    @Override
    public void rename(String from, String to, int flags, Runnable committed) throws IOException {
        fs.rename(from, to, flags, committed);
    }

    @Override
    public void link(String existing, String newPath) throws IOException {
        fs.link(existing, newPath);
    }

    @Override
    public void symlink(String target, String path, Caller caller) throws IOException {
        fs.symlink(target, path, caller);
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        fs.chmod(path, mode);
    }

    @Override
    public void chown(String path, int uid, int gid) throws IOException {
        fs.chown(path, uid, gid);
    }

    @Override
    public void utimens(String path, SetTime atime, SetTime mtime) throws IOException {
        fs.utimens(path, atime, mtime);
    }

    @Override
    public void truncate(String path, long size) throws IOException {
        fs.truncate(path, size);
    }

    @Override
    public FileAttr setattr(String path, AttrChange c) throws IOException {
        return fs.setattr(path, c);
    }

    @Override
    public void setxattr(String path, String name, byte[] value, int flags) throws IOException {
        fs.setxattr(path, name, value, flags);
    }

    @Override
    public List<String> listxattr(String path) throws IOException {
        return fs.listxattr(path);
    }

    @Override
    public void removexattr(String path, String name) throws IOException {
        fs.removexattr(path, name);
    }

    @Override
    public FsStat statfs(String path) throws IOException {
        return fs.statfs(path);
    }

    @Override
    public void access(String path, int mask, Caller caller) throws IOException {
        fs.access(path, mask, caller);
    }

    @Override
    public byte[] getxattr(String path, String name) throws IOException {
        return fs.getxattr(path, name);
    }

    @Override
    public byte[] xattr(String path, String name) throws IOException {
        return fs.xattr(path, name);
    }
}
