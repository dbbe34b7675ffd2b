package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.MountedStack;
import dev.stratafs.fuse.Sh;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files without a name through the mount, as on the kernel overlay: open(2) with O_TMPFILE (the
 * default engine answers FUSE_TMPFILE itself; libfuse 3.14 does not know it) makes one in the
 * upper copy of the directory, and linkat(2) of it answers EXDEV; a removed file still open
 * opens again through /proc/self/fd.
 *
 * <pre>
 * lower0/dir/old  "old"      (dir is copied up by the first O_TMPFILE in it)
 * upper/, work/   empty
 * </pre>
 */
class NamelessFilesMountIT {
    private static final int O_RDWR = 2, O_TMPFILE = 020000000 | 0200000, AT_FDCWD = -100, AT_SYMLINK_FOLLOW = 0x400;
    private static final int EXDEV = 18;

    /** The calls java.nio has no way to make. */
    public interface Libc {
        int open(String path, int flags, int mode);

        long write(int fd, byte[] buf, long count);

        long pread(int fd, byte[] buf, long count, long offset);

        int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags);

        int close(int fd);
    }

    private static final Libc C = LibraryLoader.create(Libc.class).load("c");

    @TempDir
    Path tmp;
    MountedStack stack;
    Path mnt;

    @BeforeEach
    void setUp() throws IOException {
        stack = MountedStack.create(tmp, 1);
        Files.createDirectories(stack.lower(0).resolve("dir"));
        Files.writeString(stack.lower(0).resolve("dir/old"), "old");
        stack.mount();
        mnt = stack.mnt();
    }

    @AfterEach
    void tearDown() throws IOException {
        stack.close();
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void anOTmpfileFileIsReadAndWrittenWithoutEverHavingAName() throws Exception {
        int fd = C.open(mnt.resolve("dir").toString(), O_TMPFILE | O_RDWR, 0640);
        assertTrue(fd >= 0, "open(O_TMPFILE): errno " + Runtime.getSystemRuntime().getLastError());
        try {
            byte[] data = "temporary".getBytes(StandardCharsets.UTF_8);
            assertEquals(data.length, C.write(fd, data, data.length));
            byte[] back = new byte[32];
            long n = C.pread(fd, back, back.length, 0);
            assertEquals("temporary", new String(back, 0, (int) n, StandardCharsets.UTF_8));
            assertEquals(List.of("old"), names(mnt.resolve("dir")), "no name appeared");
            assertTrue(Files.isDirectory(stack.upper().resolve("dir"), LinkOption.NOFOLLOW_LINKS), "the directory was copied up");
            assertEquals(List.of(), names(stack.upper().resolve("dir")), "nor in the upper");

            int linked = C.linkat(AT_FDCWD, "/proc/self/fd/" + fd, AT_FDCWD, mnt.resolve("dir/named").toString(), AT_SYMLINK_FOLLOW);
            assertEquals(-1, linked, "the kernel overlay refuses to name an O_TMPFILE file");
            assertEquals(EXDEV, Runtime.getSystemRuntime().getLastError());
            assertFalse(Files.exists(mnt.resolve("dir/named"), LinkOption.NOFOLLOW_LINKS));
        } finally {
            C.close(fd);
        }
        assertEquals(List.of("old"), names(mnt.resolve("dir")));
        assertEquals(List.of(), names(stack.upper().resolve("dir")));
    }

    @Test
    void aRemovedFileStillOpenOpensAgainThroughProc() throws Exception {
        // As on the kernel overlay: open(2) of /proc/self/fd/N reaches a file with no name left.
        String out = Sh.run("sh", "-c", "exec 3<>\"$1\"; rm \"$1\"; echo more >&3; cat /proc/self/fd/3", "sh",
                mnt.resolve("dir/old").toString()).requireOk().out();
        assertEquals("more\n", out);
    }
}
