package dev.stratafs.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * The parent half of daemon mode. A JVM cannot fork, so the parent starts the same command again
 * with -f, in a new session (setsid(1)), stdin from /dev/null and stderr into the log file: the
 * daemon must not keep the caller's stdout or stderr open, since podman reads the mount
 * program's stderr until EOF. The child's stdout is a pipe back to the parent that carries one
 * status report ({@link DaemonChild}); the parent exits 0 only after the report says READY and
 * /proc/self/mountinfo shows a new FUSE mount on the mountpoint, because engines trust a 0 exit to
 * mean the mount is live and never poll.
 */
final class Daemonizer {
    /** Internal: set in the child's environment; its value is the parent's pid, for the logs. */
    static final String CHILD_MARKER = "STRATAFS_INTERNAL_DAEMON_CHILD";
    static final long START_TIMEOUT_MS = 15_000;

    private final Map<String, String> env;
    private final int uid;

    Daemonizer(Map<String, String> env, int uid) {
        this.env = env;
        this.uid = uid;
    }

    /** @param args the command line exactly as main received it */
    int run(String[] args, MountRequest req) throws CliException {
        Path mp = req.mountPoint();
        if (!Files.isDirectory(mp)) {
            throw new CliException("mountpoint " + mp + " is not a directory");
        }
        Set<Long> before = MountTable.at(mp).stream().map(MountTable.Entry::id).collect(Collectors.toSet());
        List<String> command = childCommand(args);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.PIPE);
        Path log = LogSetup.daemonLogFile(req.logFile(), env, uid);
        String logNote = " (daemon log: " + log + ")";
        if (canAppend(log)) {
            pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        } else {
            pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            System.err.println("stratafs: warning: cannot write log file " + log + "; daemon output is discarded");
            logNote = "";
        }
        pb.environment().put(CHILD_MARKER, Long.toString(ProcessHandle.current().pid()));
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) {
            throw new CliException("cannot start the mount daemon: " + MountRunner.message(e), e);
        }
        List<String> report = awaitReport(child);
        if (report == null) {
            stop(child);
            cleanUp(mp, before);
            throw new CliException("the mount daemon did not report within " + START_TIMEOUT_MS / 1000 + " s; gave up" + logNote);
        }
        if (!report.isEmpty() && report.get(0).equals(DaemonChild.READY)) {
            if (newFuseMount(mp, before)) {
                return 0;
            }
            stop(child);
            cleanUp(mp, before);
            throw new CliException("the mount daemon reported success but " + mp + " is not a FUSE mount" + logNote);
        }
        cleanUp(mp, before);
        if (!report.isEmpty() && report.get(0).equals(DaemonChild.ERROR) && report.size() > 1) {
            throw new CliException(String.join("\n", report.subList(1, report.size())));
        }
        String status = exitStatus(child);
        throw new CliException("the mount daemon exited" + status + " before the mount was ready" + logNote);
    }

    /**
     * The command that started this JVM (from /proc/self/cmdline, so JVM flags and class path are
     * kept) with our own arguments replaced by {@code -f ARGS}, under setsid when available.
     */
    List<String> childCommand(String[] args) {
        List<String> cmd = new ArrayList<>();
        String setsid = findOnPath("setsid");
        if (setsid != null) {
            cmd.add(setsid);
        }
        cmd.addAll(launchPrefix(args));
        cmd.add("-f");
        cmd.addAll(Arrays.asList(args));
        return cmd;
    }

    static List<String> launchPrefix(String[] args) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            List<String> words = splitNul(raw);
            int n = words.size() - args.length;
            if (n > 0 && words.subList(n, words.size()).equals(Arrays.asList(args))) {
                return words.subList(0, n);
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

    /** The child's report lines, or null on timeout; EOF without a line gives an empty list. */
    private static List<String> awaitReport(Process child) {
        CompletableFuture<List<String>> report = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            List<String> lines = new ArrayList<>();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line = r.readLine();
                if (line != null) {
                    lines.add(line);
                    // READY is all there is: the daemon keeps its end open while it serves.
                    while (!line.equals(DaemonChild.READY) && (line = r.readLine()) != null) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                // the report ends here
            }
            report.complete(lines);
        }, "stratafs-daemon-report");
        reader.setDaemon(true);
        reader.start();
        try {
            return report.get(START_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static boolean newFuseMount(Path mp, Set<Long> before) {
        return MountTable.top(mp).map(e -> e.isFuse() && !before.contains(e.id())).orElse(false);
    }

    /** Leaves nothing mounted that the child may have mounted: unmount our new mount, lazily. */
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

    private static void stop(Process child) {
        child.destroy();
        try {
            if (!child.waitFor(3, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                child.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String exitStatus(Process child) {
        try {
            if (child.waitFor(2, TimeUnit.SECONDS)) {
                return " with status " + child.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
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

    private static boolean canAppend(Path log) {
        try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            return true;
        } catch (IOException | SecurityException e) {
            return false;
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
