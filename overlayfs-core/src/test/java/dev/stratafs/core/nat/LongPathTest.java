package dev.stratafs.core.nat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Host paths longer than PATH_MAX: every NativeOs call must reach them, as kernel overlayfs
 * reaches a layer's deep names whatever the length of the layer root's own path. Runs as root
 * (trusted.* xattrs, mknod).
 *
 * <pre>
 * base/ d...d/ (x 20 levels of 255-byte names: ~5 KiB, past PATH_MAX)
 *         leaf/ f "data"       at depth 20 (host path ~5.2 KiB)
 * </pre>
 *
 * java.nio cannot reach the tree, so creation and cleanup go through NativeOs itself.
 */
class LongPathTest {
    private static final int DEPTH = 20;
    private final NativeOs os = Natives.get();
    private Path base;
    private Path deep;

    @BeforeEach
    void makeChain() throws Exception {
        base = Files.createTempDirectory("stratafs-longpath");
        Path p = base;
        for (int i = 0; i < DEPTH; i++) {
            p = p.resolve("d" + (char) ('a' + i) + "x".repeat(253));
            os.mkdir(p, 0755);
        }
        deep = p.resolve("leaf");
        os.mkdir(deep, 0755);
        assertTrue(deep.toString().getBytes(StandardCharsets.UTF_8).length > JnrNativeOs.PATH_MAX);
    }

    @AfterEach
    void removeChain() throws Exception {
        if (base != null) removeTree(base);
    }

    private void removeTree(Path dir) throws FsException {
        for (NativeOs.DirEnt e : os.readDir(dir)) {
            Path c = dir.resolve(e.name());
            if (os.lstat(c).isDirectory()) {
                removeTree(c);
            } else {
                os.unlink(c);
            }
        }
        os.rmdir(dir);
    }

    @Test
    void fileCallsWorkBelowPathMax() throws Exception {
        Path f = deep.resolve("f");
        int fd = os.open(f, OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_RDWR, 0644);
        try {
            byte[] data = "data".getBytes(StandardCharsets.UTF_8);
            assertEquals(4, os.pwrite(fd, data, 0, 4, 0));
        } finally {
            os.close(fd);
        }
        assertEquals(4, os.lstat(f).size());
        os.chmod(f, 0600);
        os.lchown(f, 1234, 5678);
        os.utimens(f, 10, 0, 20, 0);
        StatInfo st = os.lstat(f);
        assertEquals(0600, st.mode() & 07777);
        assertEquals(1234, st.uid());
        assertEquals(5678, st.gid());
        assertEquals(20, st.mtimeSec());

        os.link(f, deep.resolve("g"));
        assertEquals(2, os.lstat(f).nlink());
        os.rename(deep.resolve("g"), deep.resolve("h"), NativeOs.RENAME_NOREPLACE);
        assertNull(os.lstatOrNull(deep.resolve("g")));
        os.symlink("f", deep.resolve("s"));
        assertEquals("f", os.readlink(deep.resolve("s")));
        os.mknod(deep.resolve("w"), 0020000, 0); // a char 0/0 device: the kernel whiteout
        assertTrue(os.lstat(deep.resolve("w")).isCharDevice());

        List<String> names = os.readDir(deep).stream().map(NativeOs.DirEnt::name).sorted().toList();
        assertEquals(List.of("f", "h", "s", "w"), names);
        os.unlink(deep.resolve("h"));
        assertEquals(1, os.lstat(f).nlink());
    }

    @Test
    void xattrsWorkBelowPathMaxIncludingOnSymlinks() throws Exception {
        Path d = deep.resolve("dir");
        os.mkdir(d, 0755);
        os.setxattr(d, "trusted.overlay.opaque", new byte[] {'y'}, 0);
        assertArrayEquals(new byte[] {'y'}, os.getxattr(d, "trusted.overlay.opaque"));
        assertTrue(os.listxattr(d).contains("trusted.overlay.opaque"));
        os.removexattr(d, "trusted.overlay.opaque");
        assertNull(os.getxattr(d, "trusted.overlay.opaque"));

        // A symlink to a directory: the attribute must land on the link, not on its target.
        Path s = deep.resolve("s");
        os.symlink("dir", s);
        os.setxattr(s, "trusted.stratafs.test", new byte[] {1}, 0);
        assertArrayEquals(new byte[] {1}, os.getxattr(s, "trusted.stratafs.test"));
        assertNull(os.getxattr(d, "trusted.stratafs.test"));
    }

    @Test
    void missingAndWrongTypedAncestorsAnswerAsForShortPaths() throws Exception {
        assertNull(os.lstatOrNull(deep.resolve("missing/child")));
        assertEquals(ErrorKind.NOT_FOUND,
                assertThrows(FsException.class, () -> os.lstat(deep.resolve("missing/child"))).kind());
        int fd = os.open(deep.resolve("file"), OpenFlags.O_CREAT | OpenFlags.O_WRONLY, 0644);
        os.close(fd);
        assertNull(os.lstatOrNull(deep.resolve("file/child")));
        assertEquals(List.of(), os.readDir(deep.resolve("missing")));
        assertEquals(ErrorKind.EXISTS, assertThrows(FsException.class, () -> os.mkdir(deep.resolve("file"), 0755)).kind());
    }
}
