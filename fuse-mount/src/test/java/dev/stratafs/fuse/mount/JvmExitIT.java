package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.Sh;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM that ends (main returns, or SIGTERM) with a mount still open leaves no mount behind:
 * jnr-fuse's shutdown hook goes through MountSession.close.
 *
 * <pre>
 * back/f    (host directory, mounted at mnt/ by a child JVM)
 * </pre>
 */
class JvmExitIT {
    @TempDir
    Path tmp;
    Process child;
    Path mnt;

    @AfterEach
    void tearDown() throws Exception {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        if (mnt != null && DirBackendMountIT.fuseMountedAt(mnt)) {
            Sh.run("umount", "-l", mnt.toRealPath().toString());
        }
    }

    private void startChild(String... extra) throws Exception {
        Path back = Files.createDirectory(tmp.resolve("back"));
        Files.writeString(back.resolve("f"), "x");
        mnt = Files.createDirectory(tmp.resolve("mnt"));
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(javaBin, "-cp", System.getProperty("java.class.path"),
                MountAndExit.class.getName(), back.toString(), mnt.toString()));
        cmd.addAll(List.of(extra));
        child = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.equals("mounted")) break;
        }
        assertTrue(seen.toString().contains("mounted"), seen.toString());
        // keep draining so the child never blocks on a full pipe
        Thread drain = new Thread(() -> {
            try {
                out.transferTo(java.io.Writer.nullWriter());
            } catch (java.io.IOException ignored) {
                // child gone
            }
        });
        drain.setDaemon(true);
        drain.start();
    }

    @Test
    void mainReturningWithoutCloseUnmounts() throws Exception {
        startChild();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child JVM did not exit");
        assertEquals(0, child.exitValue());
        assertFalse(DirBackendMountIT.fuseMountedAt(mnt));
    }

    @Test
    void sigtermUnmounts() throws Exception {
        startChild("wait");
        assertTrue(DirBackendMountIT.fuseMountedAt(mnt));
        assertEquals("x", Files.readString(mnt.resolve("f")));
        child.destroy(); // SIGTERM
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child JVM did not exit");
        assertFalse(DirBackendMountIT.fuseMountedAt(mnt));
    }
}
