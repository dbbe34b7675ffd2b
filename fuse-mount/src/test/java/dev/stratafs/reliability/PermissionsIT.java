package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.MountedStack;
import dev.stratafs.fuse.Sh;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root serving other users (allow_other, default_permissions: the kernel checks modes against
 * the attributes we report). Commands run as nobody (65534) through setpriv.
 *
 * <pre>
 * lower0/secret         root 0600 "secret"
 * lower0/t/             root 1777 (sticky, like /tmp)
 * lower0/t/rootfile     root 0666
 * lower0/t/suid         root 04777 "#!/bin/sh"
 * upper/, work/         empty
 * </pre>
 */
class PermissionsIT {
    static final int NOBODY = 65534;
    @TempDir
    Path tmp;
    MountedStack stack;
    Path mnt;

    @BeforeEach
    void setUp() throws Exception {
        Host.assumeRootAndFuse();
        // nobody must be able to walk down to the mountpoint
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        stack = MountedStack.create(tmp, 1);
        Path l = stack.lower(0);
        Files.writeString(l.resolve("secret"), "secret");
        Files.setPosixFilePermissions(l.resolve("secret"), PosixFilePermissions.fromString("rw-------"));
        Path t = Files.createDirectory(l.resolve("t"));
        Sh2.run(30, "chmod", "1777", t.toString()).requireOk();
        Files.writeString(t.resolve("rootfile"), "root");
        Files.setPosixFilePermissions(t.resolve("rootfile"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Files.writeString(t.resolve("suid"), "#!/bin/sh\n");
        Sh2.run(30, "chmod", "4777", t.resolve("suid").toString()).requireOk();
        stack.mount(FuseOptions.builder().timeoutSeconds(0).allowOther(true).defaultPermissions(true).build());
        mnt = stack.mnt();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (stack == null) return; // skipped
        stack.close();
    }

    private static Sh.Result asNobody(String script) throws Exception {
        return Sh2.run(30, "setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "sh", "-c", script);
    }

    private static int mode(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void nobodyCannotReadARootOnly0600File() throws Exception {
        Sh.Result r = asNobody("cat " + mnt.resolve("secret"));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("Permission denied"), r.err());
        assertFalse(r.out().contains("secret"));
        assertEquals("secret", Files.readString(mnt.resolve("secret")), "root still reads it");
    }

    @Test
    void nobodyCannotDeleteOrRenameWhatItDoesNotOwnInAStickyDirectory() throws Exception {
        Sh.Result rm = asNobody("rm -f " + mnt.resolve("t/rootfile"));
        assertNotEquals(0, rm.exit());
        assertTrue(rm.err().contains("Operation not permitted"), rm.err());
        Sh.Result mv = asNobody("mv " + mnt.resolve("t/rootfile") + " " + mnt.resolve("t/stolen"));
        assertNotEquals(0, mv.exit(), mv.err());
        assertEquals("root", Files.readString(mnt.resolve("t/rootfile")));
        assertFalse(Files.exists(stack.upper().resolve("t/rootfile")), "nothing copied up or whited out");
        // its own files there it may delete
        asNobody("echo mine > " + mnt.resolve("t/mine") + " && rm " + mnt.resolve("t/mine")).requireOk();
    }

    @Test
    void filesNobodyCreatesAreOwnedByNobody() throws Exception {
        asNobody("echo n > " + mnt.resolve("t/new") + " && mkdir " + mnt.resolve("t/newdir")
                + " && ln -s x " + mnt.resolve("t/newlink")).requireOk();
        for (String n : new String[] {"t/new", "t/newdir", "t/newlink"}) {
            assertEquals(NOBODY, Files.getAttribute(mnt.resolve(n), "unix:uid", LinkOption.NOFOLLOW_LINKS), n);
            assertEquals(NOBODY, Files.getAttribute(mnt.resolve(n), "unix:gid", LinkOption.NOFOLLOW_LINKS), n);
            assertEquals(NOBODY, Files.getAttribute(stack.upper().resolve(n), "unix:uid", LinkOption.NOFOLLOW_LINKS), n + " in the upper");
        }
        Sh.Result chown = asNobody("chown 0:0 " + mnt.resolve("t/new"));
        assertNotEquals(0, chown.exit(), "nobody gave a file away");
        assertEquals(NOBODY, Files.getAttribute(mnt.resolve("t/new"), "unix:uid"));
    }

    @Test
    void aSetuidFileWrittenByANonOwnerLosesSetuid() throws Exception {
        assertEquals(04777, mode(mnt.resolve("t/suid")) & 07777);
        asNobody("echo 'echo pwned' >> " + mnt.resolve("t/suid")).requireOk();
        assertEquals(0, mode(mnt.resolve("t/suid")) & 04000, "S_ISUID kept after a write by a non-owner");
        assertEquals(0, mode(stack.upper().resolve("t/suid")) & 04000, "S_ISUID kept in the upper");
        assertEquals(04777, mode(stack.lower(0).resolve("t/suid")) & 07777, "lower changed");
        assertEquals(0, (Integer) Files.getAttribute(mnt.resolve("t/suid"), "unix:uid"), "owner unchanged");
    }

    @Test
    void trustedAttributeNamesAreListedToRootOnly() throws Exception {
        // As the kernel overlay (ovl_can_list): the daemon reads them as root, the caller may not.
        Sh2.run(30, "setfattr", "-n", "trusted.mark", "-v", "1", stack.lower(0).resolve("t/rootfile").toString()).requireOk();
        Sh2.run(30, "setfattr", "-n", "user.mark", "-v", "1", stack.lower(0).resolve("t/rootfile").toString()).requireOk();
        String f = mnt.resolve("t/rootfile").toString();
        // Names only (no -d): getfattr prints what listxattr(2) answered.
        String asRoot = Sh2.run(30, "getfattr", "--absolute-names", "-m", "-", f).requireOk().out();
        assertTrue(asRoot.contains("trusted.mark") && asRoot.contains("user.mark"), asRoot);
        String asNobody = asNobody("getfattr --absolute-names -m - " + f).requireOk().out();
        assertTrue(asNobody.contains("user.mark"), asNobody);
        assertFalse(asNobody.contains("trusted.mark"), asNobody);
    }
}
