package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code stratafs} command as a container engine sees it: a separate JVM started with this
 * test's class path. Needs /dev/fuse and root (or fusermount); mounts live under /tmp.
 *
 * <pre>
 *   tmp/top/   a.txt "top"             tmp/upper/  (empty)      tmp/mnt/  the mountpoint
 *   tmp/base/  a.txt "base", b.txt "b" tmp/work/   (empty)      tmp/log   the daemon's log
 * </pre>
 */
class StratafsCommandIT {
    private static final long EXIT_TIMEOUT_S = 60;

    private Path tmp;
    private Path mnt;
    private Path log;
    private String lowers;

    @BeforeEach
    void makeLayers() throws IOException {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "stratafs-cli-it-");
        for (String d : new String[] {"top", "base", "upper", "work", "mnt"}) {
            Files.createDirectories(tmp.resolve(d));
        }
        Files.writeString(tmp.resolve("top/a.txt"), "top");
        Files.writeString(tmp.resolve("base/a.txt"), "base");
        Files.writeString(tmp.resolve("base/b.txt"), "b");
        mnt = tmp.resolve("mnt");
        log = tmp.resolve("log");
        lowers = "lowerdir=" + tmp.resolve("top") + ":" + tmp.resolve("base");
    }

    @AfterEach
    void unmountAndStopOurDaemons() throws Exception {
        try {
            if (MountTable.at(mnt).size() > 0) {
                run(List.of("fusermount", "-u", "-z", mnt.toString()));
                if (MountTable.at(mnt).size() > 0) {
                    run(List.of("umount", "-l", mnt.toString()));
                }
            }
        } finally {
            for (long pid : daemonPids()) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            try (Stream<Path> walk = Files.walk(tmp)) {
                walk.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void versionPrintsTheVersionLineAndExitsZero() throws Exception {
        Result r = stratafs(List.of("--version"));
        assertEquals(0, r.exit);
        assertEquals("stratafs version " + HelpText.VERSION + "\n", r.stdout);
        assertEquals("", r.stderr);
    }

    @Test
    void daemonizedMountIsLiveWhenTheCommandReturnsAndTheDaemonExitsAfterFusermount() throws Exception {
        requireFuse();
        Result r = stratafs(List.of("-o", lowers + ",upperdir=" + tmp.resolve("upper") + ",workdir=" + tmp.resolve("work")
                + ",log=" + log, mnt.toString()));
        // Checked at once, without polling: podman trusts exit 0 to mean mounted.
        boolean mounted = MountTable.isFuseMountedAt(mnt);
        assertEquals(0, r.exit, r.stderr);
        assertTrue(mounted, "no FUSE mount on " + mnt + " right after exit 0");
        assertEquals("", r.stdout);
        assertEquals("top", Files.readString(mnt.resolve("a.txt")));
        assertEquals("b", Files.readString(mnt.resolve("b.txt")));

        List<Long> daemons = daemonPids();
        assertEquals(1, daemons.size(), "daemon processes: " + daemons);
        ProcessHandle daemon = ProcessHandle.of(daemons.get(0)).orElseThrow();

        assertEquals(0, run(List.of("fusermount", "-u", mnt.toString())));
        daemon.onExit().get(20, TimeUnit.SECONDS);
        assertFalse(daemon.isAlive());
        assertEquals(List.of(), MountTable.at(mnt));
    }

    @Test
    void mountpointReachedThroughASymlinkIsCheckedAtItsRealPath() throws Exception {
        requireFuse();
        Path link = Files.createSymbolicLink(tmp.resolve("link"), mnt);
        Result r = stratafs(List.of("-o", lowers + ",log=" + log, link.toString()));
        assertEquals(0, r.exit, r.stderr);
        assertTrue(MountTable.isFuseMountedAt(mnt));
    }

    @Test
    void callersStderrReachesEofWhenTheCommandExits() throws Exception {
        requireFuse();
        // podman reads the mount program's stderr until EOF: the daemon must not inherit it.
        // stratafs() only returns once both streams hit EOF, so a daemon holding them would
        // make it time out.
        Result r = stratafs(List.of("-o", lowers + ",log=" + log, mnt.toString()));
        assertEquals(0, r.exit, r.stderr);
        assertTrue(MountTable.isFuseMountedAt(mnt));
    }

    @Test
    void missingLowerdirFailsWithAClearMessageAndMountsNothing() throws Exception {
        Result r = stratafs(List.of("-o", "upperdir=" + tmp.resolve("upper") + ",workdir=" + tmp.resolve("work"), mnt.toString()));
        assertEquals(1, r.exit);
        assertEquals("stratafs: missing lowerdir= option: at least one lower layer is required\n", r.stderr);
        assertEquals(List.of(), MountTable.at(mnt));
        assertEquals(List.of(), daemonPids());
    }

    @Test
    void badNumberFailsWithAClearMessage() throws Exception {
        Result r = stratafs(List.of("-o", lowers + ",timeout=soon", mnt.toString()));
        assertEquals(1, r.exit);
        assertEquals("stratafs: bad value for timeout: 'soon' (expected seconds >= 0, e.g. 1.5)\n", r.stderr);
        assertEquals(List.of(), MountTable.at(mnt));
    }

    @Test
    void missingLowerLayerIsReportedByTheDaemonAndNothingStaysMountedOrRunning() throws Exception {
        requireFuse();
        Result r = stratafs(List.of("-o", "lowerdir=" + tmp.resolve("no-such-layer") + ",log=" + log, mnt.toString()));
        assertEquals(1, r.exit);
        assertTrue(r.stderr.startsWith("stratafs: "), r.stderr);
        assertTrue(r.stderr.contains("no-such-layer"), "the reason names the layer: " + r.stderr);
        assertEquals(List.of(), MountTable.at(mnt));
        assertEquals(List.of(), daemonPids());
    }

    @Test
    void mountpointThatIsNotADirectoryFails() throws Exception {
        Result r = stratafs(List.of("-o", lowers, tmp.resolve("nowhere").toString()));
        assertEquals(1, r.exit);
        assertEquals("stratafs: mountpoint " + tmp.resolve("nowhere") + " is not a directory\n", r.stderr);
    }

    @Test
    void foregroundMountUnmountsAndExitsZeroOnSigterm() throws Exception {
        requireFuse();
        Process p = new ProcessBuilder(command(List.of("-f", "-o", lowers + ",log=" + log, mnt.toString())))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(EXIT_TIMEOUT_S);
            while (!MountTable.isFuseMountedAt(mnt) && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(MountTable.isFuseMountedAt(mnt), "foreground mount did not come up");
            assertEquals("b", Files.readString(mnt.resolve("b.txt")));
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "did not exit after SIGTERM");
            assertEquals(0, p.exitValue());
            assertEquals(List.of(), MountTable.at(mnt));
        } finally {
            p.destroyForcibly();
        }
    }

    // --- helpers ---

    private record Result(int exit, String stdout, String stderr) {}

    private static void requireFuse() {
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "needs /dev/fuse");
        assumeTrue(Identity.isRoot() || Files.isExecutable(Path.of("/usr/bin/fusermount")), "needs root or fusermount");
    }

    /** This JVM's java, this test's class path: no dependency on `mvn package`. */
    private List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        return cmd;
    }

    /** Runs stratafs with stdin from /dev/null and piped stdout/stderr read to EOF, as podman does. */
    private Result stratafs(List<String> args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command(args)).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("STRATAFS_LOG", log.toString());
        Process p = pb.start();
        CompletableFuture<String> out = readAll(p.getInputStream());
        CompletableFuture<String> err = readAll(p.getErrorStream());
        try {
            assertTrue(p.waitFor(EXIT_TIMEOUT_S, TimeUnit.SECONDS), "stratafs did not exit");
            return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } finally {
            p.destroyForcibly();
        }
    }

    private static CompletableFuture<String> readAll(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static int run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(20, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }

    /** Daemons serving this test's mountpoint: JVMs whose command line names our unique temp dir. */
    private List<Long> daemonPids() {
        String ours = mnt.toString();
        List<Long> pids = new ArrayList<>();
        ProcessHandle.allProcesses().forEach(h -> {
            try {
                byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "cmdline"));
                List<String> words = Daemonizer.splitNul(raw);
                if (words.contains(ours) && words.contains(Main.class.getName()) && words.contains("-f") && h.pid() != ProcessHandle.current().pid()) {
                    pids.add(h.pid());
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        });
        return pids;
    }
}
