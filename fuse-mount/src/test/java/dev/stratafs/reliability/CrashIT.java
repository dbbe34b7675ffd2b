package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.Sh;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A daemon (separate JVM) killed with SIGKILL in the middle of a change, then lazily unmounted and
 * mounted again on the same upper/work: the change happened entirely or not at all, the workdir
 * scratch is empty after the remount, and the stack keeps working.
 *
 * <pre>
 * shared/lower/big               200 MiB of pseudo-random bytes
 * shared/lower/tree/dNN/fNN      10 dirs x 30 small files ("dNN/fNN"), tree/ln -> /etc
 * shared/lower/many/fNNN         400 small files
 * tmp/rNN/upper, work, mnt       fresh per round
 * </pre>
 * Seed: -Dstratafs.crash.seed=N (printed on failure).
 */
class CrashIT {
    static final long BIG = 200L << 20;
    static final long PATCH_AT = 150L << 20;
    static final long SEED = Long.getLong("stratafs.crash.seed", System.nanoTime());

    @TempDir
    static Path shared;
    static Path lower;
    static String oldHash;
    static String newHash;

    @TempDir
    Path tmp;
    final Random rnd = new Random(SEED);
    Daemon daemon;
    Path upper;
    Path work;
    Path mnt;
    int round;

    @BeforeAll
    static void layers() throws IOException {
        Host.assumeRootAndFuse();
        lower = Files.createDirectory(shared.resolve("lower"));
        Path big = lower.resolve("big");
        Trees.writePattern(big, BIG, 42);
        oldHash = Trees.sha256(big);
        newHash = patchedHash(big, PATCH_AT, (byte) 'X');
        for (int d = 0; d < 10; d++) {
            Path dir = Files.createDirectories(lower.resolve(String.format("tree/d%02d", d)));
            for (int f = 0; f < 30; f++) Files.writeString(dir.resolve(String.format("f%02d", f)), String.format("d%02d/f%02d", d, f));
        }
        Files.createSymbolicLink(lower.resolve("tree/ln"), Path.of("/etc"));
        Path many = Files.createDirectory(lower.resolve("many"));
        for (int f = 0; f < 400; f++) Files.writeString(many.resolve(String.format("f%03d", f)), "many " + f);
    }

    /** SHA-256 of f with one byte replaced, without writing a copy. */
    static String patchedHash(Path f, long at, byte b) throws IOException {
        MessageDigest md = Trees.digest();
        byte[] buf = new byte[1 << 20];
        long pos = 0;
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; pos += n) {
                if (at >= pos && at < pos + n) buf[(int) (at - pos)] = b;
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) daemon.close();
    }

    private void freshRound() throws Exception {
        if (daemon != null) daemon.close();
        daemon = null;
        Path r = Files.createDirectory(tmp.resolve("r" + round++));
        upper = Files.createDirectory(r.resolve("upper"));
        work = Files.createDirectory(r.resolve("work"));
        mnt = Files.createDirectory(r.resolve("mnt"));
    }

    private Daemon mountIt(boolean volatileMode) throws Exception {
        daemon = Daemon.mount(lower, upper, work, mnt, volatileMode, tmp.resolve("daemon.log"));
        return daemon;
    }

    private String ctx() {
        return "seed " + SEED + " round " + round + "\n" + (daemon != null ? daemon.logText() : "");
    }

    /** Entries the scratch dir holds (incompat/ only exists for volatile sessions). */
    private List<String> scratch() throws IOException {
        return Trees.names(work.resolve("work"));
    }

    private Process background(String script) throws IOException {
        return new ProcessBuilder("sh", "-c", script).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Waits until something appears in the scratch dir (a copy-up under way) or the writer ends. */
    private void awaitScratchOrEnd(Process writer, long maxMs) throws Exception {
        long end = System.currentTimeMillis() + maxMs;
        while (System.currentTimeMillis() < end && writer.isAlive() && scratch().isEmpty()) Thread.sleep(2);
    }

    private static int finish(Process p) throws InterruptedException {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("a command through a dead mount hung");
        }
        return p.exitValue();
    }

    /** Where the kill landed, for the log: timing decides it, so it is reported, not asserted. */
    private void note(String what, Process op) throws IOException {
        System.out.println("CrashIT " + what + " round " + round + ": killing with op " + (op.isAlive() ? "running" : "finished")
                + ", scratch " + scratch() + " (seed " + SEED + ")");
    }

    private void killAndRemount() throws Exception {
        daemon.kill9();
        assertFalse(Mounts.fuseAt(mnt), "lazy unmount left the mount");
        mountIt(false);
        assertEquals(List.of(), scratch(), "workdir leftovers after remount; " + ctx());
    }

    @Test
    void sigkillDuringCopyUpLeavesOldOrCompleteNewContent() throws Exception {
        // round 0: kill as soon as the copy-up temp appears; 1: a little later; 2: at a random time
        long[] extraDelayMs = {0, 80 + rnd.nextInt(400), rnd.nextInt(900)};
        int hitMidCopy = 0;
        for (long delay : extraDelayMs) {
            freshRound();
            mountIt(false);
            Path big = mnt.resolve("big");
            if (patchKillAndCheck("copy-up", delay, delay == extraDelayMs[2])) hitMidCopy++;
            Path up = upper.resolve("big");
            if (Files.exists(up)) assertEquals(BIG, Files.size(up), "partial upper file; " + ctx());

            Sh.Result r = Sh2.sh(120, "printf tail >> " + big);
            assertEquals(0, r.exit(), r.err() + ctx());
            assertEquals(BIG + 4, Files.size(big));
            assertEquals(0, daemon.stop(), ctx());
            assertEquals(List.of(), scratch(), "workdir leftovers after clean unmount");
        }
        // Not an assertion (timing): say when no round caught a copy-up in flight.
        if (hitMidCopy == 0) System.err.println("CrashIT: no round killed the daemon mid-copy (seed " + SEED + ")");
    }

    /**
     * Writes one byte of big through the mount (a copy-up), kills the daemon {@code delay} ms
     * after the copy's temp appears (after the start with {@code fromStart}), remounts, and
     * checks that big is the old file or the whole new one (the new one if the write was
     * acknowledged) and the lower untouched. True when the kill caught the copy in flight.
     */
    private boolean patchKillAndCheck(String what, long delay, boolean fromStart) throws Exception {
        Path big = mnt.resolve("big");
        Process writer = background("printf X | dd of=" + big + " bs=1 seek=" + PATCH_AT + " conv=notrunc status=none");
        if (fromStart) Thread.sleep(delay); else { awaitScratchOrEnd(writer, 10_000); Thread.sleep(delay); }
        boolean midCopy = !scratch().isEmpty();
        note(what, writer);
        boolean writerDoneBeforeKill = !writer.isAlive() && writer.exitValue() == 0;
        killAndRemount();
        int writerExit = finish(writer);

        String h = Trees.sha256(big);
        assertTrue(h.equals(oldHash) || h.equals(newHash), "torn file after crash; " + ctx());
        if (writerDoneBeforeKill || writerExit == 0) assertEquals(newHash, h, "acknowledged write lost; " + ctx());
        assertEquals(oldHash, Trees.sha256(lower.resolve("big")), "lower changed");
        return midCopy;
    }

    /**
     * With metacopy=on, a chmod leaves big as a metadata-only copy; the write then copies its
     * data. A kill at any point of that copy leaves the marked file (read from below, the chmod
     * kept) or the whole new file: never a partial one. The remount is without the option, which
     * still reads marked files.
     */
    @Test
    void sigkillDuringTheDataCopyOfAMetadataOnlyCopyLeavesItMarkedOrWhole() throws Exception {
        long[] extraDelayMs = {0, 80 + rnd.nextInt(400), rnd.nextInt(900)};
        for (long delay : extraDelayMs) {
            freshRound();
            daemon = Daemon.mount(lower, upper, work, mnt, false, tmp.resolve("daemon.log"), ",metacopy=on");
            Path big = mnt.resolve("big");
            Sh2.run(30, "chmod", "600", big.toString()).requireOk();
            assertEquals(BIG, Files.size(upper.resolve("big")), "metadata-only copy has the lower size; " + ctx());
            // Marked, so the write below copies its data (a whole copy at the chmod would leave
            // this test nothing to kill).
            Sh2.run(30, "getfattr", "-n", "trusted.overlay.metacopy", upper.resolve("big").toString()).requireOk();
            patchKillAndCheck("metacopy data copy", delay, delay == extraDelayMs[2]);
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(big)), "the chmod survives; " + ctx());
            assertEquals(BIG, Files.size(upper.resolve("big")), "partial upper file; " + ctx());
            assertEquals(0, daemon.stop(), ctx());
            assertEquals(List.of(), scratch(), "workdir leftovers after clean unmount");
        }
    }

    /** tree/ merged: lower files, two of them whited out, one upper file. */
    private Map<String, String> prepareTree() throws Exception {
        mountIt(false);
        Files.delete(mnt.resolve("tree/d00/f00"));
        Files.delete(mnt.resolve("tree/d05/f07"));
        Files.writeString(mnt.resolve("tree/d03/new"), "upper-new");
        Map<String, String> expected = Trees.snapshot(mnt.resolve("tree"));
        assertFalse(expected.containsKey("d00/f00"));
        assertEquals(10 + 300 - 2 + 1 + 1, expected.size());
        return expected;
    }

    @Test
    void sigkillDuringRenameOfMergedDirectoryLeavesOneWholeTree() throws Exception {
        for (int i = 0; i < 3; i++) {
            freshRound();
            Map<String, String> expected = prepareTree();
            Process mv = background("mv " + mnt.resolve("tree") + " " + mnt.resolve("moved"));
            if (i == 0) awaitScratchOrEnd(mv, 10_000);
            Thread.sleep(rnd.nextInt(i == 0 ? 50 : 1500));
            note("rename", mv);
            killAndRemount();
            int mvExit = finish(mv);

            boolean atOld = Files.exists(mnt.resolve("tree"));
            boolean atNew = Files.exists(mnt.resolve("moved"));
            assertNotEquals(atOld, atNew, "tree at both or neither name; " + ctx());
            if (mvExit == 0) assertTrue(atNew, "acknowledged rename lost; " + ctx());
            assertEquals(expected, Trees.snapshot(mnt.resolve(atOld ? "tree" : "moved")), "tree changed; " + ctx());

            // The stack keeps working: finish the move, change inside the moved tree.
            if (atOld) Sh2.run(120, "mv", mnt.resolve("tree").toString(), mnt.resolve("moved").toString()).requireOk();
            Files.writeString(mnt.resolve("moved/d00/f00"), "again");
            expected.put("d00/f00", "again");
            assertEquals(expected, Trees.snapshot(mnt.resolve("moved")));
            assertFalse(Files.exists(mnt.resolve("tree")));
            assertEquals(0, daemon.stop(), ctx());
        }
    }

    @Test
    void sigkillDuringRemovalOfLowerFilesLeavesEachFileWholeOrGone() throws Exception {
        Map<String, String> original = Trees.snapshot(lower.resolve("many"));
        for (int i = 0; i < 3; i++) {
            freshRound();
            mountIt(false);
            Process rm = background("rm -rf " + mnt.resolve("many"));
            Thread.sleep(rnd.nextInt(i == 0 ? 30 : 250));
            note("rm", rm);
            killAndRemount();
            finish(rm);

            Path many = mnt.resolve("many");
            if (Files.exists(many)) {
                Map<String, String> now = Trees.snapshot(many);
                for (Map.Entry<String, String> e : now.entrySet()) {
                    assertEquals(original.get(e.getKey()), e.getValue(), "unexpected entry " + e.getKey() + "; " + ctx());
                }
            }
            Sh2.run(120, "rm", "-rf", many.toString()).requireOk();
            assertFalse(Files.exists(many));
            assertEquals(original, Trees.snapshot(lower.resolve("many")), "lower changed");
            Files.createDirectory(many);
            assertEquals(List.of(), Trees.names(many), "removed lower files came back under a new directory");
            assertEquals(0, daemon.stop(), ctx());
        }
    }

    @Test
    void volatileSessionKilledIsRefusedAtNextMountWithAClearMessage() throws Exception {
        freshRound();
        mountIt(true);
        Files.writeString(mnt.resolve("written"), "maybe torn");
        assertTrue(Files.exists(work.resolve("work/incompat/volatile")));
        daemon.kill9();
        Path log = tmp.resolve("refused.log");
        try (Daemon again = Daemon.start(lower, upper, work, mnt, false, log)) {
            assertTrue(again.process().waitFor(60, TimeUnit.SECONDS), "refusing daemon did not exit");
            assertNotEquals(0, again.process().exitValue());
            String msg = again.logText();
            assertTrue(msg.contains("volatile") && msg.contains("stratafs"), msg);
            assertFalse(Mounts.fuseAt(mnt), "mounted anyway");
        }
        // A volatile session that ends cleanly leaves the upper mountable.
        freshRound();
        mountIt(true);
        Files.writeString(mnt.resolve("written"), "whole");
        assertEquals(0, daemon.stop(), ctx());
        assertFalse(Files.exists(work.resolve("work/incompat")));
        mountIt(false);
        assertEquals("whole", Files.readString(mnt.resolve("written")));
        assertEquals(0, daemon.stop());
    }

    static Map<String, String> sorted(Map<String, String> m) {
        return new TreeMap<>(m);
    }
}
