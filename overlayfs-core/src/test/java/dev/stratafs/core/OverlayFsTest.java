package dev.stratafs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Behaviour of the facade on a small stack. Fixture (lowers topmost first):
 * <pre>
 *   lower0/                lower1/
 *     a.txt  "top"           a.txt  "bottom"
 *     dir/x  "x0"            dir/y  "y1"
 *                            only1  "one"
 *                            gone   "gone"     (lower0 has whiteout c 0/0 "gone")
 *                            link1, link2      (hard links, "ln")
 * </pre>
 */
class OverlayFsTest {
    private static final Caller ROOT = Caller.of(0, 0);
    private final NativeOs os = Natives.get();

    @TempDir Path tmp;
    Path l0, l1, up, work;
    OverlayFs fs;

    @BeforeEach
    void setUp() throws IOException {
        l0 = Files.createDirectories(tmp.resolve("l0"));
        l1 = Files.createDirectories(tmp.resolve("l1"));
        up = Files.createDirectories(tmp.resolve("upper"));
        work = Files.createDirectories(tmp.resolve("work"));
        Files.writeString(l0.resolve("a.txt"), "top");
        Files.createDirectories(l0.resolve("dir"));
        Files.writeString(l0.resolve("dir/x"), "x0");
        Files.writeString(l1.resolve("a.txt"), "bottom");
        Files.createDirectories(l1.resolve("dir"));
        Files.writeString(l1.resolve("dir/y"), "y1");
        Files.writeString(l1.resolve("only1"), "one");
        Files.writeString(l1.resolve("gone"), "gone");
        os.mknod(l0.resolve("gone"), StatInfo.S_IFCHR, 0);
        Files.writeString(l1.resolve("link1"), "ln");
        Files.createLink(l1.resolve("link2"), l1.resolve("link1"));
        fs = OverlayFs.open(StackConfig.builder().lower(l0).lower(l1).upper(up, work).build());
    }

    @AfterEach
    void tearDown() {
        fs.close();
    }

    /*
     * work/work set-group-ID with group 5: a new file there gets group 5, so a copy of a file of
     * group 0 must still be given its group (the copy skips the chown only when it is a no-op).
     */
    @Test
    void aCopyMadeInASetGroupIdWorkdirStillGetsTheLowerFilesGroup() throws IOException {
        assumeTrue(os.geteuid() == 0, "needs root to give files their owner");
        fs.close();
        Path scratch = work.resolve("work");
        Files.createDirectories(scratch);
        os.lchown(scratch, 0, 5);
        os.chmod(scratch, 02700);
        fs = OverlayFs.open(StackConfig.builder().lower(l0).lower(l1).upper(up, work).build());

        fs.chmod("/only1", 0640);

        StatInfo st = os.lstat(up.resolve("only1"));
        assertEquals(0, st.uid());
        assertEquals(0, st.gid());
        assertEquals(0100640, st.mode());
    }

    private String read(String p) throws IOException {
        try (OpenFile f = fs.open(p, OpenFlags.O_RDONLY, ROOT)) {
            byte[] b = new byte[4096];
            int n = f.read(b, 0, b.length, 0);
            return new String(b, 0, n, StandardCharsets.UTF_8);
        }
    }

    private void write(String p, String s, int flags) throws IOException {
        try (OpenFile f = fs.open(p, flags, ROOT)) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            f.write(b, 0, b.length, 0);
        }
    }

    private List<String> names(String p) throws IOException {
        return fs.readdir(p).stream().map(DirEntry::name).collect(Collectors.toList());
    }

    @Test
    void anOpenOfALowerFileReplacedBehindTheMountDescribesWhatItOpened() throws Exception {
        // Lower layers must not change while mounted (overlayfs.rst); if one does, the handle
        // must not pass the kept attributes of the old file off as the new one's.
        FileAttr before = fs.lookup("/only1");
        // Made before the old one goes, so it cannot reuse its inode number.
        Files.move(Files.writeString(l1.resolve("new"), "replaced"), l1.resolve("only1"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (OpenFile h = fs.open("/only1", OpenFlags.O_RDONLY, ROOT)) {
            assertEquals(8, h.getattr().size());
            assertTrue(h.ino() != before.ino(), "another inode: the kernel is told the name went stale");
            byte[] b = new byte[16];
            assertEquals("replaced", new String(b, 0, h.read(b, 0, b.length, 0), StandardCharsets.UTF_8));
        }
    }

    /**
     * <pre>
     * l0/small   PREFETCH_MAX bytes       cached pages dropped before the open
     * l0/big     PREFETCH_MAX + 4096      likewise
     * </pre>
     * Opening the small one to read starts reading all of it; the big one is left to the
     * kernel's own read-ahead, and an open alone reads none of it. fincore(1) counts resident
     * pages with mincore(2), which reads nothing itself.
     */
    @Test
    void openingASmallLowerFileToReadStartsReadingAllOfIt() throws Exception {
        Path small = uncached(l0.resolve("small"), OverlayFs.PREFETCH_MAX);
        Path big = uncached(l0.resolve("big"), OverlayFs.PREFETCH_MAX + 4096);
        try (OpenFile h = fs.open("/small", OpenFlags.O_RDONLY, ROOT)) {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (resident(small) < OverlayFs.PREFETCH_MAX && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(OverlayFs.PREFETCH_MAX, resident(small));
        }
        try (OpenFile h = fs.open("/big", OpenFlags.O_RDONLY, ROOT)) {
            Thread.sleep(300);
            assertEquals(0, resident(big));
        }
    }

    /** A file of {@code size} random bytes, on disk and not in the page cache. */
    private static Path uncached(Path f, long size) throws Exception {
        byte[] b = new byte[(int) size];
        new Random(7).nextBytes(b);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(b));
            ch.force(true);
        }
        command("dd", "if=" + f, "iflag=nocache", "count=0", "status=none");
        assertEquals(0, resident(f), "the page cache of " + f + " could not be dropped");
        return f;
    }

    /** Bytes of {@code f} in the page cache. */
    private static long resident(Path f) throws Exception {
        return Long.parseLong(command("fincore", "--bytes", "--noheadings", "--output", "RES", f.toString()).trim());
    }

    private static String command(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", argv) + ": " + out);
        return out;
    }

    @Test
    void anOpenOfALowerFileReplacedByAFifoBehindTheMountDoesNotBlock() throws Exception {
        fs.lookup("/only1");
        Path f = l1.resolve("only1");
        Files.delete(f);
        os.mknod(f, StatInfo.S_IFIFO | 0644, 0);
        // Without O_NONBLOCK the open would wait for a writer that never comes.
        try (OpenFile h = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> fs.open("/only1", OpenFlags.O_RDONLY, ROOT))) {
            assertFalse(h.getattr().isRegular(), "the handle shows the FIFO it opened");
        }
    }

    @Test
    void topmostLayerWinsAndDirectoriesMerge() throws IOException {
        assertEquals("top", read("/a.txt"));
        assertEquals(List.of("a.txt", "dir", "link1", "link2", "only1"), names("/"));
        assertEquals(List.of("x", "y"), names("/dir"));
        assertEquals(1, fs.getattr("/dir").nlink(), "merged directories report nlink 1 as the kernel overlay does");
    }

    @Test
    void lookupAnswersNullForAMissingNameAndThrowsForAMissingParent() throws IOException {
        assertNull(fs.lookup("/nope"));
        assertNull(fs.lookup("/gone"), "a whited-out name is missing too");
        assertEquals(fs.getattr("/a.txt").ino(), fs.lookup("/a.txt").ino());
        FsException e = assertThrows(FsException.class, () -> fs.lookup("/nope/x"));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertNull(fs.xattr("/a.txt", "user.none"));
        assertEquals(ErrorKind.NOT_FOUND, assertThrows(FsException.class, () -> fs.xattr("/nope", "user.none")).kind());
    }

    @Test
    void whiteoutHidesLowerFile() throws IOException {
        FsException e = assertThrows(FsException.class, () -> fs.getattr("/gone"));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
    }

    @Test
    void writeCopiesUpWholeFileAndKeepsInode() throws IOException {
        long ino = fs.getattr("/only1").ino();
        write("/only1", "ON", OpenFlags.O_WRONLY);
        assertEquals("ONe", read("/only1"));
        assertEquals("ONe", Files.readString(up.resolve("only1")));
        assertEquals("one", Files.readString(l1.resolve("only1")), "lower layers never change");
        assertEquals(ino, fs.getattr("/only1").ino());
    }

    /**
     * A sparse lower file keeps its holes through the copy-up (its blocks do not cover its size,
     * so the copy looks for them); a dense one is copied in one go:
     * <pre>
     *   lower1/sparse   8 MiB: hole, 4 KiB "s" bytes at 4 MiB, hole
     *   lower1/dense    64 KiB + 3 of "d"
     * </pre>
     */
    @Test
    void copyUpKeepsTheHolesOfASparseFileAndEveryByteOfADenseOne() throws IOException {
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(l1.resolve("sparse").toFile(), "rw")) {
            f.setLength(8 << 20);
            f.seek(4 << 20);
            f.write("s".repeat(4096).getBytes(StandardCharsets.US_ASCII));
        }
        Files.writeString(l1.resolve("dense"), "d".repeat(65539));
        fs.chmod("/sparse", 0600);
        fs.chmod("/dense", 0600);
        StatInfo sparse = os.lstat(up.resolve("sparse"));
        assertEquals(8 << 20, sparse.size());
        assumeTrue(os.lstat(l1.resolve("sparse")).blocks() * 512 < (1 << 20), "the test filesystem keeps holes");
        assertTrue(sparse.blocks() * 512 < (1 << 20), "holes stay holes: " + sparse.blocks() + " blocks");
        assertEquals(-1L, Files.mismatch(l1.resolve("sparse"), up.resolve("sparse")));
        assertEquals(-1L, Files.mismatch(l1.resolve("dense"), up.resolve("dense")));
    }

    @Test
    void openWithTruncateDoesNotCopyData() throws IOException {
        write("/a.txt", "new", OpenFlags.O_WRONLY | OpenFlags.O_TRUNC);
        assertEquals("new", Files.readString(up.resolve("a.txt")));
    }

    @Test
    void unlinkOfLowerFileLeavesKernelWhiteout() throws IOException {
        fs.unlink("/only1");
        assertThrows(FsException.class, () -> fs.getattr("/only1"));
        StatInfo st = os.lstat(up.resolve("only1"));
        assertTrue(st.isCharDevice());
        assertEquals(0, st.rdev());
    }

    @Test
    void unlinkOfUpperOnlyFileLeavesNothing() throws IOException {
        fs.create("/new", OpenFlags.O_WRONLY, 0644, ROOT).close();
        fs.unlink("/new");
        assertFalse(Files.exists(up.resolve("new"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void deleteAndRecreateShowsNewFile() throws IOException {
        fs.unlink("/only1");
        try (OpenFile f = fs.create("/only1", OpenFlags.O_WRONLY, 0600, ROOT)) {
            f.write("fresh".getBytes(), 0, 5, 0);
        }
        assertEquals("fresh", read("/only1"));
        assertEquals(0600, fs.getattr("/only1").mode() & 07777);
    }

    @Test
    void rmdirOfMergedDirIsRefusedWhileMergedViewHasEntries() throws IOException {
        FsException e = assertThrows(FsException.class, () -> fs.rmdir("/dir"));
        assertEquals(ErrorKind.NOT_EMPTY, e.kind());
        fs.unlink("/dir/x");
        fs.unlink("/dir/y");
        fs.rmdir("/dir");
        assertFalse(names("/").contains("dir"));
        fs.mkdir("/dir", 0755, ROOT);
        assertEquals(List.of(), names("/dir"), "a directory made over a whiteout is opaque");
    }

    @Test
    void renameOfMergedDirectoryMovesWholeTree() throws IOException {
        fs.rename("/dir", "/moved", 0);
        assertEquals(List.of("x", "y"), names("/moved"));
        assertEquals("y1", read("/moved/y"));
        assertThrows(FsException.class, () -> fs.getattr("/dir"));
    }

    @Test
    void renameFileOverLowerFile() throws IOException {
        fs.rename("/only1", "/a.txt", 0);
        assertEquals("one", read("/a.txt"));
        assertThrows(FsException.class, () -> fs.getattr("/only1"));
    }

    @Test
    void hardLinkedLowerFilesStayLinkedAfterCopyUp() throws IOException {
        write("/link1", "LN", OpenFlags.O_WRONLY);
        assertEquals("LN", read("/link1"));
        write("/link2", "L", OpenFlags.O_WRONLY);
        assertEquals("LN", read("/link2"), "the second name shows the first one's write: still one file");
        assertEquals(fs.getattr("/link1").ino(), fs.getattr("/link2").ino());
        assertEquals(2, fs.getattr("/link1").nlink());
    }

    private List<String> indexEntries() throws IOException {
        try (var s = Files.list(work.resolve("stratafs-index"))) {
            return s.map(q -> q.getFileName().toString()).collect(Collectors.toList());
        }
    }

    @Test
    void anIndexEntryStaysWhileALowerNameOfItsFileIsVisible() throws IOException {
        write("/link1", "LN", OpenFlags.O_WRONLY);
        assertEquals(1, indexEntries().size());
        fs.unlink("/link1");
        assertEquals(1, indexEntries().size(), "link2 still shows the copy");
        assertEquals("LN", read("/link2"));
    }

    @Test
    void anIndexEntryGoesWithTheLastNameOfItsFile() throws IOException {
        write("/link1", "LN", OpenFlags.O_WRONLY);
        fs.unlink("/link1");
        fs.unlink("/link2"); // a lower name: whited out, never copied up
        assertEquals(List.of(), indexEntries(), "nothing can reach the copy: its blocks are given back");
    }

    @Test
    void anIndexEntryGoesWhenBothCopiedUpNamesAreRemoved() throws IOException {
        write("/link1", "LN", OpenFlags.O_WRONLY);
        write("/link2", "L", OpenFlags.O_WRONLY);
        fs.unlink("/link2");
        assertEquals(1, indexEntries().size());
        fs.unlink("/link1");
        assertEquals(List.of(), indexEntries());
    }

    @Test
    void anIndexEntryGoesWhenRenamesReplaceItsNames() throws IOException {
        write("/link1", "LN", OpenFlags.O_WRONLY);
        fs.rename("/only1", "/link1", 0); // over the upper copy
        assertEquals(1, indexEntries().size(), "link2 still shows the copy");
        assertEquals("LN", read("/link2"));
        fs.rename("/a.txt", "/link2", 0); // over the last lower name
        assertEquals(List.of(), indexEntries());
        assertEquals("one", read("/link1"));
        assertEquals("top", read("/link2"));
    }

    @Test
    void aMountRemovesIndexEntriesThatAnEarlierSessionLeftUnreachable() throws IOException {
        write("/link1", "LN", OpenFlags.O_WRONLY);
        String entry = indexEntries().get(0);
        // An outside link stands in for the leak of older versions: the entry outlives its names.
        Path keep = Files.createLink(tmp.resolve("keep"), work.resolve("stratafs-index").resolve(entry));
        fs.unlink("/link1");
        fs.unlink("/link2");
        assertEquals(List.of(entry), indexEntries());
        Files.delete(keep);
        fs.close();
        fs = OverlayFs.open(StackConfig.builder().lower(l0).lower(l1).upper(up, work).build());
        assertEquals(List.of(), indexEntries());
        assertThrows(FsException.class, () -> fs.getattr("/link2"));
    }

    @Test
    void tmpfileIsAnUnnamedFileOfTheCallerInTheUpperCopyOfTheDirectory() throws IOException {
        assumeTrue(os.geteuid() == 0, "giving the file to the caller needs root");
        try (OpenFile f = fs.tmpfile("/dir", OpenFlags.O_RDWR, 0666, new Caller(1000, 1001, 022))) {
            byte[] b = "tmp".getBytes(StandardCharsets.UTF_8);
            f.write(b, 0, b.length, 0);
            FileAttr a = f.getattr();
            assertEquals(3, a.size());
            assertEquals(0644, a.mode() & 07777, "mode less the caller's umask");
            assertEquals(1000, a.uid());
            assertEquals(1001, a.gid());
            assertEquals(List.of("x", "y"), names("/dir"), "no name appears");
            assertTrue(Files.isDirectory(up.resolve("dir")), "the directory was copied up to hold it");
            try (var s = Files.list(up.resolve("dir"))) {
                assertEquals(0, s.count());
            }
        }
        assertThrows(FsException.class, () -> fs.tmpfile("/a.txt", OpenFlags.O_RDWR, 0600, ROOT), "not a directory");
    }

    @Test
    void readHandleOpenedBeforeCopyUpSeesNewData() throws IOException {
        try (OpenFile r = fs.open("/only1", OpenFlags.O_RDONLY, ROOT)) {
            write("/only1", "XYZ", OpenFlags.O_WRONLY);
            byte[] b = new byte[8];
            int n = r.read(b, 0, 8, 0);
            assertEquals("XYZ", new String(b, 0, n));
        }
    }

    @Test
    void aLowerFileOpenWhenItsDirectoryIsRemovedStillReads() throws IOException {
        // dir/y is lower1's; rm -rf dir whites it out (and the directory) under the open handle.
        try (OpenFile r = fs.open("/dir/y", OpenFlags.O_RDONLY, ROOT)) {
            fs.unlink("/dir/x");
            fs.unlink("/dir/y");
            fs.rmdir("/dir");
            byte[] b = new byte[8];
            int n = r.read(b, 0, 8, 0);
            assertEquals("y1", new String(b, 0, n), "an open file outlives its names (unlink(2))");
        }
    }

    private static long atime(Path p) throws IOException {
        return ((java.nio.file.attribute.FileTime) Files.getAttribute(p, "lastAccessTime", java.nio.file.LinkOption.NOFOLLOW_LINKS)).toMillis();
    }

    @Test
    void readingThroughTheMergeLeavesLowerAccessTimesAlone() throws IOException {
        // atime == mtime, far back: relatime would update on any read (mount(8) "relatime").
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L);
        Path canary = Files.writeString(tmp.resolve("canary"), "c");
        for (Path p : List.of(l1.resolve("only1"), l1.resolve("dir"), canary)) {
            Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class).setTimes(old, old, null);
        }
        Files.readString(canary);
        assumeTrue(atime(canary) != old.toMillis(), "the filesystem of the test dir updates no access times");

        assertEquals("one", read("/only1"));
        assertEquals(List.of("x", "y"), names("/dir"));
        assertEquals(old.toMillis(), atime(l1.resolve("only1")), "read of a lower file");
        assertEquals(old.toMillis(), atime(l1.resolve("dir")), "listing of a lower directory");
    }

    @Test
    void aCopyUpReadsItsSourceWithoutTouchingItsAccessTime() throws IOException {
        java.nio.file.attribute.FileTime old = java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L);
        Path canary = Files.writeString(tmp.resolve("canary"), "c");
        Files.getFileAttributeView(canary, java.nio.file.attribute.BasicFileAttributeView.class).setTimes(old, old, null);
        Files.readString(canary);
        assumeTrue(atime(canary) != old.toMillis(), "the filesystem of the test dir updates no access times");
        Files.getFileAttributeView(l0.resolve("dir/x"), java.nio.file.attribute.BasicFileAttributeView.class).setTimes(old, old, null);
        write("/dir/x", "X", OpenFlags.O_WRONLY);
        assertEquals(old.toMillis(), atime(l0.resolve("dir/x")));
    }

    @Test
    void aRemovedFileStillOpenOpensAgainThroughItsHandle() throws IOException {
        fs.create("/new", OpenFlags.O_WRONLY, 0644, ROOT).close();
        write("/new", "up", OpenFlags.O_WRONLY);
        try (OpenFile up = fs.open("/new", OpenFlags.O_RDONLY, ROOT); OpenFile low = fs.open("/only1", OpenFlags.O_RDONLY, ROOT)) {
            fs.unlink("/new");
            fs.unlink("/only1");
            try (OpenFile again = up.reopen(OpenFlags.O_RDWR)) {
                byte[] b = "UP".getBytes(StandardCharsets.UTF_8);
                again.write(b, 0, 2, 0);
            }
            byte[] b = new byte[8];
            assertEquals("UP", new String(b, 0, up.read(b, 0, 8, 0), StandardCharsets.UTF_8), "the same file");
            try (OpenFile lowAgain = low.reopen(OpenFlags.O_RDONLY)) {
                assertEquals("one", new String(b, 0, lowAgain.read(b, 0, 8, 0), StandardCharsets.UTF_8));
            }
            // No name is left to copy the lower file up to; the kernel overlay answers EEXIST too.
            FsException e = assertThrows(FsException.class, () -> low.reopen(OpenFlags.O_RDWR));
            assertEquals(ErrorKind.EXISTS, e.kind());
            assertEquals("one", Files.readString(l1.resolve("only1")), "the lower file is untouched");
        }
    }

    private List<String> scratch() throws IOException {
        try (var s = Files.list(work.resolve("work"))) {
            return s.map(q -> q.getFileName().toString()).filter(n -> !n.equals("incompat")).collect(Collectors.toList());
        }
    }

    @Test
    void aFileReplacedByARenameStaysReachableWhileItsInodeIsKnown() throws IOException {
        fs.create("/cfg", OpenFlags.O_WRONLY, 0644, ROOT).close();
        write("/cfg", "old", OpenFlags.O_WRONLY);
        fs.create("/tmp", OpenFlags.O_WRONLY, 0644, ROOT).close();
        write("/tmp", "new", OpenFlags.O_WRONLY);
        long oldIno = fs.getattr("/cfg").ino();
        long lowerIno = fs.getattr("/only1").ino();
        fs.keepRemovedWhile(ino -> ino == oldIno || ino == lowerIno);

        fs.rename("/tmp", "/cfg", 0);
        fs.rename("/cfg", "/only1", 0); // over a lower file
        assertEquals("new", read("/only1"));
        FileAttr kept = fs.removedAttr(oldIno);
        assertEquals(3, kept.size());
        assertEquals(0, kept.nlink(), "no name left");
        byte[] b = new byte[8];
        try (OpenFile f = fs.openRemoved(oldIno, OpenFlags.O_RDONLY)) {
            assertEquals("old", new String(b, 0, f.read(b, 0, 8, 0), StandardCharsets.UTF_8));
        }
        try (OpenFile f = fs.openRemoved(lowerIno, OpenFlags.O_RDONLY)) {
            assertEquals("one", new String(b, 0, f.read(b, 0, 8, 0), StandardCharsets.UTF_8));
        }
        assertEquals(ErrorKind.EXISTS, assertThrows(FsException.class, () -> fs.openRemoved(lowerIno, OpenFlags.O_RDWR)).kind());
        assertEquals(1, scratch().size(), "the replaced upper file, linked in the scratch directory");

        fs.forgetRemoved(oldIno);
        fs.forgetRemoved(lowerIno);
        assertNull(fs.removedAttr(oldIno));
        assertNull(fs.openRemoved(lowerIno, OpenFlags.O_RDONLY));
        assertEquals(List.of(), scratch());
    }

    @Test
    void aReplacedNameWithAnotherHardLinkLeftIsNotKept() throws IOException {
        // pjdfstest rename/23.t: renaming over one of two links leaves the other with nlink 1.
        fs.create("/n0", OpenFlags.O_WRONLY, 0644, ROOT).close();
        fs.link("/n0", "/n1");
        fs.create("/n2", OpenFlags.O_WRONLY, 0644, ROOT).close();
        long ino = fs.getattr("/n1").ino();
        fs.keepRemovedWhile(i -> true);
        fs.rename("/n2", "/n1", 0);
        assertEquals(1, fs.getattr("/n0").nlink());
        assertNull(fs.removedAttr(ino), "n0 still reaches it");
        assertEquals(List.of(), scratch());
    }

    @Test
    void aReplacedFileNobodyKnowsIsNotKeptNorAnUnlinkedOne() throws IOException {
        fs.create("/cfg", OpenFlags.O_WRONLY, 0644, ROOT).close();
        fs.create("/gone", OpenFlags.O_WRONLY, 0644, ROOT).close();
        long replaced = fs.getattr("/cfg").ino();
        long unlinked = fs.getattr("/gone").ino();
        fs.keepRemovedWhile(ino -> ino == unlinked);
        fs.rename("/only1", "/cfg", 0);
        fs.unlink("/gone"); // a stat that then finds nothing is as if after the unlink
        assertNull(fs.removedAttr(replaced));
        assertNull(fs.removedAttr(unlinked));
        assertEquals(List.of(), scratch());
    }

    @Test
    void privateXattrsAreHiddenAndUserXattrsCopyUp() throws IOException {
        os.setxattr(l1.resolve("only1"), "user.color", "red".getBytes(), 0);
        fs.setxattr("/only1", "user.size", "big".getBytes(), 0);
        List<String> xs = fs.listxattr("/only1");
        assertTrue(xs.contains("user.color") && xs.contains("user.size"), xs.toString());
        assertTrue(xs.stream().noneMatch(x -> x.startsWith("trusted.overlay.")), xs.toString());
        assertArrayEquals("red".getBytes(), fs.getxattr("/only1", "user.color"));
    }

    @Test
    void namesLongerThan255BytesAreRefused() {
        FsException e = assertThrows(FsException.class, () -> fs.getattr("/" + "n".repeat(256)));
        assertEquals(ErrorKind.NAME_TOO_LONG, e.kind());
    }

    @Test
    void readOnlyStackRefusesChanges() throws IOException {
        try (OverlayFs ro = OverlayFs.open(StackConfig.builder().lower(l0).lower(l1).build())) {
            FsException e = assertThrows(FsException.class, () -> ro.mkdir("/new", 0755, ROOT));
            assertEquals(ErrorKind.READ_ONLY, e.kind());
        }
    }

    @Test
    void symlinkInsideLowerIsNeverFollowed() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "host");
        Files.createSymbolicLink(l1.resolve("esc"), outside);
        FsException e = assertThrows(FsException.class, () -> fs.getattr("/esc/secret"));
        assertEquals(ErrorKind.NOT_DIRECTORY, e.kind());
        assertThrows(FsException.class, () -> fs.create("/esc/new", OpenFlags.O_WRONLY, 0644, ROOT));
        assertFalse(Files.exists(outside.resolve("new")));
    }

    /**
     * <pre>
     *   upper/a/mine        lower0/a -> {tmp}/host   (host/secret, outside every layer)
     * </pre>
     */
    @Test
    void lowerSymlinkUnderUpperDirectoryIsNotMerged() throws IOException {
        fs.close();
        Path host = Files.createDirectories(tmp.resolve("host"));
        Files.writeString(host.resolve("secret"), "host");
        Files.createSymbolicLink(l0.resolve("a"), host);
        Files.createDirectories(up.resolve("a"));
        Files.writeString(up.resolve("a/mine"), "m");
        fs = OverlayFs.open(StackConfig.builder().lower(l0).lower(l1).upper(up, work).build());
        assertEquals(List.of("mine"), names("/a"));
        assertThrows(FsException.class, () -> fs.getattr("/a/secret"));
        fs.create("/a/new", OpenFlags.O_WRONLY, 0644, ROOT).close();
        fs.unlink("/a/mine");
        assertTrue(Files.exists(up.resolve("a/new")));
        assertFalse(Files.exists(host.resolve("new")));
        assertEquals(List.of("secret"), Files.list(host).map(x -> x.getFileName().toString()).collect(Collectors.toList()));
    }

    /**
     * An upper written by an AUFS-format tool:
     * <pre>
     *   upper/.wh.only1     lower1/only1 "one"
     * </pre>
     */
    @Test
    void aufsMarkerInUpperHidesLowerAndIsReplacedByANewFile() throws IOException {
        reopenWithAufsMarker("only1");
        assertThrows(FsException.class, () -> fs.getattr("/only1"));
        assertFalse(names("/").contains("only1"));
        try (OpenFile f = fs.create("/only1", OpenFlags.O_WRONLY, 0644, ROOT)) {
            f.write("new".getBytes(), 0, 3, 0);
        }
        assertEquals("new", read("/only1"));
        assertFalse(Files.exists(up.resolve(".wh.only1")), "the marker goes when the name is made again");
        fs.unlink("/only1");
        assertThrows(FsException.class, () -> fs.getattr("/only1"));
        assertTrue(os.lstat(up.resolve("only1")).isCharDevice());
    }

    /**
     * The directory's marker set is kept across changes at other names, so it must stay exact:
     * <pre>
     *   upper/.wh.only1     lower1/only1 "one"
     *                       lower0/a.txt "top" (copied up by the chmod), lower1/link1
     * </pre>
     */
    @Test
    void aufsMarkerKeepsHidingItsNameWhileOtherNamesOfTheDirectoryChange() throws IOException {
        reopenWithAufsMarker("only1");
        assertThrows(FsException.class, () -> fs.getattr("/only1"));
        fs.create("/made", OpenFlags.O_WRONLY, 0644, ROOT).close();
        fs.chmod("/a.txt", 0600);
        fs.unlink("/link1");
        assertThrows(FsException.class, () -> fs.getattr("/only1"));
        assertFalse(names("/").contains("only1"));
        assertEquals("top", read("/a.txt"));
        assertEquals(0600, fs.getattr("/a.txt").mode() & 07777);
        assertFalse(names("/").contains("link1"));
    }

    /** Reopens the stack with an AUFS-format marker {@code .wh.NAME} in the upper's root, as another tool writes it. */
    private void reopenWithAufsMarker(String name) throws IOException {
        fs.close();
        Files.createFile(up.resolve(".wh." + name));
        fs = OverlayFs.open(StackConfig.builder().lower(l0).lower(l1).upper(up, work).build());
    }

    /** A valid file capability (cap_net_raw+ep, VFS_CAP_REVISION_2): the kernel checks the format. */
    private static final byte[] CAP_NET_RAW = {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final String CAP = "security.capability";

    private void assertNoCapability(String p) {
        FsException e = assertThrows(FsException.class, () -> fs.getxattr(p, CAP));
        assertEquals(ErrorKind.NO_ATTRIBUTE, e.kind());
    }

    /**
     * <pre>
     *   /new, /alias: one upper file (made here, then linked); the capability is set through /alias
     * </pre>
     */
    @Test
    void capabilitySetThroughAHardLinkIsSeenThroughTheOtherName() throws IOException {
        assumeTrue(os.geteuid() == 0, "security.* xattrs need CAP_SETFCAP");
        fs.create("/new", OpenFlags.O_WRONLY, 0644, ROOT).close();
        assertNoCapability("/new");
        fs.link("/new", "/alias");
        fs.setxattr("/alias", CAP, CAP_NET_RAW, 0);
        assertArrayEquals(CAP_NET_RAW, fs.getxattr("/new", CAP));
    }

    /**
     * <pre>
     *   /a (no capability, asked)   /b (capability)   then  mv /b /a
     * </pre>
     */
    @Test
    void capabilityOfAFileRenamedOverAnAskedNameIsSeen() throws IOException {
        assumeTrue(os.geteuid() == 0, "security.* xattrs need CAP_SETFCAP");
        fs.create("/a", OpenFlags.O_WRONLY, 0644, ROOT).close();
        fs.create("/b", OpenFlags.O_WRONLY, 0644, ROOT).close();
        assertNoCapability("/a");
        fs.setxattr("/b", CAP, CAP_NET_RAW, 0);
        fs.rename("/b", "/a", 0);
        assertArrayEquals(CAP_NET_RAW, fs.getxattr("/a", CAP));
    }

    /**
     * <pre>
     *   /d/f (no capability, asked)   /e/f (capability)   then  mv /d /x; mv /e /d
     * </pre>
     */
    @Test
    void capabilityBelowADirectoryMovedOntoAnAskedPathIsSeen() throws IOException {
        assumeTrue(os.geteuid() == 0, "security.* xattrs need CAP_SETFCAP");
        fs.mkdir("/d", 0755, ROOT);
        fs.mkdir("/e", 0755, ROOT);
        fs.create("/d/f", OpenFlags.O_WRONLY, 0644, ROOT).close();
        fs.create("/e/f", OpenFlags.O_WRONLY, 0644, ROOT).close();
        fs.setxattr("/e/f", CAP, CAP_NET_RAW, 0);
        assertNoCapability("/d/f");
        fs.rename("/d", "/x", 0);
        fs.rename("/e", "/d", 0);
        assertArrayEquals(CAP_NET_RAW, fs.getxattr("/d/f", CAP));
        assertNoCapability("/x/f");
    }

    /**
     * A lower file's capability shows through the mount and survives a chmod's copy-up; a write
     * drops it, as any write(2) to a file with a capability does (commoncap killpriv).
     */
    @Test
    void lowerCapabilitySurvivesChmodCopyUpAndGoesOnWrite() throws IOException {
        assumeTrue(os.geteuid() == 0, "security.* xattrs need CAP_SETFCAP");
        os.setxattr(l1.resolve("only1"), CAP, CAP_NET_RAW, 0);
        assertArrayEquals(CAP_NET_RAW, fs.getxattr("/only1", CAP));
        fs.chmod("/only1", 0755);
        assertArrayEquals(CAP_NET_RAW, fs.getxattr("/only1", CAP));
        write("/only1", "x", OpenFlags.O_WRONLY);
        assertNoCapability("/only1");
        assertNoCapability("/a.txt");
    }

    /**
     * The upper filesystem reuses a freed inode number for the next new inode: a copy-up's temp
     * file often gets the number of an upper file just deleted. The copy must still report its
     * lower file's number, not what the deleted file had.
     * <pre>
     *   lower1/c0 .. c19          upper: /tmp made, stat'ed, deleted before each copy-up
     * </pre>
     */
    @Test
    void copyUpKeepsTheLowerInodeWhenItsHostInodeWasJustFreed() throws IOException {
        fs.close();
        for (int i = 0; i < 20; i++) Files.writeString(l1.resolve("c" + i), "c" + i);
        fs = OverlayFs.open(StackConfig.builder().lower(l0).lower(l1).upper(up, work).build());
        for (int i = 0; i < 20; i++) {
            long lowerIno = fs.getattr("/c" + i).ino();
            fs.create("/tmp", OpenFlags.O_WRONLY, 0644, ROOT).close();
            long madeIno = fs.getattr("/tmp").ino();
            assertTrue(madeIno != lowerIno);
            fs.unlink("/tmp");
            write("/c" + i, "C", OpenFlags.O_WRONLY);
            assertEquals(lowerIno, fs.getattr("/c" + i).ino(), "c" + i);
            assertEquals("C" + i, read("/c" + i));
        }
    }

    /**
     * <pre>
     *   lower1/only1 "one" (copied up by the setattr)    lower0/dir (directory)
     * </pre>
     */
    @Test
    void setattrAppliesModeOwnerSizeAndTimesInOneCopyUpAndAnswersTheResult() throws IOException {
        long ino = fs.getattr("/only1").ino();
        FileAttr a = fs.setattr("/only1", AttrChange.builder().mode(0640).owner(-1, 7).size(2)
                .times(SetTime.OMIT, SetTime.of(1_000_000, 5)).build());
        assertEquals(0640, a.mode() & 07777);
        assertEquals(7, a.gid());
        assertEquals(2, a.size());
        assertEquals(1_000_000, a.mtimeSec());
        assertEquals(ino, a.ino(), "a copy keeps the lower inode number");
        assertEquals("on", Files.readString(up.resolve("only1")));
        FileAttr again = fs.getattr("/only1");
        assertEquals(a.mode(), again.mode());
        assertEquals(a.ctimeSec(), again.ctimeSec());
        assertEquals(ErrorKind.IS_DIRECTORY,
                assertThrows(FsException.class, () -> fs.setattr("/dir", AttrChange.builder().size(0).build())).kind());
        fs.symlink("a.txt", "/sl", ROOT);
        assertEquals(ErrorKind.NOT_SUPPORTED,
                assertThrows(FsException.class, () -> fs.setattr("/sl", AttrChange.builder().mode(0600).build())).kind());
        assertEquals("top", read("/a.txt"), "the refused change touched nothing");
    }
}
