package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * scripts/stratafs, the launcher users and podman run, on the packaged jars (failsafe runs after
 * `package`, so fuse-mount/target holds the jar and target/lib).
 *
 * <pre>
 *   tmp/lower/  f "lower"        tmp/mnt/  the mountpoint        tmp/log  the daemon's log
 * </pre>
 */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("..", "scripts", "stratafs").toAbsolutePath().normalize();
    private static final Path TARGET = Path.of("target").toAbsolutePath();

    private Path tmp;
    private Path mnt;

    @BeforeEach
    void requirePackagedBuild() throws IOException {
        assumeTrue(Files.isExecutable(LAUNCHER), "no launcher at " + LAUNCHER);
        try (Stream<Path> jars = Files.list(TARGET)) {
            assumeTrue(jars.anyMatch(p -> p.getFileName().toString().matches("fuse-mount-.*\\.jar")), "not packaged");
        }
        assumeTrue(Files.isDirectory(TARGET.resolve("lib")), "no target/lib");
        tmp = Files.createTempDirectory(Path.of("/tmp"), "stratafs-launcher-it-");
        Files.createDirectories(tmp.resolve("lower"));
        Files.writeString(tmp.resolve("lower/f"), "lower");
        mnt = Files.createDirectories(tmp.resolve("mnt"));
    }

    @AfterEach
    void unmount() throws Exception {
        if (tmp == null) {
            return;
        }
        if (!MountTable.at(mnt).isEmpty()) {
            run(List.of("fusermount", "-u", "-z", mnt.toString()), Map.of());
        }
        try (Stream<Path> walk = Files.walk(tmp)) {
            walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void launcherPrintsTheVersion() throws Exception {
        Process p = new ProcessBuilder(LAUNCHER.toString(), "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals("stratafs version " + HelpText.VERSION + "\n", out);
    }

    @Test
    void launcherMountIsLiveOnExitFromAnyDirectoryAndLeavesATrainedArchive() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/fuse")) && Identity.isRoot(), "needs /dev/fuse and root");
        // From another working directory, as podman runs it (cwd = its overlay dir).
        long start = System.nanoTime();
        runInTmp(LAUNCHER.toString(), "-o", "lowerdir=lower,log=" + tmp.resolve("log"), "mnt");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(MountTable.isFuseMountedAt(mnt), "not mounted right after exit 0");
        assertEquals("lower", Files.readString(mnt.resolve("f")));
        // The first run after a build trains the AppCDS archive (or records why it could not).
        assertTrue(Files.exists(TARGET.resolve("stratafs.jsa")) || Files.exists(TARGET.resolve("stratafs.jsa.failed")));
        System.out.println("LauncherIT: command to live mount took " + ms + " ms (may include CDS training)");
        assertEquals(0, run(List.of("fusermount", "-u", mnt.toString()), Map.of()));
    }

    @Test
    void inAUserNamespaceTheKernelRefusesPassthroughAndTheDaemonServesTheFiles() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/fuse")) && Identity.isRoot(), "needs /dev/fuse and root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/unshare")), "needs unshare(1)");
        // tmp/upper, tmp/work: a writable stack; the mount lives in a mount namespace of its own,
        // unmounted by the shell's trap, so the daemon ends with it.
        Files.createDirectories(tmp.resolve("upper"));
        Files.createDirectories(tmp.resolve("work"));
        Path log = tmp.resolve("log");
        String script = "\"$0\" -o lowerdir=lower,upperdir=upper,workdir=work,log=" + log + " mnt || exit 3; "
                + "trap 'umount mnt' EXIT; printf new > mnt/b && cat mnt/b && printf +x >> mnt/f && cat mnt/f";
        String out = runInTmp("unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, LAUNCHER.toString());
        assertEquals("newlower+x", out);
        assertEquals("new", Files.readString(tmp.resolve("upper/b")));
        assertEquals("lower+x", Files.readString(tmp.resolve("upper/f")));
        // CAP_SYS_ADMIN of a user namespace is not enough for a backing file (fs/fuse/backing.c).
        String logged = Files.readString(log);
        assertTrue(logged.contains("passthrough off") && logged.contains("EPERM"), logged);
    }

    /** Runs {@code cmd} in tmp with no input, as podman runs the launcher (cwd = its overlay dir); its output, once it exited 0. */
    private String runInTmp(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd)
                .directory(tmp.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static int run(List<String> cmd, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        Process p = pb.start();
        return p.waitFor(20, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
