package dev.stratafs.core.diff;

import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.FsException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/** The operations scenarios are made of. Each names itself like a shell command for messages. */
final class Ops {
    private Ops() {}

    private static Op op(String describe, Body body) {
        return new Op() {
            @Override
            public String describe() {
                return describe;
            }

            @Override
            public String apply(MergedFs fs) throws FsException {
                return body.apply(fs);
            }

            @Override
            public String toString() {
                return describe;
            }
        };
    }

    private interface Body {
        String apply(MergedFs fs) throws FsException;
    }

    private interface Mutation {
        void apply(MergedFs fs) throws FsException;
    }

    private static Op mutation(String describe, Mutation m) {
        return op(describe, fs -> {
            m.apply(fs);
            return null;
        });
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Op write(String path, long offset, String data) {
        return mutation("pwrite " + path + " @" + offset + " \"" + data + "\"",
                fs -> fs.write(path, offset, bytes(data), MergedFs.WriteMode.AT_OFFSET));
    }

    static Op overwrite(String path, String data) {
        return mutation("write O_TRUNC " + path + " \"" + data + "\"",
                fs -> fs.write(path, 0, bytes(data), MergedFs.WriteMode.TRUNCATE));
    }

    static Op append(String path, String data) {
        return mutation("write O_APPEND " + path + " \"" + data + "\"",
                fs -> fs.write(path, 0, bytes(data), MergedFs.WriteMode.APPEND));
    }

    static Op create(String path, int perm) {
        return mutation("create " + path + " " + Integer.toOctalString(perm), fs -> fs.create(path, perm, false));
    }

    static Op createExclusive(String path, int perm) {
        return mutation("create O_EXCL " + path + " " + Integer.toOctalString(perm), fs -> fs.create(path, perm, true));
    }

    static Op truncate(String path, long size) {
        return mutation("truncate " + path + " " + size, fs -> fs.truncate(path, size));
    }

    static Op chmod(String path, int perm) {
        return mutation("chmod " + Integer.toOctalString(perm) + " " + path, fs -> fs.chmod(path, perm));
    }

    static Op chown(String path, int uid, int gid) {
        return mutation("chown " + uid + ":" + gid + " " + path, fs -> fs.chown(path, uid, gid));
    }

    static Op utimens(String path, SetTime atime, SetTime mtime) {
        return mutation("utimens " + path + " a=" + atime + " m=" + mtime, fs -> fs.utimens(path, atime, mtime));
    }

    static Op unlink(String path) {
        return mutation("unlink " + path, fs -> fs.unlink(path));
    }

    static Op mkdir(String path, int perm) {
        return mutation("mkdir " + path + " " + Integer.toOctalString(perm), fs -> fs.mkdir(path, perm));
    }

    static Op rmdir(String path) {
        return mutation("rmdir " + path, fs -> fs.rmdir(path));
    }

    /** rm -rf through readdir: children first, as rm(1) does; fails at the first error. */
    static Op rmRf(String path) {
        return mutation("rm -rf " + path, fs -> removeTree(fs, path));
    }

    private static void removeTree(MergedFs fs, String path) throws FsException {
        Node n = fs.stat(path);
        if (n.isDir()) {
            for (String child : fs.list(path)) {
                removeTree(fs, (path.equals("/") ? "" : path) + "/" + child);
            }
            fs.rmdir(path);
        } else {
            fs.unlink(path);
        }
    }

    static Op rename(String from, String to) {
        return mutation("rename " + from + " " + to, fs -> fs.rename(from, to));
    }

    static Op renameNoReplace(String from, String to) {
        return mutation("renameat2 RENAME_NOREPLACE " + from + " " + to, fs -> fs.renameNoReplace(from, to));
    }

    static Op link(String existing, String newPath) {
        return mutation("link " + existing + " " + newPath, fs -> fs.link(existing, newPath));
    }

    static Op symlink(String target, String path) {
        return mutation("symlink " + target + " " + path, fs -> fs.symlink(target, path));
    }

    static Op mknodChar(String path, int perm, int major, int minor) {
        return mutation("mknod " + path + " c " + major + " " + minor, fs -> fs.mknodChar(path, perm, major, minor));
    }

    static Op mkfifo(String path, int perm) {
        return mutation("mkfifo " + path + " " + Integer.toOctalString(perm), fs -> fs.mkfifo(path, perm));
    }

    static Op setxattr(String path, String name, String value) {
        return mutation("setxattr " + path + " " + name + "=" + value, fs -> fs.setxattr(path, name, bytes(value)));
    }

    static Op removexattr(String path, String name) {
        return mutation("removexattr " + path + " " + name, fs -> fs.removexattr(path, name));
    }

    /**
     * Opens path read-only, runs {@code between} (through the path), then reads through the
     * handle opened before: a handle must see the copy-up another one caused (overlayfs.rst,
     * "Non-standard behavior" lists this as fixed since 4.19).
     */
    static Op readViaHandleAcross(String path, Op between) {
        return op("open " + path + " O_RDONLY; " + between.describe() + "; read via that handle", fs -> {
            MergedFs.Handle h = fs.open(path, false);
            try {
                String inner = between.apply(fs);
                return Node.describeContent(h.readAll()) + (inner == null ? "" : " (" + inner + ")");
            } finally {
                h.close();
            }
        });
    }

    /** Opens path read-write, unlinks it, then writes and reads through the handle (unlinked-open file). */
    static Op writeViaHandleAfterUnlink(String path, String data) {
        return op("open " + path + " O_RDWR; unlink; pwrite+read via handle", fs -> {
            MergedFs.Handle h = fs.open(path, true);
            try {
                fs.unlink(path);
                h.write(0, bytes(data));
                return Node.describeContent(h.readAll());
            } finally {
                h.close();
            }
        });
    }

    // Reading steps: their observation is compared too.

    static Op read(String path) {
        return op("read " + path, fs -> Node.describeContent(fs.read(path)));
    }

    static Op list(String path) {
        return op("readdir " + path, fs -> fs.list(path).toString());
    }

    static Op readlink(String path) {
        return op("readlink " + path, fs -> fs.readlink(path));
    }

    static Op getxattr(String path, String name) {
        return op("getxattr " + path + " " + name, fs -> HexFormat.of().formatHex(fs.getxattr(path, name)));
    }

    /** lstat: type, permissions, owner, size (files), nlink (non-directories). */
    static Op stat(String path) {
        return op("stat " + path, fs -> {
            Node n = fs.stat(path);
            String s = Node.typeName(n.type()) + " " + String.format("%04o", n.perm()) + " " + n.uid() + ":" + n.gid();
            if (n.isRegular()) s += " size=" + n.size();
            if (!n.isDir()) s += " nlink=" + n.nlink();
            return s;
        });
    }

    /** lstat's mtime, for directories whose times the tree comparison leaves out. */
    static Op mtime(String path) {
        return op("mtime " + path, fs -> {
            Node n = fs.stat(path);
            return n.mtimeSec() + "." + String.format("%09d", n.mtimeNsec());
        });
    }
}
