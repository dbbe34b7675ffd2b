package dev.stratafs.fuse;

import dev.stratafs.core.Caller;
import dev.stratafs.core.DirEntry;
import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A test stand-in for the core: every path maps onto one host directory through java.nio, no
 * layers. Lets the adapter and the mount lifecycle be tested mounted, independently of the core.
 * Only user.* xattrs; no mknod; good enough for the adapter's own behaviour, not a filesystem.
 * {@link #failOn} injects a bug (a RuntimeException) for matching getattr paths.
 */
public final class DirBackend implements FsBackend {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private final Path root;
    private volatile Predicate<String> failOn = p -> false;

    public DirBackend(Path root) {
        this.root = root;
    }

    public void failOn(Predicate<String> paths) {
        this.failOn = paths;
    }

    private volatile java.util.concurrent.CountDownLatch stall;

    /** Until the latch opens, getattr of the root blocks (a filesystem that does not answer). */
    public void stallRootGetattr(java.util.concurrent.CountDownLatch until) {
        this.stall = until;
    }

    private volatile java.util.function.Consumer<String> beforeGetattr = p -> {};

    /** Runs {@code hook} at the start of every getattr (tests block requests with it). */
    public void beforeGetattr(java.util.function.Consumer<String> hook) {
        this.beforeGetattr = hook;
    }

    private Path p(String path) {
        String rel = path.startsWith("/") ? path.substring(1) : path;
        return rel.isEmpty() ? root : root.resolve(rel);
    }

    @Override
    public boolean readOnly() {
        return false;
    }

    @Override
    public FileAttr getattr(String path) throws IOException {
        if (failOn.test(path)) throw new IllegalStateException("injected bug for " + path);
        beforeGetattr.accept(path);
        java.util.concurrent.CountDownLatch s = stall;
        if (s != null && path.equals("/")) {
            try {
                s.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return attr(p(path));
    }

    static FileAttr attr(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:*", NOFOLLOW);
        long size = (Long) a.get("size");
        FileTime at = (FileTime) a.get("lastAccessTime");
        FileTime mt = (FileTime) a.get("lastModifiedTime");
        FileTime ct = (FileTime) a.get("ctime");
        return new FileAttr((Long) a.get("ino"), (Integer) a.get("mode"), (Integer) a.get("nlink"),
                (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("rdev"), size, 4096, (size + 511) / 512,
                sec(at), nsec(at), sec(mt), nsec(mt), sec(ct), nsec(ct));
    }

    private static long sec(FileTime t) {
        return Math.floorDiv(t.to(TimeUnit.NANOSECONDS), 1_000_000_000L);
    }

    private static long nsec(FileTime t) {
        return Math.floorMod(t.to(TimeUnit.NANOSECONDS), 1_000_000_000L);
    }

    @Override
    public List<DirEntry> readdir(String path) throws IOException {
        List<DirEntry> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(p(path))) {
            for (Path c : (Iterable<Path>) s.sorted()::iterator) {
                FileAttr a = attr(c);
                out.add(new DirEntry(c.getFileName().toString(), a.ino(), a.type()));
            }
        }
        return out;
    }

    @Override
    public String readlink(String path) throws IOException {
        return Files.readSymbolicLink(p(path)).toString();
    }

    @Override
    public OpenFile open(String path, int flags, Caller caller) throws IOException {
        Path f = p(path);
        if (Files.isDirectory(f, NOFOLLOW)) throw FsException.of(ErrorKind.IS_DIRECTORY, "open", path);
        return new ChannelFile(path, f, FileChannel.open(f, options(flags, false)), (flags & NativeOs.OpenFlags.O_APPEND) != 0);
    }

    @Override
    public OpenFile create(String path, int flags, int mode, Caller caller) throws IOException {
        Path f = p(path);
        FileChannel ch = FileChannel.open(f, options(flags, true));
        own(f, mode & ~caller.umask(), caller);
        return new ChannelFile(path, f, ch, (flags & NativeOs.OpenFlags.O_APPEND) != 0);
    }

    private static Set<OpenOption> options(int flags, boolean create) {
        Set<OpenOption> o = new HashSet<>();
        o.add(LinkOption.NOFOLLOW_LINKS);
        int acc = flags & NativeOs.OpenFlags.O_ACCMODE;
        if (acc == NativeOs.OpenFlags.O_RDONLY || acc == NativeOs.OpenFlags.O_RDWR) o.add(StandardOpenOption.READ);
        if (acc == NativeOs.OpenFlags.O_WRONLY || acc == NativeOs.OpenFlags.O_RDWR) o.add(StandardOpenOption.WRITE);
        if ((flags & NativeOs.OpenFlags.O_TRUNC) != 0 && o.contains(StandardOpenOption.WRITE)) o.add(StandardOpenOption.TRUNCATE_EXISTING);
        if (create) {
            o.add(StandardOpenOption.WRITE);
            o.add((flags & NativeOs.OpenFlags.O_EXCL) != 0 ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
        }
        return o;
    }

    private static void own(Path f, int mode, Caller caller) throws IOException {
        Files.setPosixFilePermissions(f, perms(mode));
        Files.setAttribute(f, "unix:uid", caller.uid(), NOFOLLOW);
        Files.setAttribute(f, "unix:gid", caller.gid(), NOFOLLOW);
    }

    private static Set<PosixFilePermission> perms(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < 9; i++) if ((mode & (1 << i)) != 0) s.add(order[i]);
        return s;
    }

    @Override
    public void mknod(String path, int mode, long rdev, Caller caller) throws IOException {
        throw FsException.of(ErrorKind.NOT_SUPPORTED, "mknod", path);
    }

    @Override
    public void mkdir(String path, int mode, Caller caller) throws IOException {
        Path d = p(path);
        Files.createDirectory(d);
        own(d, mode & ~caller.umask(), caller);
    }

    @Override
    public void unlink(String path) throws IOException {
        Path f = p(path);
        if (Files.isDirectory(f, NOFOLLOW)) throw FsException.of(ErrorKind.IS_DIRECTORY, "unlink", path);
        Files.delete(f);
    }

    @Override
    public void rmdir(String path) throws IOException {
        Path d = p(path);
        if (!Files.isDirectory(d, NOFOLLOW)) throw FsException.of(ErrorKind.NOT_DIRECTORY, "rmdir", path);
        Files.delete(d);
    }

    @Override
    public void rename(String from, String to, int flags, Runnable committed) throws IOException {
        if (flags != 0) throw FsException.of(ErrorKind.INVALID, "rename flags", from);
        Files.move(p(from), p(to), StandardCopyOption.ATOMIC_MOVE);
        committed.run();
    }

    @Override
    public void link(String existing, String newPath) throws IOException {
        Files.createLink(p(newPath), p(existing));
    }

    @Override
    public void symlink(String target, String path, Caller caller) throws IOException {
        Path l = p(path);
        Files.createSymbolicLink(l, Path.of(target));
        Files.setAttribute(l, "unix:uid", caller.uid(), NOFOLLOW);
        Files.setAttribute(l, "unix:gid", caller.gid(), NOFOLLOW);
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        Files.setPosixFilePermissions(p(path), perms(mode));
    }

    @Override
    public void chown(String path, int uid, int gid) throws IOException {
        if (uid != -1) Files.setAttribute(p(path), "unix:uid", uid, NOFOLLOW);
        if (gid != -1) Files.setAttribute(p(path), "unix:gid", gid, NOFOLLOW);
    }

    @Override
    public void utimens(String path, SetTime atime, SetTime mtime) throws IOException {
        Files.getFileAttributeView(p(path), BasicFileAttributeView.class, NOFOLLOW).setTimes(time(mtime), time(atime), null);
    }

    private static FileTime time(SetTime t) {
        if (t.nsec() == NativeOs.UTIME_OMIT) return null;
        if (t.nsec() == NativeOs.UTIME_NOW) return FileTime.from(java.time.Instant.now());
        return FileTime.from(java.time.Instant.ofEpochSecond(t.sec(), t.nsec()));
    }

    @Override
    public void truncate(String path, long size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(p(path).toFile(), "rw")) {
            f.setLength(size);
        }
    }

    private UserDefinedFileAttributeView xattrs(String path) {
        return Files.getFileAttributeView(p(path), UserDefinedFileAttributeView.class, NOFOLLOW);
    }

    private static String userName(String name) throws FsException {
        if (!name.startsWith("user.")) throw FsException.of(ErrorKind.NOT_SUPPORTED, "xattr namespace", name);
        return name.substring(5);
    }

    @Override
    public void setxattr(String path, String name, byte[] value, int flags) throws IOException {
        String n = userName(name);
        boolean exists = xattrs(path).list().contains(n);
        if ((flags & NativeOs.XATTR_CREATE) != 0 && exists) throw FsException.of(ErrorKind.EXISTS, "setxattr", name);
        if ((flags & NativeOs.XATTR_REPLACE) != 0 && !exists) throw FsException.of(ErrorKind.NO_ATTRIBUTE, "setxattr", name);
        xattrs(path).write(n, ByteBuffer.wrap(value));
    }

    @Override
    public byte[] getxattr(String path, String name) throws IOException {
        String n = userName(name);
        UserDefinedFileAttributeView v = xattrs(path);
        if (!v.list().contains(n)) throw FsException.of(ErrorKind.NO_ATTRIBUTE, "getxattr", name);
        ByteBuffer b = ByteBuffer.allocate(v.size(n));
        v.read(n, b);
        return java.util.Arrays.copyOf(b.array(), b.position());
    }

    @Override
    public List<String> listxattr(String path) throws IOException {
        List<String> out = new ArrayList<>();
        for (String n : xattrs(path).list()) out.add("user." + n);
        return out;
    }

    @Override
    public void removexattr(String path, String name) throws IOException {
        String n = userName(name);
        if (!xattrs(path).list().contains(n)) throw FsException.of(ErrorKind.NO_ATTRIBUTE, "removexattr", name);
        xattrs(path).delete(n);
    }

    @Override
    public FsStat statfs(String path) throws IOException {
        FileStore s = Files.getFileStore(root);
        long bs = 4096;
        return new FsStat(bs, bs, s.getTotalSpace() / bs, s.getUnallocatedSpace() / bs, s.getUsableSpace() / bs, 1000, 500, 255);
    }

    @Override
    public void access(String path, int mask, Caller caller) throws IOException {
        if (!Files.exists(p(path), NOFOLLOW)) throw FsException.of(ErrorKind.NOT_FOUND, "access", path);
    }

    /** An open host file; keeps working after its name is unlinked. */
    private static final class ChannelFile implements OpenFile {
        private final String path;
        private final Path host;
        private final FileChannel ch;
        private final boolean append;
        private final long ino;

        ChannelFile(String path, Path host, FileChannel ch, boolean append) throws IOException {
            this.ino = attr(host).ino();
            this.path = path;
            this.host = host;
            this.ch = ch;
            this.append = append;
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            int n = ch.read(dst, position);
            return Math.max(n, 0);
        }

        @Override
        public int read(byte[] dst, int off, int len, long position) throws IOException {
            return read(ByteBuffer.wrap(dst, off, len), position);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            if (append) {
                synchronized (this) {
                    return ch.write(src, ch.size());
                }
            }
            return ch.write(src, position);
        }

        @Override
        public int write(byte[] src, int off, int len, long position) throws IOException {
            return write(ByteBuffer.wrap(src, off, len), position);
        }

        @Override
        public void truncate(long size) throws IOException {
            if (size < ch.size()) {
                ch.truncate(size);
            } else if (size > ch.size()) {
                ch.write(ByteBuffer.wrap(new byte[1]), size - 1);
            }
        }

        @Override
        public void fsync(boolean dataOnly) throws IOException {
            ch.force(!dataOnly);
        }

        @Override
        public void fallocate(int mode, long offset, long length) throws IOException {
            throw FsException.of(ErrorKind.NOT_SUPPORTED, "fallocate", path);
        }

        @Override
        public FileAttr getattr() throws IOException {
            // java.nio has no fstat: use the name while it still names this file.
            try {
                FileAttr a = attr(host);
                if (a.ino() == ino) return a;
            } catch (java.nio.file.NoSuchFileException gone) {
                // unlinked while open
            }
            long size = ch.size();
            return new FileAttr(ino, 0100644, 0, 0, 0, 0, size, 4096, (size + 511) / 512, 0, 0, 0, 0, 0, 0);
        }

        @Override
        public long ino() {
            return ino;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
