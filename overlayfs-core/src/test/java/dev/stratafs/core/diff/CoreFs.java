package dev.stratafs.core.diff;

import dev.stratafs.core.Caller;
import dev.stratafs.core.DirEntry;
import dev.stratafs.core.FileAttr;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import dev.stratafs.core.nat.StatInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The merged view through the core's facade, the way the FUSE edge will drive it: open/create
 * with Linux flags, write, close. Any exception that is not an {@link FsException} is a core bug
 * and surfaces as a failed outcome naming it (see {@link Outcome}).
 */
final class CoreFs implements MergedFs {
    private final OverlayFs fs;
    private final Caller caller;

    CoreFs(OverlayFs fs, Caller caller) {
        this.fs = fs;
        this.caller = caller;
    }

    @Override
    public String label() {
        return "core";
    }

    @Override
    public Node stat(String path) throws FsException {
        return call(() -> node(path, fs.getattr(path), new TreeMap<>()));
    }

    private Node node(String path, FileAttr a, TreeMap<String, String> xattrs) throws IOException {
        String content = null;
        String target = null;
        if (a.isRegular()) content = Node.describeContent(readAll(path));
        if (a.isSymlink()) target = fs.readlink(path);
        String rel = path.equals("/") ? "" : path.substring(1);
        return new Node(rel, a.mode(), a.uid(), a.gid(), a.size(), content, target, a.rdev(), xattrs, a.nlink(),
                a.mtimeSec(), a.mtimeNsec(), a.ino());
    }

    @Override
    public List<String> list(String path) throws FsException {
        return call(() -> {
            List<String> names = new ArrayList<>();
            for (DirEntry e : fs.readdir(path)) names.add(e.name());
            names.sort(null);
            return names;
        });
    }

    @Override
    public byte[] read(String path) throws FsException {
        return call(() -> readAll(path));
    }

    private byte[] readAll(String path) throws IOException {
        try (OpenFile f = fs.open(path, OpenFlags.O_RDONLY, caller)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[65536];
            long pos = 0;
            int n;
            while ((n = f.read(buf, 0, buf.length, pos)) > 0) {
                out.write(buf, 0, n);
                pos += n;
            }
            return out.toByteArray();
        }
    }

    @Override
    public String readlink(String path) throws FsException {
        return call(() -> fs.readlink(path));
    }

    @Override
    public byte[] getxattr(String path, String name) throws FsException {
        return call(() -> fs.getxattr(path, name));
    }

    @Override
    public void write(String path, long offset, byte[] data, WriteMode mode) throws FsException {
        int flags = OpenFlags.O_WRONLY
                | (mode == WriteMode.TRUNCATE ? OpenFlags.O_TRUNC : 0)
                | (mode == WriteMode.APPEND ? OpenFlags.O_APPEND : 0);
        run(() -> {
            try (OpenFile f = fs.open(path, flags, caller)) {
                int done = 0;
                while (done < data.length) {
                    done += f.write(data, done, data.length - done, offset + done);
                }
            }
        });
    }

    @Override
    public void create(String path, int perm, boolean exclusive) throws FsException {
        int flags = OpenFlags.O_WRONLY | OpenFlags.O_CREAT | (exclusive ? OpenFlags.O_EXCL : 0);
        run(() -> fs.create(path, flags, perm, caller).close());
    }

    @Override
    public void truncate(String path, long size) throws FsException {
        run(() -> fs.truncate(path, size));
    }

    @Override
    public void chmod(String path, int perm) throws FsException {
        run(() -> fs.chmod(path, perm));
    }

    @Override
    public void chown(String path, int uid, int gid) throws FsException {
        run(() -> fs.chown(path, uid, gid));
    }

    @Override
    public void utimens(String path, SetTime atime, SetTime mtime) throws FsException {
        run(() -> fs.utimens(path, atime, mtime));
    }

    @Override
    public void unlink(String path) throws FsException {
        run(() -> fs.unlink(path));
    }

    @Override
    public void mkdir(String path, int perm) throws FsException {
        run(() -> fs.mkdir(path, perm, caller));
    }

    @Override
    public void rmdir(String path) throws FsException {
        run(() -> fs.rmdir(path));
    }

    @Override
    public void rename(String from, String to) throws FsException {
        run(() -> fs.rename(from, to, 0));
    }

    @Override
    public void renameNoReplace(String from, String to) throws FsException {
        run(() -> fs.rename(from, to, NativeOs.RENAME_NOREPLACE));
    }

    @Override
    public void link(String existing, String newPath) throws FsException {
        run(() -> fs.link(existing, newPath));
    }

    @Override
    public void symlink(String target, String path) throws FsException {
        run(() -> fs.symlink(target, path, caller));
    }

    @Override
    public void mkfifo(String path, int perm) throws FsException {
        run(() -> fs.mknod(path, StatInfo.S_IFIFO | perm, 0, caller));
    }

    @Override
    public void mknodChar(String path, int perm, int major, int minor) throws FsException {
        // dev_t as the kernel encodes it (new_encode_dev): minor's low byte, major, minor's rest.
        long rdev = (minor & 0xffL) | ((long) major << 8) | ((minor & ~0xffL) << 12);
        run(() -> fs.mknod(path, StatInfo.S_IFCHR | perm, rdev, caller));
    }

    @Override
    public void setxattr(String path, String name, byte[] value) throws FsException {
        run(() -> fs.setxattr(path, name, value, 0));
    }

    @Override
    public void removexattr(String path, String name) throws FsException {
        run(() -> fs.removexattr(path, name));
    }

    @Override
    public Handle open(String path, boolean writable) throws FsException {
        OpenFile f = call(() -> fs.open(path, writable ? OpenFlags.O_RDWR : OpenFlags.O_RDONLY, caller));
        return new Handle() {
            @Override
            public byte[] readAll() throws FsException {
                return call(() -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    byte[] buf = new byte[65536];
                    long pos = 0;
                    int n;
                    while ((n = f.read(buf, 0, buf.length, pos)) > 0) {
                        out.write(buf, 0, n);
                        pos += n;
                    }
                    return out.toByteArray();
                });
            }

            @Override
            public void write(long offset, byte[] data) throws FsException {
                run(() -> {
                    int done = 0;
                    while (done < data.length) done += f.write(data, done, data.length - done, offset + done);
                });
            }

            @Override
            public void close() throws FsException {
                run(f::close);
            }
        };
    }

    /**
     * Walks the merged tree with readdir/getattr/readlink/listxattr/getxattr/read, and checks
     * on the way that readdir's d_ino and d_type agree with getattr (FUSE with use_ino shows
     * both to programs such as find and ls).
     */
    @Override
    public TreeSnapshot snapshot() throws FsException {
        Map<String, Node> nodes = new HashMap<>();
        List<String> anomalies = new ArrayList<>();
        run(() -> walk("/", fs.getattr("/"), nodes, anomalies));
        return new TreeSnapshot(label(), nodes, anomalies);
    }

    private void walk(String path, FileAttr a, Map<String, Node> nodes, List<String> anomalies) throws IOException {
        TreeMap<String, String> xattrs = new TreeMap<>();
        for (String name : fs.listxattr(path)) {
            try {
                xattrs.put(name, HexFormat.of().formatHex(fs.getxattr(path, name)));
            } catch (FsException e) {
                anomalies.add(path + ": listxattr names " + name + " but getxattr says " + e.kind());
            }
        }
        Node n = node(path, a, xattrs);
        nodes.put(n.path(), n);
        if (!a.isDirectory()) return;
        for (DirEntry e : fs.readdir(path)) {
            String child = (path.equals("/") ? "" : path) + "/" + e.name();
            FileAttr ca;
            try {
                ca = fs.getattr(child);
            } catch (FsException ex) {
                anomalies.add(child + ": listed by readdir but getattr says " + ex.kind());
                continue;
            }
            if (e.ino() != ca.ino()) {
                anomalies.add(child + ": readdir ino " + e.ino() + " but getattr ino " + ca.ino());
            }
            if (e.type() != 0 && (e.type() & StatInfo.S_IFMT) != ca.type() && e.type() != ca.type() >> 12) {
                anomalies.add(child + ": readdir type " + Integer.toOctalString(e.type()) + " but getattr type "
                        + Node.typeName(ca.type()));
            }
            walk(child, ca, nodes, anomalies);
        }
    }

    interface IoCall<T> {
        T call() throws IOException;
    }

    interface IoRun {
        void run() throws IOException;
    }

    private static <T> T call(IoCall<T> c) throws FsException {
        try {
            return c.call();
        } catch (FsException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Anything else from the facade breaks its contract; keep it visible in the outcome.
            throw crash(e);
        }
    }

    private static void run(IoRun r) throws FsException {
        call(() -> {
            r.run();
            return null;
        });
    }

    /** Message prefix marking "the core threw something other than an FsException": reported, never matched. */
    static final String CRASH = "core threw ";

    private static FsException crash(Throwable cause) {
        return new FsException(ErrorKind.IO, CRASH + cause, cause);
    }
}
