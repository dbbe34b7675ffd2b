package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Set-ID bits after truncating opens, writes and truncates by users with and without
 * CAP_FSETID: one script runs on a kernel overlay and on stratafs over identical stacks, and
 * both must print the same modes and leave the same upper. With atomic_o_trunc the FUSE kernel
 * leaves open(O_TRUNC) to the filesystem and drops the mode change it would otherwise send, so
 * this is the filesystem's own rule (fuse-overlayfs 1.10 keeps the bits in four of these rows).
 *
 * <pre>
 * BASE/{kernel,stratafs}/
 *   lower0/low      root 06777 "lower"   (copied up by a truncating open)
 *   upper/ work/ mnt/                    (the script makes the rest through the mount)
 * </pre>
 */
class SetIdTruncationIT {
    private static final String SCRIPT = String.join("\n",
            "set -u",
            "cd \"$1\" || exit 99",
            "nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups \"$@\"; }",
            "show() { stat -c \"$2 %n %a\" \"$1\"; }",
            "for f in trunc_open truncate append root_open ns_root_open g_other g_own g_supp; do echo x > $f; done",
            "chmod 6777 trunc_open truncate append root_open ns_root_open; chmod 2767 g_other g_own g_supp; chgrp 65534 g_own",
            "chmod 2767 g_own",
            "nobody sh -c ': > trunc_open'; show trunc_open 'open(O_TRUNC) by nobody'",
            "nobody truncate -s 0 truncate; show truncate 'truncate(2) by nobody'",
            "nobody sh -c 'echo y >> append'; show append 'write by nobody'",
            ": > root_open; show root_open 'open(O_TRUNC) by root'",
            "unshare -U -r sh -c ': > ns_root_open'; show ns_root_open 'open(O_TRUNC) by a user namespace root'",
            "nobody sh -c ': > g_other'; show g_other 'S_ISGID without g+x, other group'",
            "nobody sh -c ': > g_own'; show g_own 'S_ISGID without g+x, own group'",
            "setpriv --reuid=65534 --regid=65534 --groups=0 sh -c ': > g_supp'; show g_supp 'S_ISGID without g+x, supplementary group'",
            "nobody sh -c ': > low'; show low 'open(O_TRUNC) of a lower file by nobody'");

    private KernelPair pair;

    @BeforeEach
    void setUp() {
        Host.assumeRootAndFuse();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (pair != null) pair.close();
    }

    private static void layers(Path root) throws Exception {
        Files.writeString(root.resolve("lower0/low"), "lower");
        Sh.run("chmod", "6777", root.resolve("lower0/low").toString()).requireOk();
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Test
    void setIdBitsFollowTheKernelOverlayRules() throws Exception {
        pair = KernelPair.mount("stratafs-setid", "", 1, SetIdTruncationIT::layers,
                FuseOptions.builder().allowOther(true).defaultPermissions(true).build());

        String expected = KernelPair.run(SCRIPT, pair.kernelMnt());
        String actual = KernelPair.run(SCRIPT, pair.stratafsMnt());
        // The reference itself: the rows this test exists for, as fs/attr.c decides them.
        assertTrue(expected.contains("open(O_TRUNC) by nobody trunc_open 777\n"), expected);
        assertTrue(expected.contains("open(O_TRUNC) by root root_open 6777\n"), expected);
        assertTrue(expected.contains("S_ISGID without g+x, own group g_own 2767\n"), expected);
        assertEquals(expected, actual);
        pair.assertSameUpperTrees();
    }

}
