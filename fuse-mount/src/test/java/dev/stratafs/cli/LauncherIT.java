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

    @Test
    void daemonMountRunsInTheLaunchersOwnJvmDetachedWithStdioOnNullAndTheLog() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/fuse")) && Identity.isRoot(), "needs /dev/fuse and root");
        Path log = tmp.resolve("log");
        runInTmp(LAUNCHER.toString(), "-o", "lowerdir=lower,log=" + log, "mnt");
        long pid = daemonPid();
        // One JVM: the launcher started the daemon itself, not a parent JVM that adds -f for its child.
        assertTrue(!cmdline(pid).contains("-f"), cmdline(pid).toString());
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        assertEquals(Long.toString(pid), f[3], "session leader of its own session (setsid)");
        assertEquals(Path.of("/dev/null"), Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/0")));
        assertEquals(Path.of("/dev/null"), Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/1")));
        assertEquals(log, Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/2")));
        // The report FIFO (unlinked by then) is closed once READY is sent; fd 3 may hold another file since.
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                String target = Files.readSymbolicLink(fd).toString();
                assertTrue(!target.contains("stratafs-start."), fd + " -> " + target);
            }
        }
        assertEquals(0, run(List.of("fusermount", "-u", mnt.toString()), Map.of()));
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(20, TimeUnit.SECONDS).join());
    }

    @Test
    void daemonsFailureAfterDetachingReachesTheCallerAndNothingStaysMountedOrRunning() throws Exception {
        assumeTrue(Files.exists(Path.of("/dev/fuse")) && Identity.isRoot(), "needs /dev/fuse and root");
        Result r = launch(Map.of(), "-o", "lowerdir=" + tmp.resolve("no-such-layer") + ",log=" + tmp.resolve("log"), mnt.toString());
        assertEquals(1, r.exit, r.stderr);
        assertEquals("stratafs: cannot open the layers: lowerdir " + tmp.resolve("no-such-layer") + " does not exist\n", r.stderr);
        assertEquals(List.of(), MountTable.at(mnt));
        assertEquals(-1, daemonPid());
    }

    @Test
    void usageErrorIsPrintedByTheJvmBeforeItDetaches() throws Exception {
        Result r = launch(Map.of(), "-o", "lowerdir=lower,timeout=soon", mnt.toString());
        assertEquals(1, r.exit);
        assertEquals("stratafs: bad value for timeout: 'soon' (expected seconds >= 0, e.g. 1.5)\n", r.stderr);
        assertEquals("", r.stdout);
    }

    /**
     * Which words the launcher starts as a daemon itself and which it hands to the JVM as they
     * are, seen by a stand-in java that records whether it got the report pipe, then exits 0.
     */
    @Test
    void launcherDaemonizesExactlyTheDaemonMountsAndHandsEverythingElseToTheJvm() throws Exception {
        Map<List<String>, String> cases = new java.util.LinkedHashMap<>();
        cases.put(List.of("-o", "lowerdir=a", "mnt"), "daemon");
        cases.put(List.of("-olowerdir=a", "mnt"), "daemon");
        cases.put(List.of("-o", "-f", "mnt"), "daemon"); // -f is -o's argument here
        cases.put(List.of("-o", "lowerdir=a", "--", "-f"), "daemon"); // a mountpoint named -f
        cases.put(List.of("-f", "-o", "lowerdir=a", "mnt"), "jvm");
        cases.put(List.of("-fo", "lowerdir=a", "mnt"), "jvm");
        cases.put(List.of("-o", "lowerdir=a", "-d", "mnt"), "jvm");
        cases.put(List.of("--help"), "jvm");
        cases.put(List.of("-h"), "jvm");
        cases.put(List.of("--version"), "jvm");
        cases.put(List.of("-V"), "jvm");
        cases.put(List.of("image", "ls"), "jvm");
        cases.put(List.of("mount", "--image", "x", "mnt"), "jvm");
        cases.put(List.of(), "jvm");
        cases.put(List.of("-o"), "jvm");
        cases.put(List.of("-x", "mnt"), "jvm");
        cases.put(List.of("--bogus", "mnt"), "jvm");
        Path route = tmp.resolve("route");
        Path fake = fakeJava("[ -n \"$STRATAFS_INTERNAL_REPORT_FD\" ] && echo daemon > \"$ROUTE\" || echo jvm > \"$ROUTE\"\nexit 0\n");
        for (var c : cases.entrySet()) {
            Files.deleteIfExists(route);
            Result r = launch(Map.of("STRATAFS_JAVA", fake.toString(), "ROUTE", route.toString()), c.getKey().toArray(String[]::new));
            assertEquals(0, r.exit, c.getKey() + ": " + r.stderr);
            assertEquals(c.getValue(), Files.readString(route).strip(), c.getKey().toString());
        }
    }

    /** The stand-in detaches as the real daemon does (its stdout and stderr off the caller's pipes), then runs on. */
    @Test
    void launcherExitsOnReadyWithoutWaitingForTheDaemon() throws Exception {
        Path pidFile = tmp.resolve("pid");
        Path fake = fakeJava("echo $$ > \"$PIDFILE\"\necho 'LOG /x' >&3\necho READY >&3\nexec 3>&- >/dev/null 2>&1\nexec sleep 30\n");
        long start = System.nanoTime();
        Result r = launch(Map.of("STRATAFS_JAVA", fake.toString(), "PIDFILE", pidFile.toString()), "-o", "lowerdir=a", "mnt");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        try {
            assertEquals(0, r.exit, r.stderr);
            assertEquals("", r.stderr);
            assertTrue(ms < 20_000, "waited for the daemon: " + ms + " ms");
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the daemon runs on");
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void launcherPrintsTheDaemonsErrorReportAndExitsOne() throws Exception {
        Path fake = fakeJava("printf 'LOG /var/log/x\\nERROR\\ncannot open the layers\\nsecond line\\n' >&3\nexit 1\n");
        Result r = launch(Map.of("STRATAFS_JAVA", fake.toString()), "-o", "lowerdir=a", "mnt");
        assertEquals(1, r.exit);
        assertEquals("stratafs: cannot open the layers\nsecond line\n", r.stderr);
    }

    @Test
    void daemonThatDiesWithoutAReportGivesItsStatusAndLog() throws Exception {
        Path fake = fakeJava("echo 'LOG /var/log/x' >&3\nexit 7\n");
        Result r = launch(Map.of("STRATAFS_JAVA", fake.toString()), "-o", "lowerdir=a", "mnt");
        assertEquals(7, r.exit);
        assertEquals("stratafs: the mount daemon exited (status 7) before the mount was ready (daemon log: /var/log/x)\n", r.stderr);
    }

    @Test
    void startTimeoutThatIsNotANumberIsRefusedBeforeAnythingStarts() throws Exception {
        Path route = tmp.resolve("route");
        Path fake = fakeJava("echo started > \"$ROUTE\"\n");
        Result r = launch(Map.of("STRATAFS_JAVA", fake.toString(), "ROUTE", route.toString(), "STRATAFS_START_TIMEOUT", "soon"),
                "-o", "lowerdir=a", "mnt");
        assertEquals(1, r.exit);
        assertEquals("stratafs: STRATAFS_START_TIMEOUT must be a number of seconds, not 'soon'\n", r.stderr);
        assertTrue(!Files.exists(route), "no daemon was started");
    }

    @Test
    void daemonThatNeverReportsIsStoppedAfterTheStartTimeout() throws Exception {
        Path pidFile = tmp.resolve("pid");
        Path fake = fakeJava("echo $$ > \"$PIDFILE\"\nexec sleep 60\n");
        Result r = launch(Map.of("STRATAFS_JAVA", fake.toString(), "PIDFILE", pidFile.toString(), "STRATAFS_START_TIMEOUT", "1"),
                "-o", "lowerdir=a", "mnt");
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        try {
            assertEquals(1, r.exit);
            assertEquals("stratafs: the mount daemon did not report within 1 s; gave up\n", r.stderr);
            assertTrue(ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), "the daemon was stopped");
        } finally {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** A stand-in for java: a sh script with {@code body}, which the launcher runs as it would run java. */
    private Path fakeJava(String body) throws IOException {
        Path fake = tmp.resolve("fake-java");
        Files.writeString(fake, "#!/bin/sh\n" + body);
        fake.toFile().setExecutable(true);
        return fake;
    }

    private record Result(int exit, String stdout, String stderr) {}

    /** Runs the launcher in tmp without the AppCDS step (a stand-in java cannot train it); both streams to EOF. */
    private Result launch(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("STRATAFS_CDS", "0");
        pb.environment().putAll(env);
        Process p = pb.start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "launcher did not exit");
        return new Result(p.exitValue(), out, err.get(60, TimeUnit.SECONDS));
    }

    /** The pid of a stratafs JVM serving this test's mountpoint, or -1. */
    private long daemonPid() throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.matches("[0-9]+")) {
                    continue;
                }
                List<String> words = cmdline(Long.parseLong(name));
                if (words.contains(Main.class.getName()) && words.stream().anyMatch(w -> w.contains(tmp.toString()))) {
                    return Long.parseLong(name);
                }
            }
        }
        return -1;
    }

    private static List<String> cmdline(long pid) {
        try {
            return Daemonizer.splitNul(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")));
        } catch (IOException e) {
            return List.of();
        }
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
