package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code stratafs -o ... MNT} (daemonizing, as podman calls it) with requests that cannot be
 * served: a clear {@code stratafs: ...} line on stderr, exit status 1, soon, nothing mounted and
 * no daemon left. (Parser-level errors are covered by MountOptionsParserTest/StratafsCommandIT.)
 *
 * <pre>
 * tmp/l/f   tmp/u/   tmp/w/   tmp/m/   tmp/afile   tmp/small (a tmpfs, for a cross-device workdir)
 * </pre>
 */
class BadMountRequestsIT {
    @TempDir
    Path tmp;
    Path mnt;

    @BeforeEach
    void setUp() throws Exception {
        Host.assumeRootAndFuse();
        for (String d : List.of("l", "u", "w", "m", "small")) Files.createDirectory(tmp.resolve(d));
        Files.writeString(tmp.resolve("l/f"), "f");
        Files.writeString(tmp.resolve("afile"), "x");
        mnt = tmp.resolve("m");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (mnt == null) return; // skipped
        try {
            for (ProcessHandle p : ourDaemons()) p.destroyForcibly();
            Mounts.lazyUnmount(mnt);
        } finally {
            if (Mounts.mountedAt(tmp.resolve("small"), "tmpfs")) Sh2.run(30, "umount", "-l", tmp.resolve("small").toString());
        }
    }

    /** Processes whose command line names this test's directory: only daemons this test started. */
    private List<ProcessHandle> ourDaemons() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .filter(p -> p.info().commandLine().map(c -> c.contains(tmp.toString()) && c.contains(Daemon.CLI_MAIN)).orElse(false))
                .toList();
    }

    private Sh.Result stratafs(String data) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "-cp", System.getProperty("java.class.path"), Daemon.CLI_MAIN,
                "-o", data + ",log=" + tmp.resolve("log"), mnt.toString()));
        long t0 = System.nanoTime();
        Sh.Result r = Sh2.run(60, cmd.toArray(String[]::new));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 12_000, "took " + ms + " ms to refuse: " + r.err());
        return r;
    }

    private void assertRefused(Sh.Result r, String... mustContain) throws Exception {
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().startsWith("stratafs: "), r.err());
        for (String s : mustContain) assertTrue(r.err().contains(s), "'" + s + "' missing from: " + r.err());
        assertFalse(Mounts.fuseAt(mnt), "mounted anyway");
        assertEquals(List.of(), ourDaemons(), "daemon left running");
    }

    private String t(String p) {
        return tmp.resolve(p).toString();
    }

    @Test
    void lowerLayerThatIsTheMountpointIsRefusedInsteadOfHanging() throws Exception {
        assertRefused(stratafs("lowerdir=" + mnt + ",upperdir=" + t("u") + ",workdir=" + t("w")), "is the mountpoint");
        assertRefused(stratafs("lowerdir=" + t("l") + ",upperdir=" + Files.createDirectory(mnt.resolve("up")) + ",workdir=" + t("w")),
                "inside the mountpoint");
    }

    @Test
    void workdirOnAnotherFilesystemIsRefused() throws Exception {
        Sh2.run(30, "mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", t("small")).requireOk();
        assertRefused(stratafs("lowerdir=" + t("l") + ",upperdir=" + t("u") + ",workdir=" + t("small")), "same filesystem");
    }

    @Test
    void overlappingOrMissingLayersAreRefused() throws Exception {
        assertRefused(stratafs("lowerdir=" + t("l") + ",upperdir=" + t("u") + ",workdir=" + t("u")), "must not contain each other");
        assertRefused(stratafs("lowerdir=" + t("l") + ",upperdir=" + t("l") + ",workdir=" + t("w")), "same directory");
        assertRefused(stratafs("lowerdir=" + t("afile") + ",upperdir=" + t("u") + ",workdir=" + t("w")), "not a directory");
        assertRefused(stratafs("lowerdir=" + t("l") + ",upperdir=" + t("nope") + ",workdir=" + t("w")), "does not exist");
    }

    @Test
    void dirtyVolatileUpperIsRefusedWithTheReasonOnTheCallersStderr() throws Exception {
        Files.createDirectories(tmp.resolve("w/work/incompat/volatile"));
        assertRefused(stratafs("lowerdir=" + t("l") + ",upperdir=" + t("u") + ",workdir=" + t("w")), "volatile");
    }

    @Test
    void deadFuseMountAtTheMountpointIsNamedAsSuch() throws Exception {
        // A long attribute timeout: the kernel keeps answering stat of the dead root from its cache.
        try (Daemon d = Daemon.mount(tmp.resolve("l"), tmp.resolve("u"), tmp.resolve("w"), mnt, false, tmp.resolve("fg.log"), ",timeout=60")) {
            d.process().destroyForcibly();
            assertTrue(d.process().waitFor(30, TimeUnit.SECONDS), "daemon did not die");
            assertTrue(Mounts.fuseAt(mnt), "the dead mount is still there");
            assertTrue(Files.isDirectory(mnt), "stat served from the attribute cache (the case that fooled the old check)");
            Sh.Result r = stratafs("lowerdir=" + t("l") + ",upperdir=" + t("u") + ",workdir=" + t("w"));
            assertEquals(1, r.exit());
            assertTrue(r.err().contains("dead FUSE mount") && r.err().contains("fusermount -u"), r.err());
        }
        assertFalse(Mounts.fuseAt(mnt));
        // once cleared, the same stack mounts fine (the kill left it consistent)
        Sh2.run(60, System.getProperty("java.home") + "/bin/java", "-cp", System.getProperty("java.class.path"), Daemon.CLI_MAIN,
                "-o", "lowerdir=" + t("l") + ",upperdir=" + t("u") + ",workdir=" + t("w") + ",log=" + t("log"), mnt.toString()).requireOk();
        assertEquals("f", Files.readString(mnt.resolve("f")));
        Sh2.run(30, "fusermount", "-u", mnt.toString()).requireOk();
    }
}
