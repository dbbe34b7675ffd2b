package dev.stratafs.core.diff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command-line tool (mount, mknod, setfattr, getfattr, ...) in the C locale so its error
 * messages end with the plain strerror(3) text that {@link KernelErrors} understands.
 */
final class Cmd {
    record Result(List<String> argv, int exit, String out, String err) {
        boolean ok() {
            return exit == 0;
        }

        /** Throws with the tool's own message when it failed. */
        Result orThrow() {
            if (exit != 0) {
                throw new IllegalStateException("command failed (" + exit + "): " + String.join(" ", argv) + "\n" + err.strip());
            }
            return this;
        }
    }

    private Cmd() {}

    static Result run(Path cwd, List<String> argv) {
        ProcessBuilder pb = new ProcessBuilder(argv);
        if (cwd != null) pb.directory(cwd.toFile());
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        try {
            Process p = pb.start();
            // Drain stderr on a thread so neither pipe can fill up and block the tool.
            var errFuture = new java.util.concurrent.CompletableFuture<byte[]>();
            Thread t = new Thread(() -> {
                try {
                    errFuture.complete(p.getErrorStream().readAllBytes());
                } catch (IOException e) {
                    errFuture.complete(new byte[0]);
                }
            });
            t.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("command timed out: " + String.join(" ", argv));
            }
            t.join();
            return new Result(argv, p.exitValue(), new String(out, StandardCharsets.UTF_8),
                    new String(errFuture.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + argv, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + argv, e);
        }
    }

    static Result run(List<String> argv) {
        return run(null, argv);
    }
}
