package dev.stratafs.fuse.mount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a FUSE mount down the way container engines do (design notes §3): {@code fusermount -u},
 * then {@code fusermount3 -u}, then a lazy {@code umount -l}; and, as a last resort for a loop
 * that lingers after a lazy detach, aborts the kernel connection (fuse.rst "Aborting a filesystem
 * connection": /sys/fs/fuse/connections/N/abort).
 */
final class Unmounter {
    private static final Logger LOG = LoggerFactory.getLogger(Unmounter.class);
    private static final long COMMAND_TIMEOUT_SECONDS = 10;

    private Unmounter() {}

    /** The unmount commands in the order tried. */
    static List<List<String>> commands(Path mountPoint) {
        String m = mountPoint.toString();
        return List.of(
                List.of("fusermount", "-u", m),
                List.of("fusermount3", "-u", m),
                List.of("umount", "-l", m));
    }

    /** How an unmount went. */
    record Outcome(boolean unmounted, boolean lazy, String failures) {}

    /** Runs the commands until one succeeds. */
    static Outcome unmount(Path mountPoint) {
        StringBuilder failures = new StringBuilder();
        for (List<String> cmd : commands(mountPoint)) {
            String err = run(cmd);
            if (err == null) {
                LOG.debug("unmounted {} with {}", mountPoint, String.join(" ", cmd));
                return new Outcome(true, cmd.contains("-l"), failures.toString());
            }
            failures.append(String.join(" ", cmd)).append(": ").append(err).append("; ");
        }
        return new Outcome(false, false, failures.toString());
    }

    /** null on success, else why not. */
    private static String run(List<String> cmd) {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        try {
            // Output is small (one error line); read it before waiting so the pipe cannot fill.
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "timed out";
            }
            int rc = p.exitValue();
            return rc == 0 ? null : "exit " + rc + " " + new String(out, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            p.destroyForcibly();
            return e.getMessage();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /**
     * Writes to the connection's abort file; true when it existed and took the write. The
     * directory is a fusectl mount that systemd normally provides; where nobody mounted it (a
     * container, a minimal VM) it is mounted here, which needs root.
     */
    static boolean abortConnection(int minor) {
        if (minor < 0) return false;
        Path connections = Path.of("/sys/fs/fuse/connections");
        Path abort = connections.resolve(Integer.toString(minor)).resolve("abort");
        try {
            if (!Files.exists(abort) && Files.isDirectory(connections)) {
                String err = run(List.of("mount", "-t", "fusectl", "fusectl", connections.toString()));
                if (err != null) LOG.debug("cannot mount fusectl: {}", err);
            }
            if (!Files.exists(abort)) return false;
            Files.writeString(abort, "1");
            LOG.warn("aborted FUSE connection {}", minor);
            return true;
        } catch (IOException e) {
            LOG.debug("cannot abort FUSE connection {}: {}", minor, e.toString());
            return false;
        }
    }
}
