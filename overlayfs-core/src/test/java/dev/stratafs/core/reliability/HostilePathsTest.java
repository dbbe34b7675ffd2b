package dev.stratafs.core.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stratafs.core.Caller;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.SetTime;
import dev.stratafs.core.StackConfig;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The core API handed paths that cross a symlink inside a layer (the kernel never sends those
 * through FUSE, a buggy or hostile client of the API might): every operation fails with an
 * FsException and nothing outside the layers is read into the answer or changed.
 *
 * <pre>
 * outside/secret "s", outside/sub/            (host directory the layers point at)
 * lower/d/abs -> OUTSIDE   lower/d/rel -> ../../outside   lower/d/etc -> /etc
 * lower/p/f "lower p/f"
 * upper/p -> OUTSIDE       (an upper symlink standing over a lower directory)
 * </pre>
 */
class HostilePathsTest {
    static final Caller ROOT = Caller.of(0, 0);

    @TempDir
    Path tmp;
    Path outside;
    OverlayFs fs;
    Map<String, String> before;

    @BeforeEach
    void setUp() throws IOException {
        outside = Files.createDirectories(tmp.resolve("outside/sub")).getParent();
        Files.writeString(outside.resolve("secret"), "s");
        Path lower = Files.createDirectories(tmp.resolve("lower/d"));
        Files.createSymbolicLink(lower.resolve("abs"), outside);
        Files.createSymbolicLink(lower.resolve("rel"), Path.of("../../outside"));
        Files.createSymbolicLink(lower.resolve("etc"), Path.of("/etc"));
        Files.createDirectories(tmp.resolve("lower/p"));
        Files.writeString(tmp.resolve("lower/p/f"), "lower p/f");
        Path upper = Files.createDirectories(tmp.resolve("upper"));
        Files.createSymbolicLink(upper.resolve("p"), outside);
        Path work = Files.createDirectories(tmp.resolve("work"));
        before = state(outside);
        fs = OverlayFs.open(StackConfig.builder().lower(tmp.resolve("lower")).upper(upper, work).build());
    }

    @AfterEach
    void tearDown() {
        if (fs != null) fs.close();
    }

    private static Map<String, String> state(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                m.put(dir.relativize(p).toString(),
                        Files.readAttributes(p, "unix:uid,gid,mode,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS).toString());
            }
        }
        return m;
    }

    @FunctionalInterface
    interface Op {
        void run(String base) throws IOException;
    }

    /** Every operation the mount forwards, aimed below the link. */
    private List<Map.Entry<String, Op>> ops() {
        return List.of(
                Map.entry("getattr", b -> fs.getattr(b + "/secret")),
                Map.entry("readdir", b -> fs.readdir(b)),
                Map.entry("readdir-sub", b -> fs.readdir(b + "/sub")),
                Map.entry("open", b -> fs.open(b + "/secret", NativeOs.OpenFlags.O_RDONLY, ROOT).close()),
                Map.entry("open-rw", b -> fs.open(b + "/secret", NativeOs.OpenFlags.O_RDWR, ROOT).close()),
                Map.entry("create", b -> fs.create(b + "/new", NativeOs.OpenFlags.O_WRONLY | NativeOs.OpenFlags.O_CREAT, 0644, ROOT).close()),
                Map.entry("mkdir", b -> fs.mkdir(b + "/newdir", 0755, ROOT)),
                Map.entry("symlink", b -> fs.symlink("/x", b + "/newlink", ROOT)),
                Map.entry("mknod", b -> fs.mknod(b + "/fifo", 0010644, 0, ROOT)),
                Map.entry("unlink", b -> fs.unlink(b + "/secret")),
                Map.entry("rmdir", b -> fs.rmdir(b + "/sub")),
                Map.entry("rename-from", b -> fs.rename(b + "/secret", "/stolen", 0)),
                Map.entry("rename-to", b -> fs.rename("/d/etc", b + "/moved", 0)),
                Map.entry("link", b -> fs.link(b + "/secret", "/hardlink")),
                Map.entry("chmod", b -> fs.chmod(b + "/secret", 0777)),
                Map.entry("chown", b -> fs.chown(b + "/secret", 65534, 65534)),
                Map.entry("utimens", b -> fs.utimens(b + "/secret", new SetTime(1, 0), new SetTime(1, 0))),
                Map.entry("truncate", b -> fs.truncate(b + "/secret", 0)),
                Map.entry("setxattr", b -> fs.setxattr(b + "/secret", "user.x", new byte[] {1}, 0)),
                Map.entry("getxattr", b -> fs.getxattr(b + "/secret", "user.x")),
                Map.entry("listxattr", b -> fs.listxattr(b + "/secret")),
                Map.entry("access", b -> fs.access(b + "/secret", 0, ROOT)));
    }

    @Test
    void pathsThroughLayerSymlinksFailAndLeaveTheHostAlone() throws Exception {
        for (String base : List.of("/d/abs", "/d/rel", "/p")) {
            for (Map.Entry<String, Op> op : ops()) {
                try {
                    op.getValue().run(base);
                    fail(op.getKey() + " through " + base + " succeeded");
                } catch (FsException expected) {
                    // ENOTDIR / ENOENT: the link is not a directory of the stack
                }
            }
        }
        assertEquals(before, state(outside), "the host directory behind the links changed");
        assertThrows(FsException.class, () -> fs.getattr("/d/etc/passwd"));
        assertThrows(FsException.class, () -> fs.readdir("/d/etc"));
    }

    @Test
    void theLinksThemselvesStayLinksAndTheirCopyUpDoesNotFollowThem() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.stratafs.core.nat.Natives.get().geteuid() == 0, "chown needs root");
        assertEquals(0120000, fs.getattr("/d/abs").type(), "lstat semantics");
        assertEquals(0120000, fs.getattr("/p").type(), "the upper link hides the lower directory");
        assertEquals(outside.toString(), fs.readlink("/p"));
        fs.chown("/d/abs", 65534, 65534);
        fs.utimens("/d/rel", new SetTime(1, 0), new SetTime(1, 0));
        Path up = tmp.resolve("upper/d/abs");
        assertTrue(Files.isSymbolicLink(up), "copy-up made a link");
        assertEquals(65534, Files.getAttribute(up, "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(outside.toString(), Files.readSymbolicLink(up).toString());
        fs.unlink("/d/abs");
        fs.rename("/d/rel", "/d/rel2", 0);
        assertEquals("../../outside", fs.readlink("/d/rel2"));
        assertEquals(before, state(outside), "the host directory behind the links changed");
    }

    @Test
    void dotAndDotDotComponentsAreRejectedNotResolved() throws Exception {
        for (String p : List.of("/d/../../outside/secret", "/../outside", "/d/./abs", "/d/abs/../../../etc/passwd")) {
            assertThrows(FsException.class, () -> fs.getattr(p), p);
            assertThrows(FsException.class, () -> fs.create(p, NativeOs.OpenFlags.O_WRONLY | NativeOs.OpenFlags.O_CREAT, 0644, ROOT), p);
        }
        assertEquals(before, state(outside));
        byte[] s = Files.readAllBytes(outside.resolve("secret"));
        assertEquals("s", new String(s, StandardCharsets.UTF_8));
    }
}
