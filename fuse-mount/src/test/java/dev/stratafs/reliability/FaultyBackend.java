package dev.stratafs.reliability;

import dev.stratafs.core.Caller;
import dev.stratafs.core.DirEntry;
import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.SetTime;
import dev.stratafs.fuse.FsBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A bug on demand: delegates to a real backend, but the operations named in {@link #arm} throw
 * an unchecked exception (as a programming error would) for one path. Open files opened at that
 * path throw on read/write when "read"/"write" are armed.
 */
final class FaultyBackend implements FsBackend {
    private final FsBackend real;
    private volatile String path = "";
    private final Set<String> ops = ConcurrentHashMap.newKeySet();

    FaultyBackend(FsBackend real) {
        this.real = real;
    }

    void arm(String path, String... opNames) {
        this.path = path;
        ops.clear();
        ops.addAll(List.of(opNames));
    }

    void disarm() {
        ops.clear();
    }

    private void check(String op, String p) {
        if (ops.contains(op) && p.equals(path)) throw new IllegalStateException("injected bug in " + op + " " + p);
    }

    @Override public boolean readOnly() { return real.readOnly(); }
    @Override public FileAttr getattr(String p) throws IOException { check("getattr", p); return real.getattr(p); }
    @Override public List<DirEntry> readdir(String p) throws IOException { check("readdir", p); return real.readdir(p); }
    @Override public String readlink(String p) throws IOException { check("readlink", p); return real.readlink(p); }
    @Override public OpenFile open(String p, int flags, Caller c) throws IOException { check("open", p); return wrap(p, real.open(p, flags, c)); }
    @Override public OpenFile create(String p, int flags, int mode, Caller c) throws IOException { check("create", p); return wrap(p, real.create(p, flags, mode, c)); }
    @Override public void mknod(String p, int mode, long rdev, Caller c) throws IOException { check("mknod", p); real.mknod(p, mode, rdev, c); }
    @Override public void mkdir(String p, int mode, Caller c) throws IOException { check("mkdir", p); real.mkdir(p, mode, c); }
    @Override public void unlink(String p) throws IOException { check("unlink", p); real.unlink(p); }
    @Override public void rmdir(String p) throws IOException { check("rmdir", p); real.rmdir(p); }
    @Override public void rename(String f, String t, int flags, Runnable committed) throws IOException {
        check("rename", f);
        real.rename(f, t, flags, committed);
    }
    @Override public void link(String e, String n) throws IOException { check("link", e); real.link(e, n); }
    @Override public void symlink(String t, String p, Caller c) throws IOException { check("symlink", p); real.symlink(t, p, c); }
    @Override public void chmod(String p, int mode) throws IOException { check("chmod", p); real.chmod(p, mode); }
    @Override public void chown(String p, int u, int g) throws IOException { check("chown", p); real.chown(p, u, g); }
    @Override public void utimens(String p, SetTime a, SetTime m) throws IOException { check("utimens", p); real.utimens(p, a, m); }
    @Override public void truncate(String p, long size) throws IOException { check("truncate", p); real.truncate(p, size); }
    @Override public void setxattr(String p, String n, byte[] v, int f) throws IOException { check("setxattr", p); real.setxattr(p, n, v, f); }
    @Override public byte[] getxattr(String p, String n) throws IOException { check("getxattr", p); return real.getxattr(p, n); }
    @Override public List<String> listxattr(String p) throws IOException { check("listxattr", p); return real.listxattr(p); }
    @Override public void removexattr(String p, String n) throws IOException { check("removexattr", p); real.removexattr(p, n); }
    @Override public FsStat statfs(String p) throws IOException { return real.statfs(p); }
    @Override public void access(String p, int mask, Caller c) throws IOException { check("access", p); real.access(p, mask, c); }

    private OpenFile wrap(String p, OpenFile f) {
        return new OpenFile() {
            @Override public int read(ByteBuffer dst, long pos) throws IOException { check("read", p); return f.read(dst, pos); }
            @Override public int read(byte[] dst, int off, int len, long pos) throws IOException { check("read", p); return f.read(dst, off, len, pos); }
            @Override public int write(ByteBuffer src, long pos) throws IOException { check("write", p); return f.write(src, pos); }
            @Override public int write(byte[] src, int off, int len, long pos) throws IOException { check("write", p); return f.write(src, off, len, pos); }
            @Override public void truncate(long size) throws IOException { check("truncate", p); f.truncate(size); }
            @Override public void fsync(boolean dataOnly) throws IOException { f.fsync(dataOnly); }
            @Override public void fallocate(int mode, long off, long len) throws IOException { f.fallocate(mode, off, len); }
            @Override public FileAttr getattr() throws IOException { check("getattr", p); return f.getattr(); }
            @Override public long ino() { return f.ino(); }
            @Override public String path() { return f.path(); }
            @Override public void close() throws IOException { f.close(); }
        };
    }
}
