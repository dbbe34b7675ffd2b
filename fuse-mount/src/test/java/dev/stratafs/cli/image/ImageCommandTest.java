package dev.stratafs.cli.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The `stratafs image` command line over a store in a temp dir and an image umoci builds. */
class ImageCommandTest {
    private Path tmp;
    private Path store;
    private Path layout;
    private String lastOut;
    private String lastErr;

    /* img:v1 holds one layer: etc/motd, usr/bin/app; img:v2 adds a layer deleting etc/motd */
    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "imgcli");
        store = tmp.resolve("store");
        layout = tmp.resolve("img");
        sh("umoci", "init", "--layout", layout.toString());
        sh("umoci", "new", "--image", layout + ":v1");
        Path b = tmp.resolve("b");
        sh("umoci", "unpack", "--image", layout + ":v1", b.toString());
        Files.createDirectories(b.resolve("rootfs/etc"));
        Files.createDirectories(b.resolve("rootfs/usr/bin"));
        Files.writeString(b.resolve("rootfs/etc/motd"), "hello\n");
        Files.writeString(b.resolve("rootfs/usr/bin/app"), "app".repeat(1000));
        sh("umoci", "repack", "--image", layout + ":v1", b.toString());
        sh("umoci", "tag", "--image", layout + ":v1", "v2");
        Path b2 = tmp.resolve("b2");
        sh("umoci", "unpack", "--image", layout + ":v2", b2.toString());
        Files.delete(b2.resolve("rootfs/etc/motd"));
        sh("umoci", "repack", "--image", layout + ":v2", b2.toString());
    }

    @AfterEach
    void tearDown() throws IOException {
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
    }

    private int cli(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        String[] all = new String[args.length + 2];
        all[0] = "--store";
        all[1] = store.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        int rc = ImageCommand.run(all, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        lastOut = o.toString(StandardCharsets.UTF_8);
        lastErr = e.toString(StandardCharsets.UTF_8);
        return rc;
    }

    @Test
    void importListHistoryWhichExportRmRoundTrip() throws Exception {
        assertEquals(0, cli("import", layout + ":v1", "--tag", "app:1"), lastErr);
        assertEquals(0, cli("image", "import", layout + ":v2", "--tag", "app:2"), lastErr);
        assertEquals(0, cli("ls", "-q"));
        assertEquals("app:1\napp:2\n", lastOut);
        assertEquals(0, cli("ls"));
        assertTrue(lastOut.startsWith("NAME") && lastOut.contains("app:2"), lastOut);

        assertEquals(0, cli("history", "app:2"));
        String[] lines = lastOut.split("\n");
        assertEquals(3, lines.length, lastOut);
        assertTrue(lines[1].contains("umoci repack"), lastOut);
        assertEquals(0, cli("history", "app:2", "--format", "json", "--no-trunc"));
        assertTrue(lastOut.lines().allMatch(l -> l.startsWith("{\"Layer\":\"sha256:")), lastOut);

        assertEquals(1, cli("which", "app:2", "/etc/motd"), "deleted paths are not found");
        assertTrue(lastOut.startsWith("/etc/motd: deleted by layer 2/2"), lastOut);
        assertTrue(lastOut.contains("hides layer 1/2"), lastOut);
        assertEquals(0, cli("which", "app:2", "/usr/bin/app"));
        assertTrue(lastOut.startsWith("/usr/bin/app: provided by layer 1/2"), lastOut);

        Path out = tmp.resolve("exported");
        assertEquals(0, cli("export", "app:2", out.toString(), "--format", "oci"), lastErr);
        sh("skopeo", "inspect", "oci:" + out + ":2");

        assertEquals(0, cli("layers", "app:2"));
        assertEquals(2, lastOut.trim().split(":").length);

        assertEquals(0, cli("rm", "app:2"), lastErr);
        assertEquals(0, cli("ls", "-q"));
        assertEquals("app:1\n", lastOut);
        assertEquals(0, cli("gc"));
        assertTrue(lastOut.startsWith("deleted 0 layers, 0 blobs"), lastOut);
    }

    @Test
    void missingImageFailsWithStatusOneAndUsageErrorsWithTwo() {
        assertEquals(1, cli("history", "nope"));
        assertTrue(lastErr.contains("no such image"), lastErr);
        assertEquals(2, cli("history"));
        assertEquals(2, cli("frobnicate"));
        assertEquals(2, cli("commit", "--from", "x"));
        assertEquals(1, cli("import", tmp.resolve("absent").toString()));
    }

    @Test
    void diffCommandPrintsDockerStyleLines() throws Exception {
        Path upper = tmp.resolve("upper");
        Files.createDirectories(upper.resolve("etc"));
        Files.writeString(upper.resolve("etc/.wh.motd"), "");
        Files.writeString(upper.resolve("etc/new"), "n");
        assertEquals(0, cli("import", layout + ":v1", "--tag", "app:1"), lastErr);
        assertEquals(0, cli("diff", upper.toString(), "--from", "app:1"), lastErr);
        assertEquals("C /etc\nD /etc/motd\nA /etc/new\n", lastOut);
    }

    /* app:2 = v1 (motd 6 B, app 3000 B) + a layer deleting motd: motd is the only path in two layers */
    @Test
    void analyzeCiPassesDefaultsAndFailsAWastedBytesLimit() {
        assertEquals(0, cli("import", layout + ":v2", "--tag", "app:2"), lastErr);
        assertEquals(0, cli("analyze", "app:2", "--ci"), lastOut);
        assertTrue(lastOut.contains("Potential wasted space: 6B") && lastOut.contains("/etc/motd"), lastOut);
        assertTrue(lastOut.contains("Result:PASS"), lastOut);
        assertEquals(1, cli("analyze", "app:2", "--ci", "--highest-wasted-bytes", "5"));
        assertTrue(lastOut.contains("FAIL: highestWastedBytes"), lastOut);
        assertEquals(1, cli("analyze", "app:2", "--ci", "--lowest-efficiency", "100%"), lastOut);
        assertEquals(2, cli("analyze", "app:2", "--ci", "--highest-wasted-bytes", "lots"));
    }
}
