package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.nat.StatInfo;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.MountedStack;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With the default (practically endless) kernel cache timeout, every name of a hard link shows
 * a change made through another name at once; a file with one link is still served from the
 * kernel's cache. Runs on the default engine here and on the path engine in
 * {@link HardLinksUnderLongCachePathEngineIT}, where libfuse 2 gives each name its own kernel
 * inode and only the reply channel keeps them coherent. All calls are real system
 * calls through the mount (stat, fstat on an fd, chmod, ...), made by this test process.
 *
 * <pre>
 * lower0/ (the only lower)          upper/, work/ empty
 *   h1, h2   hard links, "lower"
 * the tests add A (and its links B, C) in the upper through the mount
 * </pre>
 *
 * Mounted without default_permissions (the library default), so that no permission check
 * refreshes attributes behind the test's back.
 */
class HardLinksUnderLongCacheIT {
    private static final NativeOs OS = Natives.get();

    @TempDir
    Path tmp;
    MountedStack stack;
    Path mnt;

    @BeforeEach
    void setUp() throws Exception {
        stack = MountedStack.create(tmp, 1);
        Path l0 = stack.lower(0);
        Files.writeString(l0.resolve("h1"), "lower");
        Files.createLink(l0.resolve("h2"), l0.resolve("h1"));
        FuseOptions options = options();
        assertEquals(FuseOptions.DEFAULT_TIMEOUT_SECONDS, options.timeoutSeconds());
        stack.mount(options);
        mnt = stack.mnt();
    }

    /** The mount options under test: the defaults, with the engine a subclass may choose. */
    FuseOptions options() {
        return FuseOptions.builder().build();
    }

    /** Whether the engine gives multiply linked files no attribute cache lifetime. */
    boolean linkedFilesAskedEveryTime() {
        return false;
    }

    @AfterEach
    void tearDown() throws Exception {
        stack.close();
    }

    private Path m(String name) {
        return mnt.resolve(name);
    }

    private static StatInfo stat(Path p) throws Exception {
        return OS.lstat(p);
    }

    /** A file "hello" of one link, its attributes in the kernel's cache. */
    private Path cachedFile(String name) throws Exception {
        Files.writeString(m(name), "hello");
        assertEquals(1, stat(m(name)).nlink());
        return m(name);
    }

    @Test
    void linkShowsTwoLinksOnTheSourceAtOnce() throws Exception {
        Path a = cachedFile("A");
        int fd = OS.open(a, NativeOs.OpenFlags.O_RDONLY, 0);
        try {
            assertEquals(1, OS.fstat(fd).nlink());
            OS.link(a, m("B"));
            assertEquals(2, stat(a).nlink());
            assertEquals(2, stat(m("B")).nlink());
            assertEquals(2, OS.fstat(fd).nlink());
        } finally {
            OS.close(fd);
        }
    }

    @Test
    void changesThroughOneNameShowOnTheOtherAtOnce() throws Exception {
        Path a = cachedFile("A");
        Path b = m("B");
        OS.link(a, b);
        int fd = OS.open(a, NativeOs.OpenFlags.O_RDONLY, 0);
        try {
            assertEquals(0644, OS.fstat(fd).perm());

            OS.chmod(b, 0600);
            assertEquals(0600, stat(a).perm());
            assertEquals(0600, OS.fstat(fd).perm());

            OS.lchown(b, 12, 34);
            assertEquals(12, stat(a).uid());
            assertEquals(34, OS.fstat(fd).gid());

            Files.writeString(b, "grown through B");
            assertEquals(15, stat(a).size());
            assertEquals(15, OS.fstat(fd).size());

            int wfd = OS.open(b, NativeOs.OpenFlags.O_WRONLY, 0);
            try {
                OS.ftruncate(wfd, 3);
            } finally {
                OS.close(wfd);
            }
            assertEquals(3, stat(a).size());
            assertEquals(3, OS.fstat(fd).size());
        } finally {
            OS.close(fd);
        }
    }

    @Test
    void dataWrittenThroughOneNameIsReadThroughTheOther() throws Exception {
        Path a = cachedFile("A");
        Path b = m("B");
        OS.link(a, b);
        // An old mtime, so that the write below surely changes it even with coarse timestamps:
        // the write keeps the size, so the mtime is all that tells libfuse's auto_cache of it.
        OS.utimens(a, 1000, 0, 1000, 0);
        assertEquals("hello", Files.readString(a)); // A's pages now in the page cache
        int wfd = OS.open(b, NativeOs.OpenFlags.O_WRONLY, 0);
        try {
            OS.pwrite(wfd, "HELLO".getBytes(StandardCharsets.US_ASCII), 0, 5, 0);
        } finally {
            OS.close(wfd);
        }
        assertEquals("HELLO", Files.readString(a));
    }

    @Test
    void unlinkingOneNameDropsTheOthersLinkCountAtOnce() throws Exception {
        Path a = cachedFile("A");
        OS.link(a, m("B"));
        OS.link(a, m("C"));
        int fd = OS.open(a, NativeOs.OpenFlags.O_RDONLY, 0);
        try {
            assertEquals(3, stat(a).nlink());
            OS.unlink(m("B"));
            assertEquals(2, stat(a).nlink());
            assertEquals(2, stat(m("C")).nlink());
            OS.unlink(m("C"));
            assertEquals(1, stat(a).nlink());
            assertEquals(1, OS.fstat(fd).nlink());
        } finally {
            OS.close(fd);
        }
    }

    @Test
    void renamingOverOneNameDropsTheOthersLinkCountAtOnce() throws Exception {
        Path a = cachedFile("A");
        Path b = m("B");
        OS.link(a, b);
        Path c = cachedFile("C");
        long cIno = stat(c).ino();
        assertEquals(2, stat(a).nlink());

        OS.rename(c, b, 0);

        assertEquals(1, stat(a).nlink());
        assertEquals(cIno, stat(b).ino());
        assertEquals(1, stat(b).nlink());
    }

    @Test
    void lowerHardLinksSeeTheCopyUpOfEachOther() throws Exception {
        // stratafs keeps lower hard links linked through a copy-up (README, "Hard links of lower files")
        assertEquals(0644, stat(m("h2")).perm());
        OS.chmod(m("h1"), 0640);
        assertEquals(0640, stat(m("h2")).perm());
        Files.writeString(m("h1"), "upper");
        assertEquals("upper", Files.readString(m("h2")));
    }

    @Test
    void aFileOfOneLinkIsServedFromTheKernelCache() throws Exception {
        Path a = cachedFile("A");
        Path linked = cachedFile("L");
        OS.link(linked, m("L2"));
        assertEquals(2, stat(linked).nlink());
        // Behind the mount's back (what a user must not do): the kernel keeps answering for A
        // from its cache. A multiply linked file is cached the same on the default engine (its
        // names are one kernel inode) and asked for every time on the path engine.
        Files.setPosixFilePermissions(stack.upper().resolve("A"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(stack.upper().resolve("L"), PosixFilePermissions.fromString("rw-------"));
        assertEquals(0644, stat(a).perm());
        assertEquals(linkedFilesAskedEveryTime() ? 0600 : 0644, stat(linked).perm());
    }
}
