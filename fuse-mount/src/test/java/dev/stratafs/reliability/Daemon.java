package dev.stratafs.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One stratafs daemon in a child JVM serving {@code lower, upper, work} at {@code mnt}. Uses the
 * command line ({@code dev.stratafs.cli.Main -f -o ...}) when it is on the class path, else the
 * test-only {@link StackDaemon}. Output goes to a log file (a full pipe must never stall it).
 * {@link #kill9} and {@link #stop} only ever signal the PID this object started.
 */
final class Daemon implements AutoCloseable {
    static final String CLI_MAIN = "dev.stratafs.cli.Main";
    private final Process process;
    private final Path mnt;
    private final Path log;

    private Daemon(Process process, Path mnt, Path log) {
        this.process = process;
        this.mnt = mnt;
        this.log = log;
    }

    static boolean cliPresent() {
        try {
            Class.forName(CLI_MAIN, false, Daemon.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** Starts the daemon without waiting for the mount. */
    static Daemon start(Path lower, Path upper, Path work, Path mnt, boolean volatileMode, Path log) throws IOException {
        return start(lower, upper, work, mnt, volatileMode, log, "");
    }

    /** extraOptions: more -o words for the command line (ignored by the test-only daemon). */
    static Daemon start(Path lower, Path upper, Path work, Path mnt, boolean volatileMode, Path log, String extraOptions) throws IOException {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-Xmx256m", "-Dfile.encoding=UTF-8",
                "-cp", System.getProperty("java.class.path")));
        if (cliPresent()) {
            String data = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + (volatileMode ? ",volatile" : "") + extraOptions;
            cmd.addAll(List.of(CLI_MAIN, "-f", "-o", data, mnt.toString()));
        } else {
            cmd.addAll(List.of(StackDaemon.class.getName(), lower.toString(), upper.toString(), work.toString(), mnt.toString()));
            if (volatileMode) cmd.add("volatile");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("LC_ALL", "C.UTF-8");
        return new Daemon(pb.start(), mnt, log);
    }

    /** Starts the daemon and waits until the mountpoint is a live FUSE mount. */
    static Daemon mount(Path lower, Path upper, Path work, Path mnt, boolean volatileMode, Path log) throws Exception {
        return mount(lower, upper, work, mnt, volatileMode, log, "");
    }

    static Daemon mount(Path lower, Path upper, Path work, Path mnt, boolean volatileMode, Path log, String extraOptions) throws Exception {
        Daemon d = start(lower, upper, work, mnt, volatileMode, log, extraOptions);
        try {
            d.awaitMounted();
        } catch (Exception | Error e) {
            d.close();
            throw e;
        }
        return d;
    }

    void awaitMounted() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Mounts.fuseAt(mnt)) {
            if (!process.isAlive()) throw new AssertionError("daemon exited " + process.exitValue() + " before mounting:\n" + logText());
            if (System.nanoTime() > deadline) throw new AssertionError("daemon did not mount within 60 s:\n" + logText());
            Thread.sleep(20);
        }
        // The entry appears before init completes; a stat proves the daemon answers.
        Sh2.run(30, "stat", mnt.toString()).requireOk();
    }

    Process process() {
        return process;
    }

    String logText() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGKILL to this daemon (Process.destroyForcibly is SIGKILL on Linux), then a lazy unmount. */
    void kill9() throws Exception {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("daemon survived SIGKILL");
        Mounts.lazyUnmount(mnt);
    }

    /** Clean stop: unmount from outside; the daemon exits by itself (as under podman). */
    int stop() throws Exception {
        if (Mounts.fuseAt(mnt)) Sh2.run(30, "fusermount", "-u", mnt.toString());
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            Mounts.lazyUnmount(mnt);
            throw new AssertionError("daemon did not exit after unmount:\n" + logText());
        }
        return process.exitValue();
    }

    /** Safety net for finally blocks: whatever state, leave no process and no mount. */
    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        Mounts.lazyUnmount(mnt);
    }
}
