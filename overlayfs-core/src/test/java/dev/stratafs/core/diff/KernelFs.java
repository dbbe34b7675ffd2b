package dev.stratafs.core.diff;

import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The merged view of a mount: the kernel overlay, and the core side too when it is mounted
 * ({@code -Dstratafs.diff.core=kernel} or {@code =mount}, see {@link CoreSide}), so both sides
 * make the very same system calls. java.nio where it makes the very system call
 * (open, rename with ATOMIC_MOVE, link, symlink, mkdir); coreutils/attr tools where java.nio
 * cannot (mknod, lsetxattr of trusted.*, utimensat with nanoseconds, unlink(2) of a directory).
 */
final class KernelFs implements MergedFs {
    private final String label;
    private final Path mount;

    KernelFs(String label, Path mount) {
        this.label = label;
        this.mount = mount;
    }

    Path mountPoint() {
        return mount;
    }

    @Override
    public String label() {
        return label;
    }

    Path host(String path) {
        String rel = path.startsWith("/") ? path.substring(1) : path;
        return rel.isEmpty() ? mount : mount.resolve(rel);
    }

    @Override
    public Node stat(String path) throws FsException {
        try {
            return HostWalker.node(path, host(path), new TreeMap<>());
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public List<String> list(String path) throws FsException {
        try {
            return HostWalker.names(host(path));
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public byte[] read(String path) throws FsException {
        try {
            return HostWalker.read(host(path));
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public String readlink(String path) throws FsException {
        try {
            return Files.readSymbolicLink(host(path)).toString();
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public byte[] getxattr(String path, String name) throws FsException {
        Cmd.Result r = Cmd.run(List.of("getfattr", "-h", "-e", "hex", "--absolute-names", "-n", name, host(path).toString()));
        if (!r.ok()) throw KernelErrors.fromTool(r);
        var m = HostWalker.parseGetfattr(r.out()).get(host(path).toString());
        if (m == null || !m.containsKey(name)) throw new FsException(ErrorKind.NO_ATTRIBUTE, "kernel: no " + name);
        return HexFormat.of().parseHex(m.get(name));
    }

    @Override
    public void write(String path, long offset, byte[] data, WriteMode mode) throws FsException {
        List<OpenOption> opts = new ArrayList<>(List.of(StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS));
        if (mode == WriteMode.TRUNCATE) opts.add(StandardOpenOption.TRUNCATE_EXISTING);
        if (mode == WriteMode.APPEND) opts.add(StandardOpenOption.APPEND);
        try (FileChannel ch = FileChannel.open(host(path), opts.toArray(new OpenOption[0]))) {
            ByteBuffer b = ByteBuffer.wrap(data);
            long pos = offset;
            while (b.hasRemaining()) {
                pos += mode == WriteMode.APPEND ? ch.write(b) : ch.write(b, pos);
            }
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void create(String path, int perm, boolean exclusive) throws FsException {
        Set<OpenOption> opts = Set.of(StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS,
                exclusive ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
        try (FileChannel ch = FileChannel.open(host(path), opts, PosixFilePermissions.asFileAttribute(perms(perm)))) {
            // open(2) with O_CREAT and the mode; the process umask applies as for the core's Caller.
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void truncate(String path, long size) throws FsException {
        Path p = host(path);
        try {
            // Open first so that a missing file or a directory fails as truncate(2) would; then
            // RandomAccessFile.setLength (ftruncate) also extends, which FileChannel.truncate does not.
            FileChannel.open(p, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).close();
            try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
                raf.setLength(size);
            }
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void chmod(String path, int perm) throws FsException {
        try {
            Files.setAttribute(host(path), "unix:mode", perm);
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void chown(String path, int uid, int gid) throws FsException {
        String spec = (uid < 0 ? "" : String.valueOf(uid)) + (gid < 0 ? "" : ":" + gid);
        tool(List.of("chown", "-h", spec, "--", host(path).toString()));
    }

    @Override
    public void utimens(String path, SetTime atime, SetTime mtime) throws FsException {
        stat(path); // touch -c succeeds silently on a missing file; utimensat(2) would not
        touch(path, "-a", atime);
        touch(path, "-m", mtime);
    }

    private void touch(String path, String which, SetTime t) throws FsException {
        if (t.nsec() == NativeOs.UTIME_OMIT) return;
        List<String> argv = new ArrayList<>(List.of("touch", "-h", "-c", which));
        if (t.nsec() != NativeOs.UTIME_NOW) {
            argv.add("-d");
            argv.add("@" + t.sec() + "." + String.format("%09d", t.nsec()));
        }
        argv.add("--");
        argv.add(host(path).toString());
        tool(argv);
    }

    @Override
    public void unlink(String path) throws FsException {
        Node n = stat(path);
        if (n.isDir()) {
            // java.nio would rmdir a directory; unlink(1) makes the very unlink(2) call (EISDIR).
            tool(List.of("unlink", "--", host(path).toString()));
            return;
        }
        try {
            Files.delete(host(path));
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void mkdir(String path, int perm) throws FsException {
        try {
            Files.createDirectory(host(path), PosixFilePermissions.asFileAttribute(perms(perm)));
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void rmdir(String path) throws FsException {
        Node n = stat(path);
        if (!n.isDir()) {
            tool(List.of("rmdir", "--", host(path).toString()));
            return;
        }
        try {
            Files.delete(host(path));
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void rename(String from, String to) throws FsException {
        try {
            // ATOMIC_MOVE makes java.nio call rename(2) and nothing else (EXDEV -> AtomicMoveNotSupported).
            Files.move(host(from), host(to), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void renameNoReplace(String from, String to) throws FsException {
        // java.nio has no renameat2(2); the core's native layer makes the very call on the mount.
        Natives.get().rename(host(from), host(to), NativeOs.RENAME_NOREPLACE);
    }

    @Override
    public void link(String existing, String newPath) throws FsException {
        try {
            Files.createLink(host(newPath), host(existing));
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void symlink(String target, String path) throws FsException {
        try {
            Files.createSymbolicLink(host(path), Path.of(target));
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
    }

    @Override
    public void mkfifo(String path, int perm) throws FsException {
        // mkfifo -m sets the mode exactly; mknod(2) applies the umask, as the core does.
        tool(List.of("mkfifo", "-m", Integer.toOctalString(perm & ~CoreSide.umask()), "--", host(path).toString()));
    }

    @Override
    public void mknodChar(String path, int perm, int major, int minor) throws FsException {
        tool(List.of("mknod", "-m", Integer.toOctalString(perm & ~CoreSide.umask()), "--", host(path).toString(), "c",
                Integer.toString(major), Integer.toString(minor)));
    }

    @Override
    public void setxattr(String path, String name, byte[] value) throws FsException {
        tool(List.of("setfattr", "-h", "-n", name, "-v", "0x" + HexFormat.of().formatHex(value), host(path).toString()));
    }

    @Override
    public void removexattr(String path, String name) throws FsException {
        tool(List.of("setfattr", "-h", "-x", name, host(path).toString()));
    }

    @Override
    public Handle open(String path, boolean writable) throws FsException {
        FileChannel ch;
        try {
            ch = writable
                    ? FileChannel.open(host(path), StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)
                    : FileChannel.open(host(path), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw KernelErrors.translate(e);
        }
        return new Handle() {
            @Override
            public byte[] readAll() throws FsException {
                try {
                    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
                    ByteBuffer buf = ByteBuffer.allocate(65536);
                    long pos = 0;
                    int n;
                    while ((n = ch.read(buf, pos)) > 0) {
                        out.write(buf.array(), 0, n);
                        pos += n;
                        buf.clear();
                    }
                    return out.toByteArray();
                } catch (IOException e) {
                    throw KernelErrors.translate(e);
                }
            }

            @Override
            public void write(long offset, byte[] data) throws FsException {
                try {
                    ByteBuffer b = ByteBuffer.wrap(data);
                    long pos = offset;
                    while (b.hasRemaining()) pos += ch.write(b, pos);
                } catch (IOException e) {
                    throw KernelErrors.translate(e);
                }
            }

            @Override
            public void close() throws FsException {
                try {
                    ch.close();
                } catch (IOException e) {
                    throw KernelErrors.translate(e);
                }
            }
        };
    }

    @Override
    public TreeSnapshot snapshot() {
        return HostWalker.snapshot(label, mount);
    }

    /** Copies a tree on the mount like mv(1) does across filesystems: cp -a, then rm -rf. */
    void copyThenRemove(String from, String to) throws FsException {
        tool(List.of("cp", "-a", "--", host(from).toString(), host(to).toString()));
        tool(List.of("rm", "-rf", "--", host(from).toString()));
    }

    private static void tool(List<String> argv) throws FsException {
        Cmd.Result r = Cmd.run(argv);
        if (!r.ok()) throw KernelErrors.fromTool(r);
    }

    static Set<PosixFilePermission> perms(int perm) {
        StringBuilder sb = new StringBuilder();
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            sb.append((perm & (1 << (8 - i))) != 0 ? rwx.charAt(i) : '-');
        }
        return PosixFilePermissions.fromString(sb.toString());
    }
}
