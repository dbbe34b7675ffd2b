package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.DirBackend;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.Sh;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter and the mount lifecycle through a real FUSE mount of {@link DirBackend} (a plain
 * host directory, no layers), independent of the core.
 *
 * <pre>
 * back/                 (host directory, the backend)
 *   hello.txt  "hello\n"
 *   dir/inner.txt "in"
 * mnt/                  (the mount of back/)
 * </pre>
 */
class DirBackendMountIT {
    @TempDir
    Path tmp;
    Path back;
    Path mnt;
    DirBackend backend;
    MountSession session;

    @BeforeEach
    void setUp() throws IOException {
        back = Files.createDirectory(tmp.resolve("back"));
        mnt = Files.createDirectory(tmp.resolve("mnt"));
        Files.writeString(back.resolve("hello.txt"), "hello\n");
        Files.createDirectory(back.resolve("dir"));
        Files.writeString(back.resolve("dir/inner.txt"), "in");
        backend = new DirBackend(back);
    }

    private void mount(FuseOptions.Builder options) throws IOException {
        // Caches off: the tests look at the backing directory behind the kernel's back.
        session = MountSession.mount(backend, mnt, options.timeoutSeconds(0).build());
    }

    private void mount() throws IOException {
        mount(FuseOptions.builder());
    }

    @AfterEach
    void tearDown() throws IOException {
        if (session != null) session.close();
        assertFalse(fuseMountedAt(mnt), "mount left behind at " + mnt);
    }

    static boolean fuseMountedAt(Path p) throws IOException {
        String real = p.toRealPath().toString();
        try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
            return lines.map(MountTable::parse).flatMap(t -> t.entries().stream())
                    .anyMatch(e -> e.mountPoint().equals(real) && e.isFuse());
        }
    }

    @Test
    void mountIsListedAsFuseStratafsUntilClosedAndCloseIsIdempotent() throws Exception {
        mount();
        MountTable.Entry e = MountTable.read().find(mnt.toRealPath()).orElseThrow();
        assertEquals("fuse.stratafs", e.fsType());
        assertEquals("stratafs", e.source());
        assertTrue(session.isRunning());
        session.close();
        assertFalse(fuseMountedAt(mnt));
        assertTrue(session.awaitUnmounted(1, TimeUnit.SECONDS));
        session.close();
    }

    @Test
    void lsShowsEntriesWithTheBackendsInodeNumbers() throws Exception {
        mount();
        String ls = Sh.run("ls", "-a", mnt.toString()).requireOk().out();
        assertEquals(List.of(".", "..", "dir", "hello.txt"), List.of(ls.trim().split("\n")));
        long hostIno = (Long) Files.getAttribute(back.resolve("hello.txt"), "unix:ino");
        // use_ino: stat and readdir both report the backend's st_ino
        assertEquals(Long.toString(hostIno), Sh.run("stat", "-c", "%i", mnt + "/hello.txt").requireOk().out().trim());
        String lsi = Sh.run("ls", "-i", mnt.toString()).requireOk().out();
        assertTrue(lsi.contains(hostIno + " hello.txt"), lsi);
    }

    @Test
    void nonAsciiNamesRoundTrip() throws Exception {
        mount();
        Files.writeString(mnt.resolve("été ☃.txt"), "snow");
        assertEquals("snow", Files.readString(back.resolve("été ☃.txt")));
        assertTrue(Sh.run("ls", mnt.toString()).requireOk().out().contains("été ☃.txt"));
    }

    @Test
    void largeDirectoryListsEveryEntryOnceAcrossReaddirCalls() throws Exception {
        for (int i = 0; i < 1500; i++) Files.createFile(back.resolve(String.format("file-with-a-longish-name-%04d", i)));
        mount();
        List<String> names = List.of(Sh.run("ls", "-f", mnt.toString()).requireOk().out().trim().split("\n"));
        assertEquals(1500 + 4, names.size()); // . .. dir hello.txt
        assertEquals(names.size(), names.stream().distinct().count());
    }

    @Test
    void catAndJavaReadsReturnTheContentIncludingLargeFiles() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(big);
        Files.write(back.resolve("big.bin"), big);
        mount();
        assertEquals("hello\n", Sh.run("cat", mnt + "/hello.txt").requireOk().out());
        assertEquals("in", Files.readString(mnt.resolve("dir/inner.txt")));
        assertArrayEquals(big, Files.readAllBytes(mnt.resolve("big.bin")));
    }

    @Test
    void writesAndAppendsReachTheBackend() throws Exception {
        mount();
        Files.writeString(mnt.resolve("new.txt"), "abc");
        Files.writeString(mnt.resolve("new.txt"), "def", StandardOpenOption.APPEND);
        assertEquals("abcdef", Files.readString(back.resolve("new.txt")));
        byte[] big = new byte[1024 * 1024 + 7];
        new Random(2).nextBytes(big);
        Files.write(mnt.resolve("big.bin"), big);
        assertArrayEquals(big, Files.readAllBytes(back.resolve("big.bin")));
        Files.writeString(mnt.resolve("hello.txt"), "x"); // O_TRUNC of an existing file
        assertEquals("x", Files.readString(back.resolve("hello.txt")));
    }

    @Test
    void deleteRenameMkdirRmdirAct() throws Exception {
        mount();
        Files.move(mnt.resolve("hello.txt"), mnt.resolve("dir/moved.txt"));
        assertEquals("hello\n", Files.readString(back.resolve("dir/moved.txt")));
        assertFalse(Files.exists(back.resolve("hello.txt")));
        Files.createDirectory(mnt.resolve("sub"));
        assertTrue(Files.isDirectory(back.resolve("sub")));
        Files.delete(mnt.resolve("sub"));
        assertFalse(Files.exists(back.resolve("sub")));
        FileSystemException notEmpty = assertThrows(FileSystemException.class, () -> Files.delete(mnt.resolve("dir")));
        assertTrue(notEmpty.getMessage().contains("not empty") || notEmpty instanceof java.nio.file.DirectoryNotEmptyException, notEmpty.toString());
        Files.delete(mnt.resolve("dir/moved.txt"));
        Files.delete(mnt.resolve("dir/inner.txt"));
        Files.delete(mnt.resolve("dir"));
        assertEquals(List.of(), List.of(back.toFile().list()));
    }

    @Test
    void symlinkIsCreatedReadAndFollowedByTheKernel() throws Exception {
        mount();
        Files.createSymbolicLink(mnt.resolve("ln"), Path.of("dir/inner.txt"));
        assertEquals(Path.of("dir/inner.txt"), Files.readSymbolicLink(back.resolve("ln")));
        assertEquals(Path.of("dir/inner.txt"), Files.readSymbolicLink(mnt.resolve("ln")));
        assertEquals("in", Files.readString(mnt.resolve("ln")));
        assertEquals("dir/inner.txt", Sh.run("readlink", mnt + "/ln").requireOk().out().trim());
    }

    @Test
    void xattrsSetGetListRemoveWithSizeQueries() throws Exception {
        mount();
        Path f = mnt.resolve("hello.txt");
        UserDefinedFileAttributeView v = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
        byte[] value = "v".repeat(3000).getBytes(StandardCharsets.UTF_8);
        v.write("k", ByteBuffer.wrap(value));
        assertEquals(3000, v.size("k")); // getxattr with size 0
        ByteBuffer got = ByteBuffer.allocate(3000);
        v.read("k", got);
        assertArrayEquals(value, got.array());
        assertEquals(List.of("k"), v.list());
        String dump = Sh.run("getfattr", "-d", f.toString()).requireOk().out();
        assertTrue(dump.contains("user.k="), dump);
        // A buffer too small is ERANGE (getxattr(2)).
        ByteBuffer small = ByteBuffer.allocate(10);
        FileSystemException range = assertThrows(FileSystemException.class, () -> v.read("k", small));
        // the JDK words ERANGE from fgetxattr(2) as "Insufficient space in buffer"
        assertTrue(range.getMessage().contains("Insufficient space in buffer"), range.toString());
        v.delete("k");
        assertEquals(List.of(), v.list());
        Sh.Result missing = Sh.run("getfattr", "-n", "user.k", f.toString());
        assertTrue(missing.err().contains("No such attribute"), missing.toString());
    }

    @Test
    void chmodChangesPermissionBits() throws Exception {
        mount();
        Files.setPosixFilePermissions(mnt.resolve("hello.txt"), PosixFilePermissions.fromString("rwx------"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(back.resolve("hello.txt"))));
        assertEquals("700", Sh.run("stat", "-c", "%a", mnt + "/hello.txt").requireOk().out().trim());
    }

    @Test
    void nameOf256BytesIsEnametoolong() throws Exception {
        mount();
        Path p = mnt.resolve("n".repeat(256));
        FileSystemException e = assertThrows(FileSystemException.class, () -> Files.createFile(p));
        assertTrue(e.getMessage().contains("File name too long"), e.toString());
        Files.createFile(mnt.resolve("n".repeat(255)));
    }

    @Test
    void fileUnlinkedWhileOpenStaysReadableAndLeavesNoHiddenFile() throws Exception {
        mount();
        try (FileChannel ch = FileChannel.open(mnt.resolve("hello.txt"), StandardOpenOption.READ)) {
            Files.delete(mnt.resolve("hello.txt"));
            assertEquals(List.of("dir"), List.of(back.toFile().list()));
            ByteBuffer b = ByteBuffer.allocate(64);
            ch.read(b, 0);
            assertEquals("hello\n", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
            assertEquals(6, ch.size()); // fstat: the kernel asks by path, libfuse's hidden name
            // the directory holding it can go (no .fuse_hidden file left in it)
        }
        assertEquals(List.of("dir"), List.of(back.toFile().list()));
    }

    @Test
    void directoryEmptiedWhileAFileInItIsOpenCanBeRemoved() throws Exception {
        mount();
        try (FileChannel ch = FileChannel.open(mnt.resolve("dir/inner.txt"), StandardOpenOption.READ)) {
            Files.delete(mnt.resolve("dir/inner.txt"));
            Files.delete(mnt.resolve("dir"));
            assertFalse(Files.exists(back.resolve("dir")));
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, 0);
            assertEquals("in", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void renameOverAnOpenFileKeepsTheOldContentReadable() throws Exception {
        Files.writeString(back.resolve("other.txt"), "other");
        mount();
        try (FileChannel ch = FileChannel.open(mnt.resolve("hello.txt"), StandardOpenOption.READ)) {
            Files.move(mnt.resolve("other.txt"), mnt.resolve("hello.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertEquals("other", Files.readString(mnt.resolve("hello.txt")));
            assertEquals(6, ch.size());
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, 0);
            assertEquals("hello\n", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        }
        assertEquals(List.of("dir", "hello.txt"), Stream.of(back.toFile().list()).sorted().toList());
    }

    @Test
    void userRenameToAHiddenLookingNameOfAClosedFileIsAPlainRename() throws Exception {
        mount();
        Files.move(mnt.resolve("hello.txt"), mnt.resolve(".fuse_hidden0000000100000002"));
        assertEquals("hello\n", Files.readString(back.resolve(".fuse_hidden0000000100000002")));
        assertEquals("hello\n", Files.readString(mnt.resolve(".fuse_hidden0000000100000002")));
    }

    @Test
    void touchOfAtimeAloneLeavesMtime() throws Exception {
        Files.setLastModifiedTime(back.resolve("hello.txt"), FileTime.fromMillis(1_500_000_000_000L));
        mount();
        Sh.run("touch", "-a", "-d", "@1000000000", mnt + "/hello.txt").requireOk();
        assertEquals(FileTime.fromMillis(1_000_000_000_000L), Files.getAttribute(back.resolve("hello.txt"), "lastAccessTime"));
        assertEquals(FileTime.fromMillis(1_500_000_000_000L), Files.getLastModifiedTime(back.resolve("hello.txt")));
    }

    @Test
    void bugInARequestAnswersEioAndTheDaemonKeepsServing() throws Exception {
        Files.createFile(back.resolve("bug"));
        backend.failOn(p -> p.equals("/bug"));
        mount();
        Sh.Result r = Sh.run("stat", mnt + "/bug");
        assertTrue(r.exit() != 0 && r.err().contains("Input/output error"), r.toString());
        assertTrue(session.unexpectedFailures() >= 1);
        assertEquals("hello\n", Files.readString(mnt.resolve("hello.txt")));
    }

    @Test
    void externalUnmountEndsAwaitUnmounted() throws Exception {
        mount();
        Sh.run("fusermount", "-u", mnt.toRealPath().toString()).requireOk();
        assertTrue(session.awaitUnmounted(10, TimeUnit.SECONDS));
        assertFalse(session.isRunning());
        assertFalse(fuseMountedAt(mnt));
    }

    @Test
    void closeUnmountsAndEndsTheLoopEvenWhileAFileIsOpenOnTheMount() throws Exception {
        mount();
        FileChannel ch = FileChannel.open(mnt.resolve("hello.txt"), StandardOpenOption.READ);
        try {
            long t0 = System.nanoTime();
            session.close(); // fusermount -u fails (busy), umount -l detaches, the connection is aborted
            assertFalse(fuseMountedAt(mnt));
            assertTrue(session.awaitUnmounted(1, TimeUnit.SECONDS), "FUSE loop still running");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8), "close took too long");
        } finally {
            try {
                ch.close();
            } catch (IOException expected) {
                // the connection is gone
            }
        }
    }

    @Test
    void badFuseOptionFailsFastWithoutLeavingAMount() throws Exception {
        long t0 = System.nanoTime();
        IOException e = assertThrows(IOException.class,
                () -> MountSession.mount(backend, mnt, FuseOptions.builder().extraFuseOption("no_such_option_xyz").build()));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(8), "took too long: " + e);
        assertTrue(e.getMessage().contains("ended before the mount came up"), e.toString());
        assertFalse(fuseMountedAt(mnt));
    }

    @Test
    void mountThatNeverAnswersTimesOutWithAClearErrorAndIsTakenDown() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        backend.stallRootGetattr(release);
        try {
            long t0 = System.nanoTime();
            IOException e = assertThrows(IOException.class,
                    () -> MountSession.mount(backend, mnt, FuseOptions.builder().build(), java.time.Duration.ofSeconds(2)));
            assertTrue(e.getMessage().contains("did not come up within 2 s"), e.toString());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "took too long");
            assertFalse(fuseMountedAt(mnt));
        } finally {
            release.countDown();
        }
    }

    @Test
    void missingMountpointIsAnIoException() {
        IOException e = assertThrows(IOException.class,
                () -> MountSession.mount(backend, tmp.resolve("nope"), FuseOptions.builder().build()));
        assertTrue(e.getMessage().contains("nope"), e.toString());
    }

    @Test
    void uidMappingShowsStoredIdsAsHostIdsAndStoresChownsBack() throws Exception {
        // host files are owned by 0 (we run as root); the mapping says container 0 is host 100000
        mount(FuseOptions.builder().uidMap(List.of(new FuseOptions.IdRange(0, 100000, 65536)))
                .gidMap(List.of(new FuseOptions.IdRange(0, 200000, 65536))));
        assertEquals("100000:200000", Sh.run("stat", "-c", "%u:%g", mnt + "/hello.txt").requireOk().out().trim());
        Sh.run("chown", "100005:200007", mnt + "/hello.txt").requireOk();
        assertEquals(5, Files.getAttribute(back.resolve("hello.txt"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(7, Files.getAttribute(back.resolve("hello.txt"), "unix:gid", LinkOption.NOFOLLOW_LINKS));
        Sh.Result bad = Sh.run("chown", "5", mnt + "/hello.txt"); // host uid 5 is not mapped
        assertTrue(bad.exit() != 0 && bad.err().contains("Invalid argument"), bad.toString());
    }

    @Test
    void squashAndStaticNlinkChangeWhatStatShows() throws Exception {
        mount(FuseOptions.builder().squashUid(1234).squashGid(4321).staticNlink(true));
        assertEquals("1234:4321", Sh.run("stat", "-c", "%u:%g", mnt + "/hello.txt").requireOk().out().trim());
        assertEquals("1", Sh.run("stat", "-c", "%h", mnt + "/dir").requireOk().out().trim());
    }
}
