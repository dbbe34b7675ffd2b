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
    private int connection = -1;

    /** Where this daemon's output starts in a log file that earlier daemons may share. */
    private final long logStart;

    private Daemon(Process process, Path mnt, Path log, long logStart) {
        this.process = process;
        this.mnt = mnt;
        this.log = log;
        this.logStart = logStart;
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
            // -Dstratafs.it.highlevel=true runs the daemons on the libfuse 2 path engine.
            String data = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work + (volatileMode ? ",volatile" : "") + extraOptions
                    + (Boolean.getBoolean("stratafs.it.highlevel") ? ",highlevel" : "");
            cmd.addAll(List.of(CLI_MAIN, "-f", "-o", data, mnt.toString()));
        } else {
            cmd.addAll(List.of(StackDaemon.class.getName(), lower.toString(), upper.toString(), work.toString(), mnt.toString()));
            if (volatileMode) cmd.add("volatile");
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("LC_ALL", "C.UTF-8");
        long logStart = Files.exists(log) ? Files.size(log) : 0;
        return new Daemon(pb.start(), mnt, log, logStart);
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
        connection = Mounts.fuseConnection(mnt);
        // The entry appears before init completes; a stat proves the daemon answers.
        Sh2.run(30, "stat", mnt.toString()).requireOk();
        // The daemon logs "mounted" once its own liveness probe is done. Killing it before then can
        // leave it unable to die (its probe thread waits on its own mount): see killAndReap.
        while (!logText().contains("mounted")) {
            if (!process.isAlive()) throw new AssertionError("daemon exited " + process.exitValue() + ":\n" + logText());
            if (System.nanoTime() > deadline) throw new AssertionError("daemon never said it mounted:\n" + logText());
            Thread.sleep(20);
        }
    }

    /**
     * SIGKILL and wait. If a daemon thread was inside a request to its own mount, the process
     * cannot finish exiting until the connection is aborted (a zombie holding /dev/fuse): abort
     * it after 10 s, and fail loudly rather than hang.
     */
    private void killAndReap() throws Exception {
        process.destroyForcibly();
        if (process.waitFor(10, TimeUnit.SECONDS)) return;
        Mounts.abortConnection(connection);
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("daemon survived SIGKILL and a connection abort");
        throw new AssertionError("daemon could not die after SIGKILL until its FUSE connection was aborted");
    }

    Process process() {
        return process;
    }

    String logText() {
        try {
            if (!Files.exists(log)) return "";
            byte[] all = Files.readAllBytes(log);
            return new String(all, (int) Math.min(logStart, all.length), (int) Math.max(0, all.length - logStart), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGKILL to this daemon (Process.destroyForcibly is SIGKILL on Linux), then a lazy unmount. */
    void kill9() throws Exception {
        killAndReap();
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
        try {
            if (process.isAlive()) killAndReap();
        } finally {
            Mounts.lazyUnmount(mnt);
        }
    }
}
