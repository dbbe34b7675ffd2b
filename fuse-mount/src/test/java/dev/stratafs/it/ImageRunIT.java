package dev.stratafs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Image layers in, container out: an OCI layout made by umoci, imported into a store, mounted
 * by reference, and run by runc from a bundle. Image:
 * <pre>
 *   layer 1: /bin/busybox + sh, cat, echo;  /etc/msg "from-layer-1"
 *   layer 2: /etc/msg "from-layer-2";  /etc/gone removed (whiteout)
 *   config:  Cmd ["/bin/sh", "-c", "echo hello-from-runc; cat /etc/msg"]
 * </pre>
 */
class ImageRunIT {
    private Path dir;
    private final List<Path> mounts = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/umoci")), "umoci is not installed (scripts/provision.sh installs it)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static is not installed");
        dir = Files.createTempDirectory(Path.of("/tmp"), "stratafs-imgrun");
        Path layout = dir.resolve("layout");
        sh("umoci init --layout L && umoci new --image L:bb && umoci unpack --image L:bb B"
                + " && mkdir -p B/rootfs/bin B/rootfs/etc && cp /bin/busybox B/rootfs/bin/"
                + " && for a in sh cat echo; do ln -s busybox B/rootfs/bin/$a; done"
                + " && echo from-layer-1 > B/rootfs/etc/msg && echo x > B/rootfs/etc/gone"
                + " && umoci repack --image L:bb B && rm -rf B && umoci unpack --image L:bb B"
                + " && echo from-layer-2 > B/rootfs/etc/msg && rm B/rootfs/etc/gone"
                + " && umoci repack --image L:bb B"
                + " && umoci config --image L:bb --config.cmd /bin/sh --config.cmd -c"
                + " --config.cmd 'echo hello-from-runc; cat /etc/msg'");
        assertTrue(Files.isDirectory(dir.resolve("L")), layout.toString());
        stratafs("image", "--store", dir.resolve("store").toString(), "import", dir.resolve("L") + ":bb", "--tag", "bb");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (dir == null) return;
        for (Path m : mounts) {
            if (mounted(m)) run(30, "fusermount", "-u", m.toString());
            if (mounted(m)) run(30, "umount", "-l", m.toString());
        }
        run(60, "rm", "-rf", dir.toString());
    }

    @Test
    void mountByReferenceShowsTopLayerAndWhiteoutsAndWritesGoToTheUpper() throws Exception {
        Path mnt = Files.createDirectories(dir.resolve("mnt"));
        Path upper = dir.resolve("upper");
        mounts.add(mnt);
        stratafs("mount", "--store", dir.resolve("store").toString(), "--image", "bb",
                "--upper", upper.toString(), "--work", dir.resolve("work").toString(), mnt.toString());
        assertTrue(mounted(mnt), "mounted when the command returns");
        assertEquals("from-layer-2\n", Files.readString(mnt.resolve("etc/msg")));
        assertFalse(Files.exists(mnt.resolve("etc/gone")));
        Files.writeString(mnt.resolve("etc/new"), "n");
        assertEquals("n", Files.readString(upper.resolve("etc/new")));
        run(30, "fusermount", "-u", mnt.toString());
        assertFalse(mounted(mnt));
    }

    @Test
    void bundleRunsUnderRunc() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")) || Files.isExecutable(Path.of("/usr/bin/runc")), "runc missing");
        Path bundle = dir.resolve("bundle");
        mounts.add(bundle.resolve("rootfs"));
        stratafs("image", "--store", dir.resolve("store").toString(), "bundle", "bb", bundle.toString());
        assertTrue(Files.exists(bundle.resolve("config.json")));
        String out = run(120, "runc", "run", "-b", bundle.toString(), "stratafs-it-" + ProcessHandle.current().pid());
        assertEquals(List.of("hello-from-runc", "from-layer-2"), out.lines().toList());
    }

    private static boolean mounted(Path m) throws Exception {
        String real = m.toFile().getCanonicalPath();
        for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (l.split(" ")[4].equals(real)) return true;
        }
        return false;
    }

    private void sh(String script) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("sh", "-c", script).directory(dir.toFile());
        runProcess(pb, 120, script);
    }

    private String stratafs(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "dev.stratafs.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("STRATAFS_LOG", dir.resolve("stratafs.log").toString());
        return runProcess(pb, 120, String.join(" ", args));
    }

    private String run(int seconds, String... cmd) throws Exception {
        return runProcess(new ProcessBuilder(cmd), seconds, String.join(" ", cmd));
    }

    private String runProcess(ProcessBuilder pb, int seconds, String what) throws Exception {
        Path err = Files.createTempFile(dir, "err", ".txt");
        pb.redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + what);
        }
        String s = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            Path log = dir.resolve("stratafs.log");
            throw new AssertionError(what + " exited " + p.exitValue() + ":\n" + s + Files.readString(err)
                    + (Files.exists(log) ? "\nlog:\n" + Files.readString(log) : ""));
        }
        return s;
    }
}
