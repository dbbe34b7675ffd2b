package dev.stratafs.reliability;

import dev.stratafs.fuse.Sh;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** As {@link Sh}, with a caller-chosen time bound: a hung command is a failed test, never a hung build. */
final class Sh2 {
    private Sh2() {}

    static Sh.Result run(int seconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(cmd)).redirectInput(new File("/dev/null")).start();
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("command did not finish within " + seconds + " s: " + String.join(" ", cmd));
        }
        return new Sh.Result(p.exitValue(), new String(out.join(), StandardCharsets.UTF_8), new String(err.join(), StandardCharsets.UTF_8));
    }

    /** sh -c SCRIPT. */
    static Sh.Result sh(int seconds, String script) throws IOException, InterruptedException {
        return run(seconds, "sh", "-c", script);
    }

    /** On a thread of its own: the common pool has one thread on two cores, and two drains would queue. */
    private static CompletableFuture<byte[]> drain(java.io.InputStream in) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(in.readAllBytes());
            } catch (IOException e) {
                f.complete(new byte[0]);
            }
        }, "sh-drain");
        t.setDaemon(true);
        t.start();
        return f;
    }
}
