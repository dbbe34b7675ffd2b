package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.MountedStack;
import dev.stratafs.fuse.Sh;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers that try to reach the host: symlinks pointing outside, symlinks standing where a
 * higher layer has a directory, over-long names, files that vanish behind the mount's back.
 * The filesystem never follows a link inside a layer, so nothing outside is shown or changed.
 *
 * <pre>
 * outside/secret "s"                      (a host directory the layers point at)
 * lower0/d/a -> /etc                      lower1/x -> OUTSIDE (absolute)
 * lower0/d/b -> ../../..                  lower1/d/lower1.txt
 * lower0/d/o -> OUTSIDE (absolute)
 * lower0/d/r -> ../../outside
 * lower0/x/inner.txt                      (x is a directory here, a symlink below)
 * lower0/gone.txt, lower0/gonedir/f       (removed out of band while mounted)
 * upper/d/u.txt                           (so d is merged from upper and both lowers)
 * </pre>
 */
class HostileLayersIT {
    @TempDir
    Path tmp;
    MountedStack stack;
    Path mnt;
    Path outside;
    Map<String, String> outsideBefore;

    @BeforeEach
    void setUp() throws Exception {
        Host.assumeRootAndFuse();
        outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "s");
        stack = MountedStack.create(tmp.resolve("stack"), 2);
        Path l0 = stack.lower(0);
        Path l1 = stack.lower(1);
        Files.createDirectories(l0.resolve("d"));
        Files.createSymbolicLink(l0.resolve("d/a"), Path.of("/etc"));
        Files.createSymbolicLink(l0.resolve("d/b"), Path.of("../../.."));
        Files.createSymbolicLink(l0.resolve("d/o"), outside);
        Files.createSymbolicLink(l0.resolve("d/r"), Path.of("../../outside"));
        Files.createDirectories(l0.resolve("x"));
        Files.writeString(l0.resolve("x/inner.txt"), "inner");
        Files.writeString(l0.resolve("gone.txt"), "gone");
        Files.createDirectories(l0.resolve("gonedir"));
        Files.writeString(l0.resolve("gonedir/f"), "f");
        Files.createSymbolicLink(l1.resolve("x"), outside);
        Files.createDirectories(l1.resolve("d"));
        Files.writeString(l1.resolve("d/lower1.txt"), "l1");
        Files.createDirectories(stack.upper().resolve("d"));
        Files.writeString(stack.upper().resolve("d/u.txt"), "u");
        outsideBefore = state(outside);
        stack.mount();
        mnt = stack.mnt();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (stack == null) return; // skipped
        stack.close();
    }

    /** Listing plus owner/mode/mtime of a directory and its entries. */
    private static Map<String, String> state(Path dir) throws Exception {
        Map<String, String> m = Trees.snapshot(dir);
        try (Stream<Path> s = Stream.concat(Stream.of(dir), Files.list(dir))) {
            for (Path p : (Iterable<Path>) s::iterator) {
                m.put("@" + p.getFileName(), Files.readAttributes(p, "unix:uid,gid,mode,lastModifiedTime", LinkOption.NOFOLLOW_LINKS).toString());
            }
        }
        return m;
    }

    private String sh(String script) throws Exception {
        return Sh2.sh(60, script).out();
    }

    @Test
    void symlinksPointingOutsideAreShownAsLinksNeverAsTheHostTree() throws Exception {
        assertEquals(List.of("a", "b", "lower1.txt", "o", "r", "u.txt"), Trees.names(mnt.resolve("d")));
        assertEquals("/etc", Files.readSymbolicLink(mnt.resolve("d/a")).toString());
        assertEquals("../../..", Files.readSymbolicLink(mnt.resolve("d/b")).toString());
        assertEquals("../../outside", Files.readSymbolicLink(mnt.resolve("d/r")).toString());
        // find does not follow links: a layer that followed them would show /etc or / here
        String found = sh("find " + mnt + " | sort");
        assertFalse(found.contains("passwd") || found.contains("secret"), found);
        assertEquals(13, found.trim().split("\n").length, found);
        // a directory above a symlink hides it; the symlink's target is not merged in
        assertEquals(List.of("inner.txt"), Trees.names(mnt.resolve("x")));
        assertTrue(Files.isDirectory(mnt.resolve("x"), LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void changesToOutsidePointingSymlinksTouchOnlyTheLinks() throws Exception {
        Sh2.run(30, "chown", "-h", "65534:65534", mnt.resolve("d/o").toString()).requireOk();
        Sh2.run(30, "touch", "-h", "-d", "@1000000000", mnt.resolve("d/r").toString()).requireOk();
        Sh2.run(30, "setfattr", "-h", "-n", "trusted.x", "-v", "1", mnt.resolve("d/o").toString());
        Sh2.run(30, "rm", mnt.resolve("d/a").toString()).requireOk();
        // copy-up of x/ and a rename of the merged d/ (its tree copied up) must not walk into the links
        Files.writeString(mnt.resolve("x/inner.txt"), "changed");
        Sh2.run(60, "mv", mnt.resolve("d").toString(), mnt.resolve("d2").toString()).requireOk();

        assertEquals(outsideBefore, state(outside), "the host directory behind the links changed");
        assertEquals(65534, Files.getAttribute(stack.upper().resolve("d2/o"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(outside.toString(), Files.readSymbolicLink(stack.upper().resolve("d2/o")).toString());
        assertEquals("../../..", Files.readSymbolicLink(stack.upper().resolve("d2/b")).toString());
        String upperTree = sh("find " + stack.upper() + " | sort");
        assertFalse(upperTree.contains("passwd") || upperTree.contains("secret") || upperTree.contains("hostname"), upperTree);
        assertEquals(List.of("b", "lower1.txt", "o", "r", "u.txt"), Trees.names(mnt.resolve("d2")));
        assertEquals("/etc", Files.readSymbolicLink(stack.lower(0).resolve("d/a")).toString(), "lower changed");
    }

    @Test
    void namesOf255BytesWorkAnd256FailWithEnametoolong() throws Exception {
        String n255 = "n".repeat(255);
        String n256 = "n".repeat(256);
        Sh2.run(30, "touch", mnt.resolve(n255).toString()).requireOk();
        assertTrue(Files.exists(stack.upper().resolve(n255)));
        Sh2.run(30, "mkdir", mnt.resolve("d").resolve("é".repeat(127)).toString()).requireOk(); // 254 bytes
        for (String cmd : List.of("touch", "mkdir", "stat")) {
            Sh.Result r = Sh2.run(30, cmd, mnt.resolve(n256).toString());
            assertNotEquals(0, r.exit(), cmd);
            assertTrue(r.err().contains("File name too long"), cmd + ": " + r.err());
        }
        Sh.Result mv = Sh2.run(30, "mv", mnt.resolve(n255).toString(), mnt.resolve(n256).toString());
        assertTrue(mv.err().contains("File name too long"), mv.err());
        assertEquals(0, stack.session().unexpectedFailures());
    }

    @Test
    void lowerFilesRemovedOutOfBandGiveErrnosNotHangs() throws Exception {
        try (InputStream open = Files.newInputStream(mnt.resolve("gone.txt"))) {
            Files.delete(stack.lower(0).resolve("gone.txt"));
            Sh2.sh(60, "rm -rf " + stack.lower(0).resolve("gonedir"));
            // the open file still reads (its inode lives while open) or fails; it must not hang
            try {
                open.readAllBytes();
            } catch (java.io.IOException acceptable) {
                // an errno is fine
            }
        }
        for (String p : List.of("gone.txt", "gonedir", "gonedir/f")) {
            Sh.Result st = Sh2.run(30, "stat", mnt.resolve(p).toString());
            assertTrue(st.err().contains("No such file or directory"), p + ": " + st.err());
            Sh.Result cat = Sh2.run(30, "cat", mnt.resolve(p).toString());
            assertNotEquals(0, cat.exit(), p);
        }
        Sh.Result append = Sh2.sh(30, "echo x >> " + mnt.resolve("gone.txt"));
        assertEquals(0, append.exit(), "a removed name may be created again: " + append.err());
        assertEquals("x\n", Files.readString(mnt.resolve("gone.txt")));
        // a lower file replaced by a directory behind the mount's back
        Files.delete(stack.lower(0).resolve("x/inner.txt"));
        Files.createDirectory(stack.lower(0).resolve("x/inner.txt"));
        assertTrue(Files.isDirectory(mnt.resolve("x/inner.txt")));
        assertEquals(List.of("a", "b", "lower1.txt", "o", "r", "u.txt"), Trees.names(mnt.resolve("d")), "mount stopped serving");
        assertEquals(0, stack.session().unexpectedFailures(), "an out-of-band change answered EIO as a bug");
    }
}
