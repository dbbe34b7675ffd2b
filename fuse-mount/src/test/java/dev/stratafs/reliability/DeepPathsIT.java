package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.FuseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Paths below the mount that, joined to the layer root, pass PATH_MAX (pjdfstest {@code *}/03.t):
 * the same shell script runs on a kernel overlay and on stratafs over identical stacks whose
 * roots sit under a 200-byte directory name, and both must print the same and leave the same
 * upper tree. The script reaches deep names by {@code cd} (no string it passes is long) and
 * also passes a 4095-byte relative path, the longest a syscall takes.
 *
 * <pre>
 * BASE/ x*200 / {kernel,stratafs}/
 *   lower0/ N/N/.../N (12 levels, N = 255 x 'd') / base.txt "lower0", other.txt "o"
 *   lower1/ N/.../N (6 levels) / mid.txt "lower1"   (so the chain is merged)
 *   upper/ work/ mnt/
 * </pre>
 */
class DeepPathsIT {
    private static final String N = "d".repeat(255);
    private static final String SCRIPT = String.join("\n",
            "set -uP", // -P: cd passes the name itself to chdir(2), not a long logical path
            "n=$(printf 'd%.0s' $(seq 255)); f=$(printf 'f%.0s' $(seq 255))",
            "say() { printf '%s\\n' \"$*\"; }",
            // One line per step: the command's output, or the strerror text of its failure.
            "try() { if out=$(\"$@\" 2>&1); then say \"ok $1: $out\"; else say \"err $1: ${out##*: }\"; fi; }",
            "cd \"$1\" || exit 99",
            // pjdfstest */03.t: a relative path of exactly 4095 bytes works, 4096 does not.
            "p=; for i in $(seq 15); do p+=\"$n/\"; done",
            "try mkdir -p \"$p\"",
            "try touch \"$p$f\"; try stat -c '%s %a %F' \"$p$f\"; try rm \"$p$f\"",
            "try mkdir \"$p$f\"; try rmdir \"$p$f\"",
            "try touch \"$p${f}x\"",
            "for i in $(seq 12); do cd \"$n\" || exit 98; done",
            "try cat base.txt; try stat -c '%s %a %h %F' base.txt",
            "echo more >> base.txt; try cat base.txt",
            "for i in $(seq 4); do mkdir -p \"$n\"; cd \"$n\" || exit 97; done",
            "echo hi > f; try chmod 600 f; try chown 12:34 f; try ln f g; try mv g h",
            "try ln -s f s; try readlink s; try mkfifo p; try mknod c c 1 3",
            "try setfattr -n user.k -v v f; try getfattr -n user.k --only-values f",
            "try truncate -s 1 f; try touch -h -d @100 f",
            "try stat -c '%n %s %a %u %g %h %F' f h s p c; try stat -c '%n %Y' f h",
            "try rm h; try mkdir e; try rmdir e; try ls -1",
            "cd ../../../..",
            "try rm base.txt other.txt; try ls -1a; try stat base.txt",
            "cd \"$1\"; for i in $(seq 6); do cd \"$n\"; done; try cat mid.txt; try rm mid.txt; try ls -1a");

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
        Path deep0 = root.resolve("lower0");
        for (int i = 0; i < 12; i++) deep0 = deep0.resolve(N);
        Files.createDirectories(deep0);
        Files.writeString(deep0.resolve("base.txt"), "lower0");
        Files.writeString(deep0.resolve("other.txt"), "o");
        Path deep1 = root.resolve("lower1");
        for (int i = 0; i < 6; i++) deep1 = deep1.resolve(N);
        Files.createDirectories(deep1);
        Files.writeString(deep1.resolve("mid.txt"), "lower1");
    }

    @Test
    void deepPathsBehaveAsOnTheKernelOverlay() throws Exception {
        pair = KernelPair.mount("stratafs-deep", "x".repeat(200), 2, DeepPathsIT::layers,
                FuseOptions.builder().timeoutSeconds(0).build());

        String expected = KernelPair.run(SCRIPT, pair.kernelMnt());
        String actual = KernelPair.run(SCRIPT, pair.stratafsMnt());
        // The script did reach every step (a broken cd would end it early on both sides).
        assertTrue(expected.contains("ok ls: e") || expected.contains("ok ls: c"), expected);
        assertEquals(expected, actual);
        pair.assertSameUpperTrees();
    }

}
