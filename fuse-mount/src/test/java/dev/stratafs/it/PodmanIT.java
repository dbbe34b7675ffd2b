package dev.stratafs.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * podman with stratafs as its overlay mount_program (design-notes §3 set-up: runc, cgroupfs,
 * file events and locks, no network, private storage). Image:
 * <pre>
 *   layer 1 (import):  /bin/busybox + applets, /etc/removed, /etc/kept
 *   layer 2 (build):   rm /etc/removed  (whiteout),  /data/f "layer2"
 * </pre>
 * Then a container writes /newfile and deletes /data/f; podman diff and commit must see it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PodmanIT {
    private static Path dir;
    private static Map<String, String> env;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "podman test needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/podman")), "podman is not installed (scripts/provision.sh installs it)");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/runc")) || Files.isExecutable(Path.of("/usr/bin/runc")), "runc is not installed");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static is not installed");
        dir = Files.createTempDirectory(Path.of("/tmp"), "stratafs-podman");
        Path wrapper = dir.resolve("stratafs");
        String java = ProcessHandle.current().info().command().orElse("java");
        // metacopy=on in front of podman's -o: podman 4.3 drops it from storage.conf's mountopt
        // before calling a mount program (README, podman section).
        Files.writeString(wrapper, "#!/bin/sh\nexec " + java + " -cp '" + System.getProperty("java.class.path")
                + "' dev.stratafs.cli.Main -o metacopy=on \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(dir.resolve("containers.conf"), String.join("\n",
                "[containers]", "netns = \"none\"", "default_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]",
                "[engine]", "runtime = \"runc\"", "cgroup_manager = \"cgroupfs\"", "events_logger = \"file\"",
                "lock_type = \"file\"", "tmp_dir = \"" + dir.resolve("tmp") + "\"", ""));
        Files.writeString(dir.resolve("storage.conf"), String.join("\n",
                "[storage]", "driver = \"overlay\"", "graphroot = \"" + dir.resolve("graph") + "\"",
                "runroot = \"" + dir.resolve("run") + "\"", "[storage.options.overlay]",
                "mount_program = \"" + wrapper + "\"",
                // -Dstratafs.it.highlevel=true: podman's mounts go through the libfuse 2 path engine
                "mountopt = \"nodev" + (Boolean.getBoolean("stratafs.it.highlevel") ? ",highlevel" : "") + "\"", ""));
        env = Map.of("CONTAINERS_CONF", dir.resolve("containers.conf").toString(),
                "CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString(),
                "STRATAFS_LOG", dir.resolve("stratafs.log").toString());
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
        for (String applet : List.of("sh", "ls", "cat", "echo", "rm", "mkdir", "test")) {
            Files.createSymbolicLink(rootfs.resolve(applet), Path.of("busybox"));
        }
        Path etc = Files.createDirectories(dir.resolve("rootfs/etc"));
        Files.writeString(etc.resolve("removed"), "old");
        Files.writeString(etc.resolve("kept"), "kept\n");
        run(120, "sh", "-c", "tar -C '" + dir.resolve("rootfs") + "' -c . | podman import - stratafs-bb");
        Files.writeString(dir.resolve("Containerfile"),
                "FROM stratafs-bb\nRUN rm /etc/removed && mkdir -p /data && echo layer2 > /data/f\n");
        run(300, "podman", "build", "--network", "none", "-t", "stratafs-test", "-f",
                dir.resolve("Containerfile").toString(), dir.toString());
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (dir == null) return;
        try {
            runQuiet(120, "podman", "rm", "-af");
            runQuiet(120, "podman", "rmi", "-af");
            runQuiet(120, "podman", "system", "reset", "-f");
        } finally {
            // Whatever podman left mounted below our private storage goes before the files do.
            for (String mp : mountsUnder(dir)) runQuiet(30, "umount", "-l", mp);
            runQuiet(60, "rm", "-rf", dir.toString());
        }
    }

    @Test
    @Order(1)
    void containerSeesAllLayersWithWhiteoutsHonoured() throws Exception {
        String out = run(120, "podman", "run", "--rm", "stratafs-test", "sh", "-c",
                "cat /etc/kept; cat /data/f; test -e /etc/removed && echo STILL-THERE || echo removed-ok");
        assertEquals(List.of("kept", "layer2", "removed-ok"), out.lines().toList());
        assertNoStratafsLeft();
    }

    @Test
    @Order(2)
    void containerChangesLandInItsUpperAndDiffAndCommitSeeThem() throws Exception {
        run(120, "podman", "run", "--name", "c1", "stratafs-test", "sh", "-c", "echo hi > /newfile; rm /data/f");
        // "container diff": plain "podman diff" looks for an image first, and an image whose ID
        // begins with "c1" (1 in 256 per image) then wins: it listed the base image's files as added.
        String diff = run(60, "podman", "container", "diff", "c1");
        assertTrue(diff.lines().anyMatch(l -> l.equals("A /newfile")), diff);
        assertTrue(diff.lines().anyMatch(l -> l.equals("D /data/f")), diff);
        run(120, "podman", "commit", "c1", "stratafs-committed");
        String out = run(120, "podman", "run", "--rm", "stratafs-committed", "sh", "-c",
                "cat /newfile; test -e /data/f && echo f-there || echo f-gone");
        assertEquals(List.of("hi", "f-gone"), out.lines().toList());
        run(60, "podman", "rm", "c1");
        assertNoStratafsLeft();
    }

    /*
     * A chmod and chown in the container copy /etc/kept up without its data (metacopy=on from
     * the wrapper); podman's diff and commit read through the mount (with a mount program
     * containers/storage always takes the naive diff), so the new layer carries the data.
     */
    @Test
    @Order(3)
    void aMetadataOnlyCopyUpIsCommittedWithItsData() throws Exception {
        run(120, "podman", "run", "--name", "c2", "stratafs-test", "sh", "-c", "chmod 600 /etc/kept; chown 7:8 /etc/kept");
        String upper = run(60, "podman", "inspect", "--format", "{{.GraphDriver.Data.UpperDir}}", "c2").strip();
        Path kept = Path.of(upper, "etc/kept");
        assertEquals(5, Files.size(kept));
        assertTrue(run(30, "getfattr", "--absolute-names", "-n", "trusted.overlay.metacopy", kept.toString())
                .contains("trusted.overlay.metacopy"), "the copy-up left the data below");
        String diff = run(60, "podman", "container", "diff", "c2");
        assertTrue(diff.lines().anyMatch(l -> l.equals("C /etc/kept")), diff);
        run(120, "podman", "commit", "c2", "stratafs-chmodded");
        String out = run(120, "podman", "run", "--rm", "stratafs-chmodded", "sh", "-c", "cat /etc/kept; ls -ln /etc/kept");
        List<String> lines = out.lines().toList();
        assertEquals("kept", lines.get(0));
        assertTrue(lines.get(1).matches("-rw------- +1 7 +8 .*"), out);
        run(60, "podman", "rm", "c2");
        assertNoStratafsLeft();
    }

    private static void assertNoStratafsLeft() throws Exception {
        // podman unmounts with fusermount3 -u; the daemon must leave on its own.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<String> mounts;
        List<Long> daemons;
        do {
            mounts = new ArrayList<>();
            for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                if (l.contains(" - fuse") && l.contains(dir.toString())) mounts.add(l);
            }
            daemons = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().orElse("").contains(dir.resolve("graph").toString()))
                    .map(ProcessHandle::pid).toList();
            if (mounts.isEmpty() && daemons.isEmpty()) return;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        assertTrue(mounts.isEmpty(), "stratafs mounts left behind: " + mounts);
        assertTrue(daemons.isEmpty(), "stratafs daemons left behind: " + daemons);
    }

    private static List<String> mountsUnder(Path d) throws IOException {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String mp = l.split(" ")[4];
            if (mp.startsWith(d.toString())) out.add(mp);
        }
        out.sort((a, b) -> b.length() - a.length());
        return out;
    }

    private static String run(int seconds, String... cmd) throws Exception {
        Path err = dir.resolve("last-stderr");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + String.join(" ", cmd));
        }
        String s = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            String log = Files.exists(dir.resolve("stratafs.log")) ? Files.readString(dir.resolve("stratafs.log")) : "";
            throw new AssertionError(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + s + Files.readString(err)
                    + "\nstratafs log:\n" + log);
        }
        return s;
    }

    private static void runQuiet(int seconds, String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            if (env != null) pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) p.destroyForcibly();
        } catch (Exception e) {
            // cleanup is best effort; the assertions already reported what matters
        }
    }
}
