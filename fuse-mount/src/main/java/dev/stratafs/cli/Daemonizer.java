package dev.stratafs.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The parent half of daemon mode. A JVM cannot fork, so the parent starts the same command again
 * with -f: {@code sh -c 'setsid CMD <&- ... & echo $!'} runs it in a new session with stdin and
 * stdout on /dev/null and stderr appended to the log file, and prints its pid. The daemon must not
 * keep the caller's stdout or stderr open (podman reads the mount program's stderr until EOF),
 * and it must not be our direct child: the JVM's process reaper would sit in waitpid(2) and hold
 * up our exit by 300 ms (VM_Exit waits for threads in native code).
 *
 * <p>The daemon reports through a status file in a private temp dir ({@link DaemonChild}); the
 * parent exits 0 only after the report says READY and /proc/self/mountinfo shows a new FUSE mount
 * on the mountpoint, because engines trust a 0 exit to mean the mount is live and never poll.
 */
final class Daemonizer {
    /** Internal: the status file the daemon child reports to; its presence marks the child. */
    static final String STATUS_ENV = "STRATAFS_INTERNAL_STATUS_FILE";
    static final String LOG_ENV = "STRATAFS_INTERNAL_LOG";
    static final long START_TIMEOUT_MS = 15_000;
    private static final long POLL_MS = 3;

    /** Runs "$@" detached; sh's own stdout carries only the pid, then EOF. */
    private static final String SPAWN = "\"$@\" </dev/null >/dev/null 2>>\"$" + LOG_ENV + "\" & echo $!";

    private final Map<String, String> env;
    private final int uid;

    Daemonizer(Map<String, String> env, int uid) {
        this.env = env;
        this.uid = uid;
    }

    /** @param args the command line exactly as main received it */
    int run(String[] args, MountRequest req) throws CliException {
        MountRunner.requireMountPoint(req.mountPoint());
        Path mp;
        try {
            mp = req.mountPoint().toRealPath(); // mountinfo lists the resolved path
        } catch (IOException e) {
            throw new CliException("cannot resolve mountpoint " + req.mountPoint() + ": " + MountRunner.message(e), e);
        }
        Set<Long> before = MountTable.at(mp).stream().map(MountTable.Entry::id).collect(Collectors.toSet());
        Path log = LogSetup.writableDaemonLog(req.logFile(), env, uid, System.err);
        String logNote = log.equals(LogSetup.DISCARD) ? "" : " (daemon log: " + log + ")";
        Path dir = privateTempDir();
        try {
            Path status = dir.resolve("status");
            long logStart = size(log);
            long pid = spawn(childCommand(args), status, log);
            String report = awaitReport(status, pid);
            if (report == null) {
                stop(pid);
                cleanUp(mp, before);
                throw new CliException("the mount daemon did not report within " + START_TIMEOUT_MS / 1000 + " s; gave up" + logNote);
            }
            if (report.equals(DaemonChild.READY)) {
                if (newFuseMount(mp, before)) {
                    return 0;
                }
                stop(pid);
                cleanUp(mp, before);
                throw new CliException("the mount daemon reported success but " + mp + " is not a FUSE mount" + logNote);
            }
            // The daemon reported its failure and is exiting: wait for it, so that a failed
            // command leaves no process behind when it returns.
            awaitExit(pid);
            cleanUp(mp, before);
            if (report.startsWith(DaemonChild.ERROR + "\n")) {
                throw new CliException(report.substring(DaemonChild.ERROR.length() + 1).strip());
            }
            throw new CliException("the mount daemon exited before the mount was ready" + logNote + logTail(log, logStart));
        } finally {
            deleteQuietly(dir);
        }
    }

    private static void awaitExit(long pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            try {
                h.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                h.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException e) {
                // gone
            }
        });
    }

    /**
     * A fresh mode-0700 directory under java.io.tmpdir. Not Files.createTempDirectory: its
     * SecureRandom costs ~25 ms of start-up; mkdir(2) failing on an existing name is what
     * makes the name safe, the randomness only avoids collisions.
     */
    private static Path privateTempDir() throws CliException {
        Path base = Path.of(System.getProperty("java.io.tmpdir", "/tmp"));
        var perms = java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        IOException last = null;
        for (int attempt = 0; attempt < 20; attempt++) {
            String name = "stratafs-start-" + ProcessHandle.current().pid() + "-"
                    + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
            try {
                return Files.createDirectory(base.resolve(name), perms);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                last = e;
            } catch (IOException e) {
                last = e;
                break;
            }
        }
        throw new CliException("cannot create a temporary directory in " + base + ": " + MountRunner.message(last), last);
    }

    /** The daemon command: setsid (when installed) and this JVM's own command line with -f in front. */
    List<String> childCommand(String[] args) {
        List<String> cmd = new ArrayList<>();
        String setsid = findOnPath("setsid");
        if (setsid != null) {
            cmd.add(setsid); // not a group leader under sh: calls setsid(2) and execs, same pid
        }
        cmd.addAll(launchPrefix(args));
        cmd.add("-f");
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    /** The command that started this JVM (from /proc/self/cmdline, so JVM flags and class path are kept). */
    static List<String> launchPrefix(String[] args) {
        try {
            List<String> words = splitNul(Files.readAllBytes(Path.of("/proc/self/cmdline")));
            int n = words.size() - args.length;
            if (n > 0 && words.subList(n, words.size()).equals(Arrays.asList(args))) {
                return words.subList(0, n);
            }
            // A subcommand (mount --image, image bundle) that ends in a mount passes its own
            // arguments: keep the JVM part of the command line up to the main class.
            int main = words.indexOf(Main.class.getName());
            if (main > 0) {
                return words.subList(0, main + 1);
            }
        } catch (IOException e) {
            // fall through to the reconstructed command
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        return cmd;
    }

    static List<String> splitNul(byte[] raw) {
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                words.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < raw.length) {
            words.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
        }
        return words;
    }

    /** Starts the detached daemon and returns its pid. */
    private static long spawn(List<String> command, Path status, Path log) throws CliException {
        List<String> sh = new ArrayList<>(List.of("/bin/sh", "-c", SPAWN, "stratafs"));
        sh.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(sh).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put(STATUS_ENV, status.toString());
        pb.environment().put(LOG_ENV, log.toString());
        try {
            Process p = pb.start();
            String line;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
                line = r.readLine();
            }
            p.waitFor(5, TimeUnit.SECONDS);
            if (line == null || !line.strip().matches("[0-9]+")) {
                throw new CliException("cannot start the mount daemon (no pid from /bin/sh)");
            }
            return Long.parseLong(line.strip());
        } catch (IOException e) {
            throw new CliException("cannot start the mount daemon: " + MountRunner.message(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while starting the mount daemon");
        }
    }

    /** The daemon's report, "" if it died without one, or null on timeout. */
    private static String awaitReport(Path status, long pid) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
        while (System.nanoTime() < deadline) {
            String report = readReport(status);
            if (report != null) {
                return report;
            }
            if (!alive(pid)) {
                report = readReport(status); // it may have reported just before exiting
                return report != null ? report : "";
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    private static String readReport(Path status) {
        if (!Files.exists(status)) {
            return null; // the cheap check first: this runs every few milliseconds
        }
        try {
            return Files.readString(status, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null; // not there yet: the child renames it into place when complete
        }
    }

    /** Alive and not a zombie (an orphan's reaper may be slow): proc(5) /proc/PID/stat field 3. */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
            int close = stat.lastIndexOf(')');
            char state = close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean newFuseMount(Path mp, Set<Long> before) {
        return MountTable.top(mp).map(e -> e.isFuse() && !before.contains(e.id())).orElse(false);
    }

    /** Leaves nothing mounted that the daemon may have mounted: unmount our new mount, lazily. */
    private static void cleanUp(Path mp, Set<Long> before) {
        if (MountTable.top(mp).map(e -> !before.contains(e.id())).orElse(false)) {
            for (String[] cmd : new String[][] {
                    {"fusermount3", "-u", "-z", mp.toString()},
                    {"fusermount", "-u", "-z", mp.toString()},
                    {"umount", "-l", mp.toString()}}) {
                if (quietly(cmd) == 0) {
                    return;
                }
            }
        }
    }

    /** Stops the daemon we started: SIGTERM (it unmounts), then SIGKILL after 3 s. */
    private static void stop(long pid) {
        ProcessHandle.of(pid).ifPresent(h -> {
            h.destroy();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (alive(pid) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (alive(pid)) {
                h.destroyForcibly();
            }
        });
    }

    private static int quietly(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(5, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static long size(Path log) {
        try {
            return Files.isRegularFile(log) ? Files.size(log) : -1;
        } catch (IOException e) {
            return -1;
        }
    }

    /** What the daemon wrote to its log since {@code from} (JVM or libfuse errors), last lines only. */
    static String logTail(Path log, long from) {
        if (from < 0) {
            return "";
        }
        try (var ch = java.nio.channels.FileChannel.open(log, StandardOpenOption.READ)) {
            long start = Math.max(from, ch.size() - 4096);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) Math.max(0, ch.size() - start));
            ch.read(buf, start);
            List<String> lines = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) {
                return "";
            }
            return ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // a leftover empty temp dir is harmless
        }
    }

    private String findOnPath(String name) {
        String path = env.getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return p.toString();
                }
            }
        }
        return null;
    }
}
