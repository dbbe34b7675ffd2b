package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.DirBackend;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.Sh;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The libfuse 3 low-level engine ({@code -o lowlevel}) through a real mount of
 * {@link DirBackend}, with the kernel caches on (timeout 60 s) as in production: what the
 * engine does differently from libfuse 2's path API.
 *
 * <pre>
 * back/                        (host directory, the backend)
 *   list/f00 .. f39            file i holds i*7 bytes, mode 0600 for even i, 0644 for odd
 *   list/sub/                  directory, mode 0750
 * mnt/                         (the mount of back/)
 * </pre>
 */
class LowLevelMountIT {
    private static final int FILES = 40;

    @TempDir
    Path tmp;
    Path back;
    Path mnt;
    MountSession session;

    @BeforeEach
    void setUp() throws IOException {
        back = Files.createDirectory(tmp.resolve("back"));
        mnt = Files.createDirectory(tmp.resolve("mnt"));
        Path list = Files.createDirectory(back.resolve("list"));
        for (int i = 0; i < FILES; i++) {
            Path f = list.resolve(String.format("f%02d", i));
            Files.write(f, new byte[i * 7]);
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(i % 2 == 0 ? "rw-------" : "rw-r--r--"));
        }
        Path sub = Files.createDirectory(list.resolve("sub"));
        Files.setPosixFilePermissions(sub, PosixFilePermissions.fromString("rwxr-x---"));
        session = MountSession.mount(new DirBackend(back), mnt, FuseOptions.builder().lowLevel(true).timeoutSeconds(60).build());
    }

    @AfterEach
    void tearDown() throws IOException {
        if (session != null) session.close();
        assertFalse(DirBackendMountIT.fuseMountedAt(mnt), "mount left behind at " + mnt);
    }

    @Test
    void lsLongListsRightSizesAndModesWithoutALookupPerEntry() throws Exception {
        Files.getAttribute(mnt.resolve("list"), "unix:mode"); // the directory itself: one LOOKUP
        long lookupsBefore = session.requestCount("lookup");
        String out = Sh.run("ls", "-ln", "--time-style=+T", mnt.resolve("list").toString()).requireOk().out();
        assertEquals(lookupsBefore, session.requestCount("lookup"),
                "READDIRPLUS handed the kernel every entry with its attributes: no LOOKUP per entry");
        assertTrue(session.requestCount("readdirplus") > 0);
        for (int i = 0; i < FILES; i++) {
            String name = String.format("f%02d", i);
            String mode = i % 2 == 0 ? "-rw-------" : "-rw-r--r--";
            String size = Long.toString(7L * i);
            // mode nlink uid gid size T name
            assertTrue(out.lines().map(l -> l.split("\\s+"))
                            .anyMatch(w -> w.length == 7 && w[6].equals(name) && w[0].equals(mode) && w[4].equals(size)),
                    "ls -l line of " + name + " with mode " + mode + " and size " + size + " in:\n" + out);
        }
        assertTrue(out.lines().anyMatch(l -> l.startsWith("drwxr-x---") && l.endsWith(" sub")), out);
    }

    @Test
    void chmodThroughOneHardLinkShowsThroughTheOtherAtOnce() throws Exception {
        Path a = mnt.resolve("list/f01");
        Path b = mnt.resolve("list/link");
        Files.getAttribute(a, "unix:mode"); // cached for 60 s
        Files.createLink(b, a);
        assertEquals(2, Files.getAttribute(a, "unix:nlink"), "nlink right after link(2)");
        Files.setPosixFilePermissions(b, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0600, (Integer) Files.getAttribute(a, "unix:mode") & 07777, "one kernel inode for both names");
        assertEquals(Files.getAttribute(a, "unix:ino"), Files.getAttribute(b, "unix:ino"));
        Files.delete(b);
        assertEquals(1, Files.getAttribute(a, "unix:nlink"), "nlink right after unlink(2)");
    }

    @Test
    void anUnlinkedOpenFileStaysReadableWritableAndStattable() throws Exception {
        Path f = mnt.resolve("list/gone");
        Files.writeString(f, "abc");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Files.delete(f);
            assertFalse(Files.exists(f, LinkOption.NOFOLLOW_LINKS));
            ch.write(ByteBuffer.wrap("defg".getBytes()), 3);
            ByteBuffer in = ByteBuffer.allocate(16);
            int n = ch.read(in, 0);
            assertEquals("abcdefg", new String(in.array(), 0, n));
            assertEquals(7, ch.size(), "fstat through the open handle");
            ch.truncate(2);
            assertEquals(2, ch.size());
            // stat(2) of the open file by its /proc fd link: a GETATTR without handle on an unlinked node.
            Path fd = null;
            try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path p : (Iterable<Path>) fds::iterator) {
                    try {
                        if (Files.readSymbolicLink(p).toString().equals(f + " (deleted)")) fd = p;
                    } catch (IOException closedMeanwhile) {
                        // the listing's own fd
                    }
                }
            }
            assertTrue(fd != null, "the open file among /proc/self/fd");
            assertEquals(0, Files.getAttribute(fd, "unix:nlink"), "an unlinked open file has nlink 0 (pjdfstest unlink/14.t)");
            assertEquals(2L, Files.getAttribute(fd, "unix:size"));
        }
        assertFalse(Files.exists(back.resolve("list/gone")));
    }

    @Test
    void bigWritesAndReadsRoundTrip() throws Exception {
        byte[] data = new byte[5 * 1024 * 1024 + 123];
        new Random(7).nextBytes(data);
        Path f = mnt.resolve("list/big");
        Files.write(f, data);
        assertArrayEquals(data, Files.readAllBytes(back.resolve("list/big")), "what reached the backend");
        assertArrayEquals(data, Files.readAllBytes(f), "what reads back through the mount");
    }

    @Test
    void cachedListingsShowCreatesAndUnlinksMadeSince() throws Exception {
        Path dir = mnt.resolve("list/sub");
        assertEquals(java.util.List.of(), names(dir));
        Files.writeString(dir.resolve("new"), "n");
        assertEquals(java.util.List.of("new"), names(dir), "cache_readdir: the kernel drops a listing its own create changed");
        Files.move(dir.resolve("new"), dir.resolve("renamed"));
        assertEquals(java.util.List.of("renamed"), names(dir));
        Files.delete(dir.resolve("renamed"));
        assertEquals(java.util.List.of(), names(dir));
    }

    private static java.util.List<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void afterTheFirstOpendirTheKernelOpensDirectoriesItself() throws Exception {
        for (int round = 0; round < 3; round++) {
            assertEquals(FILES + 1, names(mnt.resolve("list")).size());
            assertEquals(java.util.List.of(), names(mnt.resolve("list/sub")));
        }
        // NO_OPENDIR_SUPPORT: one OPENDIR answered ENOSYS, then none; never a RELEASEDIR.
        assertTrue(session.requestCount("opendir") <= 1, "opendir requests: " + session.requestCount("opendir"));
        assertEquals(0, session.requestCount("releasedir"));
        assertTrue(session.requestCount("readdir") + session.requestCount("readdirplus") > 0);
    }

    /*
     * list/big/ with n0000..n2999 (made through the mount), read by one directory stream; after
     * 1,000 names, 300 names already seen are removed, x000..x299 made, and a second stream
     * lists the directory whole. That second read takes a new listing, so the first stream's
     * later reads continue at hash offsets in a listing other than the one they began in
     * (DirSnapshot); every name that stayed must still come exactly once.
     */
    @Test
    void aDirectoryChangedWhileBeingReadNeitherSkipsNorRepeatsTheNamesThatStayed() throws Exception {
        Path big = Files.createDirectory(mnt.resolve("list/big"));
        for (int i = 0; i < 3000; i++) Files.createFile(big.resolve(String.format("n%04d", i)));
        java.util.List<String> seen = new java.util.ArrayList<>();
        java.util.Set<String> removed = new java.util.HashSet<>();
        try (var stream = Files.newDirectoryStream(big)) {
            for (Path p : stream) {
                seen.add(p.getFileName().toString());
                if (seen.size() == 1000) {
                    for (String n : seen.subList(0, 300)) {
                        Files.delete(big.resolve(n));
                        removed.add(n);
                    }
                    for (int i = 0; i < 300; i++) Files.createFile(big.resolve(String.format("x%03d", i)));
                    assertEquals(3000, names(big).size(), "a fresh listing shows the 2,700 that stayed and the 300 new");
                }
            }
        }
        assertEquals(seen.size(), new java.util.HashSet<>(seen).size(), "a name came twice");
        for (int i = 0; i < 3000; i++) {
            String n = String.format("n%04d", i);
            if (!removed.contains(n)) assertTrue(seen.contains(n), n + " stayed but was skipped");
        }
    }

    @Test
    void renamedDirectoryKeepsServingItsChildren() throws Exception {
        Path sub = mnt.resolve("list/sub");
        Files.writeString(sub.resolve("x"), "x");
        Files.move(sub, mnt.resolve("moved"));
        assertEquals("x", Files.readString(mnt.resolve("moved/x")));
        Files.writeString(mnt.resolve("moved/y"), "y");
        assertEquals("y", Files.readString(back.resolve("moved/y")));
        assertFalse(Files.exists(back.resolve("list/sub")));
    }
}
