package dev.stratafs.core.nat;

import dev.stratafs.core.nat.Natives;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs as root on ext4 under /tmp (trusted.* xattrs, mknod). */
class JnrNativeOsTest {
    private final NativeOs os = Natives.get();

    @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ALWAYS)
    Path dir;

    @Test
    void getReturnsOneSingleton() {
        assertSame(Natives.get(), Natives.get());
    }

    /* dir/ file (5 bytes), link -> file */
    @Test
    void lstatOfSymlinkDoesNotFollowIt() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "hello");
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("file"));
        StatInfo l = os.lstat(link);
        StatInfo f = os.lstat(file);
        assertTrue(l.isSymlink());
        assertEquals(4, l.size()); // length of the target string "file"
        assertTrue(f.isRegular());
        assertEquals(5, f.size());
        assertFalse(l.ino() == f.ino());
        assertEquals(Files.getAttribute(file, "unix:ino"), f.ino());
        assertEquals(((Number) Files.getAttribute(file, "unix:dev")).longValue(), f.dev());
        assertEquals(1, f.nlink());
        assertEquals(0100644 & ~0022, f.mode() & ~0022);
    }

    /* dir/ file; file/child does not exist (ENOTDIR); missing does not exist (ENOENT) */
    @Test
    void lstatOrNullReturnsNullForMissingAndNotDirectory() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertNull(os.lstatOrNull(dir.resolve("missing")));
        assertNull(os.lstatOrNull(file.resolve("child")));
        assertNotNull(os.lstatOrNull(file));
        FsException e = assertThrows(FsException.class, () -> os.lstat(dir.resolve("missing")));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().startsWith("lstat " + dir.resolve("missing") + ": "), e.getMessage());
    }

    /* dir/ file with kernel-set times */
    @Test
    void timesCarryTheSameNanosecondsAsCoreutilsStat() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        StatInfo s = os.lstat(file);
        String out = run("stat", "-c", "%.9X %.9Y %.9Z", file.toString()).trim();
        assertEquals(out, s.atimeSec() + "." + String.format("%09d", s.atimeNsec()) + " "
                + s.mtimeSec() + "." + String.format("%09d", s.mtimeNsec()) + " "
                + s.ctimeSec() + "." + String.format("%09d", s.ctimeNsec()));
    }

    /* dir/ file, link -> file: utimens sets nanos, OMIT keeps, and does not follow the link */
    @Test
    void utimensSetsNanosecondsHonoursOmitAndDoesNotFollowSymlinks() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("file"));
        os.utimens(file, 1_000_000_000L, 123_456_789L, 1_100_000_000L, 987_654_321L);
        StatInfo s = os.lstat(file);
        assertEquals(1_000_000_000L, s.atimeSec());
        assertEquals(123_456_789L, s.atimeNsec());
        assertEquals(1_100_000_000L, s.mtimeSec());
        assertEquals(987_654_321L, s.mtimeNsec());

        os.utimens(file, 0, NativeOs.UTIME_OMIT, 1_200_000_000L, 5L);
        s = os.lstat(file);
        assertEquals(123_456_789L, s.atimeNsec());
        assertEquals(1_200_000_000L, s.mtimeSec());
        assertEquals(5L, s.mtimeNsec());

        os.utimens(link, 5, 0, 7, 0);
        assertEquals(7, os.lstat(link).mtimeSec());
        assertEquals(1_200_000_000L, os.lstat(file).mtimeSec());
    }

    /* dir/ wh (char 0:0 whiteout), null13 (char 1:3) */
    @Test
    void mknodCharZeroZeroMakesWhiteoutDevice() throws Exception {
        Path wh = dir.resolve("wh");
        os.mknod(wh, StatInfo.S_IFCHR, 0);
        StatInfo s = os.lstat(wh);
        assertTrue(s.isCharDevice());
        assertEquals(0, s.rdev());

        Path nul = dir.resolve("null13");
        os.mknod(nul, StatInfo.S_IFCHR | 0600, Statx.makedev(1, 3));
        StatInfo n = os.lstat(nul);
        assertEquals(1, StatInfo.major(n.rdev()));
        assertEquals(3, StatInfo.minor(n.rdev()));
        assertEquals(0600, n.perm());
        assertEquals(ErrorKind.EXISTS, assertThrows(FsException.class, () -> os.mknod(wh, StatInfo.S_IFCHR, 0)).kind());
    }

    /* dir/ file with trusted.overlay.opaque=y and user.note=hello */
    @Test
    void trustedAndUserXattrsSetGetListRemove() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        assertEquals(List.of(), os.listxattr(file));
        os.setxattr(file, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8), 0);
        os.setxattr(file, "user.note", "hello".getBytes(StandardCharsets.UTF_8), NativeOs.XATTR_CREATE);
        os.setxattr(file, "user.empty", new byte[0], 0);
        assertArrayEquals("y".getBytes(StandardCharsets.UTF_8), os.getxattr(file, "trusted.overlay.opaque"));
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), os.getxattr(file, "user.note"));
        assertArrayEquals(new byte[0], os.getxattr(file, "user.empty"));
        assertNull(os.getxattr(file, "user.missing"));
        assertEquals(List.of("trusted.overlay.opaque", "user.empty", "user.note"),
                os.listxattr(file).stream().sorted().toList());
        assertEquals(ErrorKind.EXISTS, assertThrows(FsException.class,
                () -> os.setxattr(file, "user.note", new byte[] {1}, NativeOs.XATTR_CREATE)).kind());
        assertEquals(ErrorKind.NO_ATTRIBUTE, assertThrows(FsException.class,
                () -> os.setxattr(file, "user.other", new byte[] {1}, NativeOs.XATTR_REPLACE)).kind());

        os.removexattr(file, "user.note");
        assertNull(os.getxattr(file, "user.note"));
        assertEquals(List.of("trusted.overlay.opaque", "user.empty"), os.listxattr(file).stream().sorted().toList());
        assertEquals(ErrorKind.NO_ATTRIBUTE,
                assertThrows(FsException.class, () -> os.removexattr(file, "user.note")).kind());
    }

    /* dir/ file with user.big values of 255, 256, 257 and 3000 bytes (around the one-call buffer) */
    @Test
    void largeXattrValueRoundTrips() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        for (int size : new int[] {255, 256, 257, 3000}) {
            byte[] big = new byte[size];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) (i + size);
            }
            os.setxattr(file, "user.big", big, 0);
            assertArrayEquals(big, os.getxattr(file, "user.big"), size + " bytes");
        }
    }

    /* dir/ a ("A"), b ("B") */
    @Test
    void renameNoreplaceFailsWithExistsAndExchangeSwaps() throws Exception {
        Path a = Files.writeString(dir.resolve("a"), "A");
        Path b = Files.writeString(dir.resolve("b"), "B");
        FsException e = assertThrows(FsException.class, () -> os.rename(a, b, NativeOs.RENAME_NOREPLACE));
        assertEquals(ErrorKind.EXISTS, e.kind());
        assertEquals("B", Files.readString(b));

        os.rename(a, b, NativeOs.RENAME_EXCHANGE);
        assertEquals("B", Files.readString(a));
        assertEquals("A", Files.readString(b));

        os.rename(a, dir.resolve("c"), NativeOs.RENAME_NOREPLACE);
        assertFalse(Files.exists(a));
        assertEquals("B", Files.readString(dir.resolve("c")));
    }

    /* dir/ file, link -> file */
    @Test
    void openOfSymlinkFailsWithLoop() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), Path.of("file"));
        FsException e = assertThrows(FsException.class, () -> os.open(link, OpenFlags.O_RDONLY, 0));
        assertEquals(ErrorKind.LOOP, e.kind());
    }

    /* dir/ f created by open(O_CREAT|O_EXCL|O_RDWR, 0640) */
    @Test
    void openPwritePreadFstatFtruncateFsyncOnAnFd() throws Exception {
        Path f = dir.resolve("f");
        int fd = os.open(f, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0640);
        try {
            byte[] data = "..hello world..".getBytes(StandardCharsets.UTF_8);
            assertEquals(11, os.pwrite(fd, data, 2, 11, 100));
            byte[] back = new byte[20];
            assertEquals(5, os.pread(fd, back, 3, 5, 106));
            assertEquals("world", new String(back, 3, 5, StandardCharsets.UTF_8));
            assertEquals(0, back[2]);
            assertEquals(0, back[8]);
            assertEquals(0, os.pread(fd, back, 0, 20, 111));
            StatInfo s = os.fstat(fd);
            assertEquals(111, s.size());
            assertEquals(os.lstat(f).ino(), s.ino());
            assertEquals(0640, s.perm() & ~0022 | (0640 & 0022));
            os.ftruncate(fd, 10);
            os.fallocate(fd, 0, 0, 4096);
            os.fsync(fd);
            assertEquals(4096, os.fstat(fd).size());
        } finally {
            os.close(fd);
        }
        assertEquals(ErrorKind.EXISTS, assertThrows(FsException.class,
                () -> os.open(f, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_EXCL, 0640)).kind());
        assertEquals(ErrorKind.BAD_HANDLE, assertThrows(FsException.class, () -> os.fstat(fd)).kind());
    }

    /* dir/ d/ (mkdir), d/x, hard link y -> x, sym -> 300-char target */
    @Test
    void namespaceCallsCreateAndRemoveObjects() throws Exception {
        Path d = dir.resolve("d");
        os.mkdir(d, 0750);
        assertTrue(os.lstat(d).isDirectory());
        Path x = Files.writeString(d.resolve("x"), "x");
        os.link(x, d.resolve("y"));
        assertEquals(2, os.lstat(x).nlink());
        assertEquals(ErrorKind.NOT_EMPTY, assertThrows(FsException.class, () -> os.rmdir(d)).kind());

        String target = "t".repeat(300);
        Path sym = d.resolve("sym");
        os.symlink(target, sym);
        assertEquals(target, os.readlink(sym));
        // link(2) of a symlink makes a hard link to the symlink itself (linkat flags 0)
        os.link(sym, d.resolve("sym2"));
        assertTrue(os.lstat(d.resolve("sym2")).isSymlink());

        os.lchown(x, 1234, -1);
        StatInfo s = os.lstat(x);
        assertEquals(1234, s.uid());
        assertEquals(0, s.gid());
        os.lchown(sym, -1, 4321);
        assertEquals(4321, os.lstat(sym).gid());
        assertEquals(0, os.lstat(sym).uid());

        os.chmod(x, 04711);
        assertEquals(04711, os.lstat(x).perm());
        assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(x)));

        for (String n : List.of("x", "y", "sym", "sym2")) {
            os.unlink(d.resolve(n));
        }
        os.rmdir(d);
        assertNull(os.lstatOrNull(d));
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(FsException.class, () -> os.unlink(x)).kind());
    }

    @Test
    void statvfsDescribesTmp() throws Exception {
        FsStats s = os.statvfs(dir);
        assertTrue(s.bsize() > 0);
        assertTrue(s.blocks() >= s.bfree());
        assertEquals(255, s.namemax());
        assertEquals(Long.parseLong(run("stat", "-f", "-c", "%b", dir.toString()).trim()), s.blocks());
    }

    @Test
    void euidAndEgidAreRoot() {
        assertEquals(0, os.geteuid());
        assertEquals(0, os.getegid());
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void readDirReportsNamesInodesAndTypesWithoutDotEntries() throws Exception {
        java.nio.file.Path d = java.nio.file.Files.createDirectories(dir.resolve("rd"));
        java.nio.file.Files.writeString(d.resolve("f"), "x");
        java.nio.file.Files.createDirectories(d.resolve("sub"));
        java.nio.file.Files.createSymbolicLink(d.resolve("ln"), d.resolve("f"));
        os.mknod(d.resolve("wh"), StatInfo.S_IFCHR, 0);
        for (int i = 0; i < 2000; i++) java.nio.file.Files.createFile(d.resolve("n" + i)); // several getdents64 calls
        java.util.Map<String, NativeOs.DirEnt> m = new java.util.HashMap<>();
        for (NativeOs.DirEnt e : os.readDir(d)) m.put(e.name(), e);
        org.junit.jupiter.api.Assertions.assertEquals(2004, m.size());
        org.junit.jupiter.api.Assertions.assertEquals(StatInfo.S_IFREG, m.get("f").type());
        org.junit.jupiter.api.Assertions.assertEquals(StatInfo.S_IFDIR, m.get("sub").type());
        org.junit.jupiter.api.Assertions.assertEquals(StatInfo.S_IFLNK, m.get("ln").type());
        org.junit.jupiter.api.Assertions.assertEquals(StatInfo.S_IFCHR, m.get("wh").type());
        org.junit.jupiter.api.Assertions.assertEquals(os.lstat(d.resolve("f")).ino(), m.get("f").ino());
    }

    @Test
    void readDirRefusesASymlinkInPlaceOfTheDirectory() throws Exception {
        java.nio.file.Path real = java.nio.file.Files.createDirectories(dir.resolve("real"));
        java.nio.file.Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("link"), real);
        org.junit.jupiter.api.Assertions.assertThrows(dev.stratafs.core.error.FsException.class, () -> os.readDir(link));
        org.junit.jupiter.api.Assertions.assertTrue(os.readDir(dir.resolve("missing")).isEmpty());
    }

    /** posix_fadvise(2), to evict a file's clean pages for the test below. */
    public interface Fadvise {
        int posix_fadvise(int fd, long offset, long len, int advice);
    }

    /* dir/ data (64 KiB, fsynced) */
    @Test
    void readsWithoutWaitingTellsCachedBytesFromOnesOnlyOnDisk() throws Exception {
        Path data = Files.write(dir.resolve("data"), new byte[64 * 1024]);
        int fd = os.open(data, OpenFlags.O_RDONLY, 0);
        try {
            assertTrue(os.readsWithoutWaiting(fd, 65535), "just written: in the page cache");
            assertTrue(os.readsWithoutWaiting(fd, 1 << 30), "past the end: nothing to wait for");
            os.fsync(fd); // clean pages can be dropped
            Fadvise libc = jnr.ffi.LibraryLoader.create(Fadvise.class).load("c");
            assertEquals(0, libc.posix_fadvise(fd, 0, 0, 4 /* POSIX_FADV_DONTNEED */));
            assertFalse(os.readsWithoutWaiting(fd, 65535), "evicted: a read would wait for the disk");
            byte[] b = new byte[16];
            assertEquals(16, os.pread(fd, b, 0, 16, 65520));
            assertTrue(os.readsWithoutWaiting(fd, 65535), "read back in");
        } finally {
            os.close(fd);
        }
    }

    /* dir/ data (64 KiB of a byte pattern, fsynced) */
    @Test
    void preadNoWaitReadsCachedBytesAndDeclinesThoseOnlyOnDisk() throws Exception {
        byte[] pattern = new byte[64 * 1024];
        for (int i = 0; i < pattern.length; i++) pattern[i] = (byte) (i * 7);
        Path data = Files.write(dir.resolve("data"), pattern);
        jnr.ffi.Pointer buf = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getSystemRuntime(), 4096);
        int fd = os.open(data, OpenFlags.O_RDONLY, 0);
        try {
            assertEquals(4096, os.preadNoWait(fd, buf.address(), 4096, 8192), "just written: in the page cache");
            byte[] got = new byte[4096];
            buf.get(0, got, 0, 4096);
            assertArrayEquals(java.util.Arrays.copyOfRange(pattern, 8192, 8192 + 4096), got);
            assertEquals(0, os.preadNoWait(fd, buf.address(), 4096, pattern.length), "end of file");
            os.fsync(fd); // clean pages can be dropped
            Fadvise libc = jnr.ffi.LibraryLoader.create(Fadvise.class).load("c");
            assertEquals(0, libc.posix_fadvise(fd, 0, 0, 4 /* POSIX_FADV_DONTNEED */));
            assertEquals(-1, os.preadNoWait(fd, buf.address(), 4096, 8192), "evicted: the read would wait");
            assertEquals(4096, os.preadAddress(fd, buf.address(), 4096, 8192));
            assertEquals(4096, os.preadNoWait(fd, buf.address(), 4096, 8192), "read back in");
        } finally {
            os.close(fd);
        }
        assertEquals(-1, os.preadNoWait(fd, buf.address(), 16, 0), "closed fd: left to the pread, which reports it");
        assertThrows(FsException.class, () -> os.preadAddress(fd, buf.address(), 16, 0));
        int again = os.open(data, OpenFlags.O_RDONLY, 0);
        try {
            assertEquals(4096, os.preadNoWait(again, buf.address(), 4096, 8192), "a failed call leaves the check on");
        } finally {
            os.close(again);
        }
    }
}
