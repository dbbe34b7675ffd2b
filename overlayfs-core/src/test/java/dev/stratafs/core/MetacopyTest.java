package dev.stratafs.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Metadata-only copy-up, what the differential suite (MetacopyDiffTest) cannot see: blocks,
 * attributes through an open handle, and a marked upper made by someone else. Fixture:
 * <pre>
 *   lower/
 *     data   64 KiB of random bytes, 0644
 * </pre>
 */
class MetacopyTest {
    private static final Caller ROOT = Caller.of(0, 0);
    private final NativeOs os = Natives.get();
    /** The kernel's name for the mark: trusted.* as root, user.* (userxattr) otherwise. */
    private final String mark = (os.geteuid() == 0 ? "trusted" : "user") + ".overlay.metacopy";

    @TempDir Path tmp;
    Path lower, up, work;
    byte[] data;
    OverlayFs fs;

    @BeforeEach
    void setUp() throws IOException {
        lower = Files.createDirectories(tmp.resolve("lower"));
        up = Files.createDirectories(tmp.resolve("upper"));
        work = Files.createDirectories(tmp.resolve("work"));
        data = new byte[64 * 1024];
        new Random(7).nextBytes(data);
        Files.write(lower.resolve("data"), data);
    }

    @AfterEach
    void tearDown() {
        if (fs != null) fs.close();
    }

    private OverlayFs open(boolean metacopy) throws IOException {
        fs = OverlayFs.open(StackConfig.builder().lower(lower).upper(up, work).metacopy(metacopy).build());
        return fs;
    }

    private byte[] readAll(OpenFile f) throws IOException {
        byte[] b = new byte[data.length + 10];
        int n = f.read(b, 0, b.length, 0);
        return java.util.Arrays.copyOf(b, n);
    }

    @Test
    void chmodLeavesTheDataBelowAndGetattrCountsItsBlocks() throws IOException {
        open(true).chmod("/data", 0600);

        StatInfo upper = os.lstat(up.resolve("data"));
        assertEquals(data.length, upper.size());
        assertTrue(upper.blocks() * 512 < data.length, "the upper copy holds no data: " + upper.blocks() + " blocks");
        assertNotNull(os.getxattr(up.resolve("data"), mark));
        FileAttr a = fs.getattr("/data");
        assertEquals(0100600, a.mode());
        assertEquals(os.lstat(lower.resolve("data")).blocks(), a.blocks());
        try (OpenFile f = fs.open("/data", OpenFlags.O_RDONLY, ROOT)) {
            assertArrayEquals(data, readAll(f));
        }
    }

    @Test
    void aHandleReadingTheLowerDataShowsAttributesChangedSinceItOpened() throws IOException {
        open(true);
        long ino = fs.getattr("/data").ino();
        try (OpenFile f = fs.open("/data", OpenFlags.O_RDONLY, ROOT)) {
            fs.chmod("/data", 0604);
            fs.chown("/data", 12, 34);
            FileAttr a = f.getattr();
            assertEquals(0100604, a.mode());
            assertEquals(12, a.uid());
            assertEquals(34, a.gid());
            assertEquals(ino, a.ino());
            assertArrayEquals(data, readAll(f));
        }
    }

    @Test
    void aHandleOpenedOnAMetadataOnlyCopyShowsItsLaterChanges() throws IOException {
        open(true).chmod("/data", 0600);
        try (OpenFile f = fs.open("/data", OpenFlags.O_RDONLY, ROOT)) {
            assertEquals(0100600, f.getattr().mode());
            fs.chmod("/data", 0640);
            assertEquals(0100640, f.getattr().mode());
            assertEquals(os.lstat(lower.resolve("data")).blocks(), f.getattr().blocks());
            assertArrayEquals(data, readAll(f));
        }
    }

    @Test
    void theDataCopyKeepsEveryAttributeChangedAfterTheMetadataCopy() throws IOException {
        open(true);
        long ino = fs.getattr("/data").ino();
        fs.chmod("/data", 0640);
        fs.chown("/data", 5, 6);
        fs.setxattr("/data", "user.k", new byte[] {1, 2}, 0);
        fs.utimens("/data", SetTime.of(1_000_000_000L, 7), SetTime.of(1_100_000_000L, 9));

        try (OpenFile f = fs.open("/data", OpenFlags.O_RDWR, ROOT)) {
            assertArrayEquals(data, readAll(f));
        }

        Path u = up.resolve("data");
        assertNull(os.getxattr(u, mark), "the data copy is no longer marked");
        assertArrayEquals(data, Files.readAllBytes(u));
        StatInfo st = os.lstat(u);
        assertEquals(0100640, st.mode());
        assertEquals(5, st.uid());
        assertEquals(6, st.gid());
        assertEquals(1_100_000_000L, st.mtimeSec());
        assertEquals(9, st.mtimeNsec());
        assertArrayEquals(new byte[] {1, 2}, os.getxattr(u, "user.k"));
        assertEquals(ino, fs.getattr("/data").ino(), "the mount's inode number stays");
    }

    /*
     * upper/data: a metadata-only copy as the kernel's metacopy=on leaves it (size of the lower
     * file, no data, the mark), opened by a stack that does not make such copies itself.
     */
    @Test
    void aMarkedCopyFromAnotherMountIsReadFromBelowAndWrittenWhole() throws IOException {
        Path u = marked(up.resolve("data"));
        os.chmod(u, 0600);
        open(false);

        try (OpenFile f = fs.open("/data", OpenFlags.O_RDONLY, ROOT)) {
            assertArrayEquals(data, readAll(f));
        }
        assertEquals(0100600, fs.getattr("/data").mode());
        fs.chmod("/data", 0640); // a new ctime: still marked
        try (OpenFile f = fs.open("/data", OpenFlags.O_RDONLY, ROOT)) {
            assertArrayEquals(data, readAll(f));
        }
        try (OpenFile f = fs.open("/data", OpenFlags.O_WRONLY, ROOT)) {
            f.write(new byte[] {'X'}, 0, 1, 0);
        }
        byte[] expected = data.clone();
        expected[0] = 'X';
        assertArrayEquals(expected, Files.readAllBytes(u));
        assertNull(os.getxattr(u, mark));
    }

    /*
     * upper/moved, upper/d/far: marked copies the kernel renamed, with its redirect xattr to the
     * data's path, relative (a name in the same directory) and absolute.
     */
    @Test
    void aMarkedCopyTheKernelRenamedIsReadFromWhereItsRedirectPoints() throws IOException {
        String redirect = (os.geteuid() == 0 ? "trusted" : "user") + ".overlay.redirect";
        Path moved = marked(up.resolve("moved"));
        os.setxattr(moved, redirect, "data".getBytes(), 0);
        Path far = marked(Files.createDirectories(up.resolve("d")).resolve("far"));
        os.setxattr(far, redirect, "/data".getBytes(), 0);
        open(false);

        for (String p : new String[] {"/moved", "/d/far"}) {
            try (OpenFile f = fs.open(p, OpenFlags.O_RDONLY, ROOT)) {
                assertArrayEquals(data, readAll(f), p);
            }
            try (OpenFile f = fs.open(p, OpenFlags.O_RDWR, ROOT)) {
                assertArrayEquals(data, readAll(f), p + " after its data came up");
            }
        }
        assertArrayEquals(data, Files.readAllBytes(far));
    }

    /*
     * lower/a/b/f (64 KiB), then through the kernel's metacopy=on: chmod a/b/f; mv a/b/f f;
     * rm -rf a; mkdir a. The kernel leaves upper/f marked with the redirect "/a/b/f" and upper/a
     * opaque: the data's directory is gone from the merged view, not from the lower layer.
     */
    @Test
    void anAbsoluteRedirectIsFollowedInTheLowerLayersWhateverTheUpperDidSince() throws Exception {
        Path deep = Files.createDirectories(lower.resolve("a/b"));
        Files.write(deep.resolve("f"), data);
        Path mnt = Files.createDirectories(tmp.resolve("mnt"));
        assertEquals(0, sh("mount", "-t", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + up + ",workdir=" + work
                + ",metacopy=on", "overlay", mnt.toString()));
        try {
            assertEquals(0, sh("sh", "-c", "cd " + mnt + " && chmod 600 a/b/f && mv a/b/f f && rm -rf a && mkdir a"));
        } finally {
            assertEquals(0, sh("umount", mnt.toString()));
        }
        String redirect = (os.geteuid() == 0 ? "trusted" : "user") + ".overlay.redirect";
        assertArrayEquals("/a/b/f".getBytes(), os.getxattr(up.resolve("f"), redirect), "the kernel's own redirect");
        open(false);

        assertEquals(os.lstat(deep.resolve("f")).blocks(), fs.getattr("/f").blocks());
        try (OpenFile f = fs.open("/f", OpenFlags.O_RDONLY, ROOT)) {
            assertArrayEquals(data, readAll(f));
        }
        try (OpenFile f = fs.open("/f", OpenFlags.O_RDWR, ROOT)) {
            assertArrayEquals(data, readAll(f), "after its data came up");
        }
        assertArrayEquals(data, Files.readAllBytes(up.resolve("f")));
        assertEquals(0100600, fs.getattr("/f").mode());
    }

    private static int sh(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        return p.waitFor();
    }

    /** A file as the kernel's metacopy=on leaves it: the lower file's size, no data, the mark. */
    private Path marked(Path u) throws IOException {
        Files.createFile(u);
        int fd = os.open(u, OpenFlags.O_WRONLY, 0);
        try {
            os.ftruncate(fd, data.length);
        } finally {
            os.close(fd);
        }
        os.setxattr(u, mark, new byte[0], 0);
        return u;
    }

    @Test
    void withoutTheOptionAChmodCopiesTheDataUp() throws IOException {
        open(false).chmod("/data", 0600);

        assertArrayEquals(data, Files.readAllBytes(up.resolve("data")));
        assertNull(os.getxattr(up.resolve("data"), mark));
    }
}
