package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.MountedStack;
import dev.stratafs.fuse.Sh;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real core through a real FUSE mount: plain tools and java.nio against the merged view.
 *
 * <pre>
 * lower0/ (top)              lower1/ (bottom)          upper/, work/ empty
 *   a.txt      "lower-a"       b.txt     "lower1-b"
 *   dir/l.txt  "l"             dir/l1.txt "l1"
 *   dir/sub/deep.txt "deep"
 *   ln -> a.txt
 * </pre>
 */
class OverlayMountIT {
    @TempDir
    Path tmp;
    MountedStack stack;
    Path mnt;

    @BeforeEach
    void setUp() throws IOException {
        stack = MountedStack.create(tmp, 2);
        Path l0 = stack.lower(0);
        Path l1 = stack.lower(1);
        Files.writeString(l0.resolve("a.txt"), "lower-a");
        Files.createDirectories(l0.resolve("dir/sub"));
        Files.writeString(l0.resolve("dir/l.txt"), "l");
        Files.writeString(l0.resolve("dir/sub/deep.txt"), "deep");
        Files.createSymbolicLink(l0.resolve("ln"), Path.of("a.txt"));
        Files.writeString(l1.resolve("b.txt"), "lower1-b");
        Files.createDirectories(l1.resolve("dir"));
        Files.writeString(l1.resolve("dir/l1.txt"), "l1");
        stack.mount();
        mnt = stack.mnt();
    }

    @AfterEach
    void tearDown() throws IOException {
        stack.close();
    }

    private static List<String> ls(Path p) throws Exception {
        String out = Sh.run("ls", "-A", p.toString()).requireOk().out().trim();
        return out.isEmpty() ? List.of() : List.of(out.split("\n"));
    }

    @Test
    void lsShowsTheMergedViewOfBothLowers() throws Exception {
        assertEquals(List.of("a.txt", "b.txt", "dir", "ln"), ls(mnt));
        assertEquals(List.of("l.txt", "l1.txt", "sub"), ls(mnt.resolve("dir")));
        assertTrue(Sh.run("stat", "-c", "%F", mnt.toString()).requireOk().out().contains("directory"));
    }

    @Test
    void catReadsFilesFromEitherLower() throws Exception {
        assertEquals("lower-a", Sh.run("cat", mnt + "/a.txt").requireOk().out());
        assertEquals("lower1-b", Files.readString(mnt.resolve("b.txt")));
        assertEquals("l1", Files.readString(mnt.resolve("dir/l1.txt")));
        assertEquals("deep", Files.readString(mnt.resolve("dir/sub/deep.txt")));
    }

    @Test
    void appendCopiesUpAndLeavesTheLowerUntouched() throws Exception {
        Files.writeString(mnt.resolve("a.txt"), "+more", StandardOpenOption.APPEND);
        assertEquals("lower-a+more", Files.readString(mnt.resolve("a.txt")));
        assertEquals("lower-a+more", Files.readString(stack.upper().resolve("a.txt")));
        assertEquals("lower-a", Files.readString(stack.lower(0).resolve("a.txt")));
    }

    @Test
    void newFilesAndLargeWritesLandInTheUpper() throws Exception {
        byte[] big = new byte[2 * 1024 * 1024 + 3];
        new Random(3).nextBytes(big);
        Files.write(mnt.resolve("dir/big.bin"), big);
        assertArrayEquals(big, Files.readAllBytes(stack.upper().resolve("dir/big.bin")));
        assertArrayEquals(big, Files.readAllBytes(mnt.resolve("dir/big.bin")));
        assertEquals(List.of("big.bin", "l.txt", "l1.txt", "sub"), ls(mnt.resolve("dir")));
    }

    @Test
    void deletingALowerFileHidesItWithAWhiteout() throws Exception {
        Files.delete(mnt.resolve("b.txt"));
        assertEquals(List.of("a.txt", "dir", "ln"), ls(mnt));
        assertFalse(Files.exists(mnt.resolve("b.txt")));
        assertEquals("character special file 0,0",
                Sh.run("stat", "-c", "%F %t,%T", stack.upper() + "/b.txt").requireOk().out().trim());
        assertTrue(Files.exists(stack.lower(1).resolve("b.txt")));
    }

    @Test
    void renameOfALowerFileMovesItInTheMergedView() throws Exception {
        Files.move(mnt.resolve("a.txt"), mnt.resolve("dir/c.txt"));
        assertEquals("lower-a", Files.readString(mnt.resolve("dir/c.txt")));
        assertFalse(Files.exists(mnt.resolve("a.txt")));
        assertEquals(List.of("b.txt", "dir", "ln"), ls(mnt));
    }

    @Test
    void mkdirAndRmdirIncludingAMergedDirectory() throws Exception {
        Files.createDirectory(mnt.resolve("newdir"));
        assertTrue(Files.isDirectory(stack.upper().resolve("newdir")));
        Files.delete(mnt.resolve("newdir"));
        assertFalse(Files.exists(mnt.resolve("newdir")));
        FileSystemException notEmpty = assertThrows(FileSystemException.class, () -> Files.delete(mnt.resolve("dir/sub")));
        assertTrue(notEmpty instanceof java.nio.file.DirectoryNotEmptyException, notEmpty.toString());
        Files.delete(mnt.resolve("dir/sub/deep.txt"));
        Files.delete(mnt.resolve("dir/sub"));
        assertEquals(List.of("l.txt", "l1.txt"), ls(mnt.resolve("dir")));
    }

    @Test
    void symlinksFromALowerAndNewOnesResolve() throws Exception {
        assertEquals("a.txt", Sh.run("readlink", mnt + "/ln").requireOk().out().trim());
        assertEquals("lower-a", Files.readString(mnt.resolve("ln")));
        Files.createSymbolicLink(mnt.resolve("ln2"), Path.of("dir/l1.txt"));
        assertEquals("l1", Files.readString(mnt.resolve("ln2")));
        assertEquals(Path.of("dir/l1.txt"), Files.readSymbolicLink(stack.upper().resolve("ln2")));
    }

    @Test
    void xattrsOnALowerFileCopyUpAndHideOverlayPrivates() throws Exception {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(mnt.resolve("a.txt"), UserDefinedFileAttributeView.class);
        v.write("k", ByteBuffer.wrap("val".getBytes(StandardCharsets.UTF_8)));
        assertEquals(3, v.size("k"));
        ByteBuffer b = ByteBuffer.allocate(3);
        v.read("k", b);
        assertEquals("val", new String(b.array(), StandardCharsets.UTF_8));
        assertTrue(Files.exists(stack.upper().resolve("a.txt")));
        String dump = Sh.run("getfattr", "-d", "-m", "-", mnt + "/a.txt").requireOk().out();
        assertTrue(dump.contains("user.k=\"val\""), dump);
        assertFalse(dump.contains("overlay"), dump);
        v.delete("k");
        assertEquals(List.of(), v.list());
    }

    @Test
    void chmodOfALowerFileChangesItsModeInTheMergedView() throws Exception {
        Files.setPosixFilePermissions(mnt.resolve("b.txt"), PosixFilePermissions.fromString("rwx--x---"));
        assertEquals("710", Sh.run("stat", "-c", "%a", mnt + "/b.txt").requireOk().out().trim());
        assertEquals("lower1-b", Files.readString(mnt.resolve("b.txt")));
    }

    @Test
    void hardLinkSharesContent() throws Exception {
        Files.createLink(mnt.resolve("a2.txt"), mnt.resolve("a.txt"));
        assertEquals("lower-a", Files.readString(mnt.resolve("a2.txt")));
    }

    @Test
    void writeThroughOneHardLinkIsSeenThroughTheOther() throws Exception {
        Files.createLink(mnt.resolve("a2.txt"), mnt.resolve("a.txt"));
        assertEquals("lower-a", Files.readString(mnt.resolve("a2.txt"))); // now in the page cache
        // Same size, so only the mtime tells: libfuse gives each link its own kernel inode and
        // the page cache of a2.txt must not survive the change.
        Files.writeString(mnt.resolve("a.txt"), "LOWER-A");
        assertEquals("LOWER-A", Files.readString(mnt.resolve("a2.txt")));
    }

    @Test
    void nameOf256BytesIsEnametoolong() throws Exception {
        FileSystemException e = assertThrows(FileSystemException.class, () -> Files.createFile(mnt.resolve("x".repeat(256))));
        assertTrue(e.getMessage().contains("File name too long"), e.toString());
        Sh.Result r = Sh.run("stat", mnt + "/" + "y".repeat(256));
        assertTrue(r.err().contains("File name too long"), r.toString());
    }

    @Test
    void readOnlyHandleOpenedBeforeACopyUpSeesTheNewData() throws Exception {
        try (FileChannel ro = FileChannel.open(mnt.resolve("b.txt"), StandardOpenOption.READ)) {
            ByteBuffer before = ByteBuffer.allocate(64);
            ro.read(before, 0);
            assertEquals("lower1-b", new String(before.array(), 0, before.position(), StandardCharsets.UTF_8));
            try (FileChannel rw = FileChannel.open(mnt.resolve("b.txt"), StandardOpenOption.WRITE)) {
                rw.write(ByteBuffer.wrap("UPPER".getBytes(StandardCharsets.UTF_8)), 0);
            }
            assertTrue(Files.exists(stack.upper().resolve("b.txt")));
            ByteBuffer after = ByteBuffer.allocate(64);
            ro.read(after, 0);
            assertEquals("UPPER1-b", new String(after.array(), 0, after.position(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void truncatingOpenOfALowerFileReplacesItsContent() throws Exception {
        Files.writeString(mnt.resolve("a.txt"), "new"); // open(O_WRONLY|O_CREAT|O_TRUNC)
        assertEquals("new", Files.readString(mnt.resolve("a.txt")));
        assertEquals("new", Files.readString(stack.upper().resolve("a.txt")));
        assertEquals("lower-a", Files.readString(stack.lower(0).resolve("a.txt")));
    }

    @Test
    void fileUnlinkedWhileOpenStaysUsableAndItsDirectoryCanBeRemoved() throws Exception {
        try (FileChannel ch = FileChannel.open(mnt.resolve("dir/sub/deep.txt"), StandardOpenOption.READ)) {
            Files.delete(mnt.resolve("dir/sub/deep.txt"));
            assertEquals(4, ch.size()); // fstat, asked by libfuse's hidden name
            ByteBuffer b = ByteBuffer.allocate(16);
            ch.read(b, 0);
            assertEquals("deep", new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
            Files.delete(mnt.resolve("dir/sub"));
            assertEquals(List.of("l.txt", "l1.txt"), ls(mnt.resolve("dir")));
        }
        try (var s = Files.walk(stack.upper())) {
            assertFalse(s.anyMatch(p -> p.getFileName().toString().startsWith(".fuse_hidden")));
        }
    }

    @Test
    void mkfifoCreatesAFifoInTheUpper() throws Exception {
        Sh.run("mkfifo", mnt + "/fifo").requireOk();
        assertEquals("fifo", Sh.run("stat", "-c", "%F", mnt + "/fifo").requireOk().out().trim());
        assertEquals("fifo", Sh.run("stat", "-c", "%F", stack.upper() + "/fifo").requireOk().out().trim());
    }

    @Test
    void concurrentWritersAndListersThroughTheMultithreadedLoop() throws Exception {
        int threads = 8;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<?>> fs = new java.util.ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                fs.add(pool.submit(() -> {
                    byte[] data = new byte[300_000 + id];
                    new Random(id).nextBytes(data);
                    for (int round = 0; round < 5; round++) {
                        Path f = mnt.resolve("dir/w" + id + "-" + round);
                        Files.write(f, data);
                        assertArrayEquals(data, Files.readAllBytes(f));
                        assertTrue(Files.readString(mnt.resolve("b.txt")).equals("lower1-b"));
                        try (var l = Files.list(mnt.resolve("dir"))) {
                            assertTrue(l.count() >= 3);
                        }
                    }
                    return null;
                }));
            }
            for (var f : fs) f.get(120, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(3 + threads * 5, ls(mnt.resolve("dir")).size());
        assertEquals(0, stack.session().unexpectedFailures());
    }

    @Test
    void statfsAnswers() throws Exception {
        String out = Sh.run("stat", "-f", "-c", "%l %b", mnt.toString()).requireOk().out().trim();
        assertTrue(out.startsWith("255 "), out);
    }

    @Test
    void closeRemovesTheMountFromMountinfo() throws Exception {
        assertTrue(DirBackendMountIT.fuseMountedAt(mnt));
        stack.close();
        assertFalse(DirBackendMountIT.fuseMountedAt(mnt));
        stack.close();
    }
}
