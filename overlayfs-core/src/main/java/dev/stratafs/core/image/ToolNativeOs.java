package dev.stratafs.core.image;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.FsStats;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Stand-in for the native layer while dev.stratafs.core.nat.Natives is not merged: the calls the
 * image code needs, through java.nio with NOFOLLOW_LINKS (whose "unix" view makes lstat, lchown,
 * chmod, lutimes) and, for what Java cannot do at all (mknod, xattrs outside user.*), the
 * mknod(1)/setfattr(1)/getfattr(1) tools on argument vectors (no shell). Slow but correct; other
 * calls say NOT_IMPLEMENTED.
 */
final class ToolNativeOs implements NativeOs {
    private static final LinkOption NF = LinkOption.NOFOLLOW_LINKS;

    @Override
    public StatInfo lstatOrNull(Path p) throws FsException {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:*", NF);
            FileTime at = (FileTime) a.get("lastAccessTime");
            FileTime mt = (FileTime) a.get("lastModifiedTime");
            FileTime ct = (FileTime) a.get("ctime");
            return new StatInfo((Long) a.get("dev"), (Long) a.get("ino"), (Integer) a.get("mode"),
                    ((Integer) a.get("nlink")).longValue(), (Integer) a.get("uid"), (Integer) a.get("gid"),
                    (Long) a.get("rdev"), (Long) a.get("size"), 4096, 0,
                    sec(at), nsec(at), sec(mt), nsec(mt), sec(ct), nsec(ct));
        } catch (NoSuchFileException | NotDirectoryException e) {
            return null;
        } catch (IOException e) {
            throw map("lstat", p, e);
        }
    }

    private static long sec(FileTime t) {
        return Math.floorDiv(t.to(java.util.concurrent.TimeUnit.NANOSECONDS), 1_000_000_000L);
    }

    private static long nsec(FileTime t) {
        return Math.floorMod(t.to(java.util.concurrent.TimeUnit.NANOSECONDS), 1_000_000_000L);
    }

    @Override
    public StatInfo lstat(Path p) throws FsException {
        StatInfo st = lstatOrNull(p);
        if (st == null) {
            throw FsException.of(ErrorKind.NOT_FOUND, "lstat", p);
        }
        return st;
    }

    @Override
    public void mknod(Path p, int mode, long rdev) throws FsException {
        int type = mode & StatInfo.S_IFMT;
        String t = type == StatInfo.S_IFCHR ? "c" : type == StatInfo.S_IFBLK ? "b" : type == StatInfo.S_IFIFO ? "p" : null;
        if (t == null) {
            throw FsException.of(ErrorKind.INVALID, "mknod type", p);
        }
        List<String> cmd = new ArrayList<>(List.of("mknod", "-m", Integer.toOctalString(mode & 07777), p.toString(), t));
        if (!t.equals("p")) {
            cmd.add(Long.toString(StatInfo.major(rdev)));
            cmd.add(Long.toString(StatInfo.minor(rdev)));
        }
        run("mknod", p, cmd);
    }

    @Override
    public void mkdir(Path p, int mode) throws FsException {
        try {
            Files.createDirectory(p);
            Files.setAttribute(p, "unix:mode", mode & 07777, NF);
        } catch (IOException e) {
            throw map("mkdir", p, e);
        }
    }

    @Override
    public void rmdir(Path p) throws FsException {
        unlink(p);
    }

    @Override
    public void unlink(Path p) throws FsException {
        try {
            Files.delete(p);
        } catch (IOException e) {
            throw map("unlink", p, e);
        }
    }

    @Override
    public void symlink(String target, Path link) throws FsException {
        try {
            Files.createSymbolicLink(link, Path.of(target));
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw map("symlink", link, e);
        }
    }

    @Override
    public String readlink(Path p) throws FsException {
        try {
            return Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
            throw map("readlink", p, e);
        }
    }

    @Override
    public void link(Path existing, Path newLink) throws FsException {
        try {
            Files.createLink(newLink, existing); // link(2): does not follow a symlink source on Linux
        } catch (IOException e) {
            throw map("link", newLink, e);
        }
    }

    @Override
    public void lchown(Path p, int uid, int gid) throws FsException {
        try {
            if (uid != -1) {
                Files.setAttribute(p, "unix:uid", uid, NF);
            }
            if (gid != -1) {
                Files.setAttribute(p, "unix:gid", gid, NF);
            }
        } catch (IOException e) {
            throw map("lchown", p, e);
        }
    }

    @Override
    public void chmod(Path p, int mode) throws FsException {
        if (special(p)) { // java.nio opens the file to chmod it, which blocks on a FIFO
            run("chmod", p, List.of("chmod", Integer.toOctalString(mode & 07777), p.toString()));
            return;
        }
        try {
            Files.setAttribute(p, "unix:mode", mode & 07777, NF);
        } catch (IOException e) {
            throw map("chmod", p, e);
        }
    }

    @Override
    public void utimens(Path p, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws FsException {
        if (special(p)) { // as for chmod: touch -h neither opens nor follows
            touch(p, "-a", atimeSec, atimeNsec);
            touch(p, "-m", mtimeSec, mtimeNsec);
            return;
        }
        try {
            Files.getFileAttributeView(p, BasicFileAttributeView.class, NF).setTimes(
                    ft(mtimeSec, mtimeNsec), ft(atimeSec, atimeNsec), null);
        } catch (IOException e) {
            throw map("utimens", p, e);
        }
    }

    private void touch(Path p, String which, long sec, long nsec) throws FsException {
        if (nsec == UTIME_OMIT) {
            return;
        }
        String when = nsec == UTIME_NOW ? "now" : "@" + sec + "." + String.format("%09d", nsec);
        run("utimens", p, List.of("touch", "-h", which, "-d", when, p.toString()));
    }

    /** FIFOs, sockets and devices: java.nio would open(2) them to change attributes. */
    private boolean special(Path p) throws FsException {
        StatInfo st = lstatOrNull(p);
        return st != null && !st.isRegular() && !st.isDirectory() && !st.isSymlink();
    }

    private static FileTime ft(long sec, long nsec) {
        if (nsec == UTIME_OMIT) {
            return null;
        }
        if (nsec == UTIME_NOW) {
            return FileTime.from(java.time.Instant.now());
        }
        return FileTime.from(java.time.Instant.ofEpochSecond(sec, nsec));
    }

    @Override
    public void rename(Path from, Path to, int flags) throws FsException {
        if (flags != 0 && flags != RENAME_NOREPLACE) {
            throw FsException.of(ErrorKind.NOT_IMPLEMENTED, "rename flags", from);
        }
        try {
            if (flags == RENAME_NOREPLACE && Files.exists(to, NF)) {
                throw FsException.of(ErrorKind.EXISTS, "rename", to);
            }
            Files.move(from, to, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (FsException e) {
            throw e;
        } catch (IOException e) {
            throw map("rename", from, e);
        }
    }

    @Override
    public byte[] getxattr(Path p, String name) throws FsException {
        for (String line : getfattr(p, name)) {
            int eq = line.indexOf('=');
            if (eq > 0 && line.substring(0, eq).equals(name)) {
                return decode(line.substring(eq + 1));
            }
        }
        return null;
    }

    @Override
    public void setxattr(Path p, String name, byte[] value, int flags) throws FsException {
        run("setxattr", p, List.of("setfattr", "-h", "-n", name, "-v", "0x" + HexFormat.of().formatHex(value), p.toString()));
    }

    @Override
    public List<String> listxattr(Path p) throws FsException {
        List<String> out = new ArrayList<>();
        for (String line : getfattr(p, null)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.add(line.substring(0, eq));
            }
        }
        return out;
    }

    private List<String> getfattr(Path p, String name) throws FsException {
        List<String> cmd = new ArrayList<>(List.of("getfattr", "-h", "--absolute-names", "-e", "hex"));
        if (name == null) {
            cmd.addAll(List.of("-d", "-m", "-"));
        } else {
            cmd.addAll(List.of("-n", name));
        }
        cmd.add(p.toString());
        Result r = exec(cmd);
        if (r.status != 0) {
            if (r.err.contains("No such attribute")) {
                return List.of();
            }
            if (r.err.contains("No such file")) {
                throw FsException.of(ErrorKind.NOT_FOUND, "getxattr", p);
            }
            if (r.err.contains("Operation not supported")) {
                return List.of();
            }
            throw new FsException(ErrorKind.IO, "getfattr " + p + ": " + r.err.trim());
        }
        return r.out.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    }

    private static byte[] decode(String v) {
        if (v.startsWith("0x")) {
            return HexFormat.of().parseHex(v.substring(2));
        }
        if (v.startsWith("\"") && v.endsWith("\"") && v.length() >= 2) {
            return v.substring(1, v.length() - 1).getBytes(StandardCharsets.UTF_8);
        }
        return v.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void removexattr(Path p, String name) throws FsException {
        run("removexattr", p, List.of("setfattr", "-h", "-x", name, p.toString()));
    }

    @Override
    public int geteuid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            return -1;
        }
    }

    @Override
    public int getegid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
        } catch (IOException e) {
            return -1;
        }
    }

    // ---- not needed by the image code ----

    @Override
    public StatInfo fstat(int fd) throws FsException {
        throw unsupported();
    }

    @Override
    public FsStats statvfs(Path p) throws FsException {
        throw unsupported();
    }

    @Override
    public int open(Path p, int flags, int mode) throws FsException {
        throw unsupported();
    }

    @Override
    public void close(int fd) {}

    @Override
    public void fsync(int fd) throws FsException {
        throw unsupported();
    }

    @Override
    public void fallocate(int fd, int mode, long offset, long length) throws FsException {
        throw unsupported();
    }

    @Override
    public void ftruncate(int fd, long length) throws FsException {
        throw unsupported();
    }

    @Override
    public int pread(int fd, byte[] buf, int off, int len, long position) throws FsException {
        throw unsupported();
    }

    @Override
    public int pwrite(int fd, byte[] buf, int off, int len, long position) throws FsException {
        throw unsupported();
    }

    @Override
    public CopyMethod copyFile(int srcFd, int dstFd, long length) throws FsException {
        throw unsupported();
    }

    private static FsException unsupported() {
        return new FsException(ErrorKind.NOT_IMPLEMENTED, "not available without the native layer");
    }

    private record Result(int status, String out, String err) {}

    private static Result exec(List<String> cmd) throws FsException {
        try {
            Process pr = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            byte[] err;
            String out = new String(pr.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            err = pr.getErrorStream().readAllBytes();
            return new Result(pr.waitFor(), out, new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new FsException(ErrorKind.IO, "cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorKind.INTERRUPTED, "interrupted running " + cmd.get(0));
        }
    }

    private static void run(String what, Path p, List<String> cmd) throws FsException {
        Result r = exec(cmd);
        if (r.status != 0) {
            String err = r.err.trim();
            ErrorKind k = err.contains("File exists") ? ErrorKind.EXISTS
                    : err.contains("Operation not permitted") ? ErrorKind.NOT_PERMITTED
                    : err.contains("No such file") ? ErrorKind.NOT_FOUND
                    : err.contains("not supported") ? ErrorKind.NOT_SUPPORTED : ErrorKind.IO;
            throw new FsException(k, what + " " + p + ": " + err);
        }
    }

    private static FsException map(String what, Path p, Exception e) {
        ErrorKind k = e instanceof NoSuchFileException ? ErrorKind.NOT_FOUND
                : e instanceof FileAlreadyExistsException ? ErrorKind.EXISTS
                : e instanceof AccessDeniedException ? ErrorKind.ACCESS_DENIED
                : e instanceof NotDirectoryException ? ErrorKind.NOT_DIRECTORY
                : e instanceof java.nio.file.FileSystemException f && f.getReason() != null
                        && f.getReason().contains("not permitted") ? ErrorKind.NOT_PERMITTED
                : ErrorKind.IO;
        return new FsException(k, what + ": " + p + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"), e);
    }
}
