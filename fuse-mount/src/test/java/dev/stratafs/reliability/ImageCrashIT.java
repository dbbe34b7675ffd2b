package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stratafs.fuse.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL of `stratafs image import` and `stratafs image commit` at random moments: the store
 * never shows a half image or a half layer, `image gc` removes the staging leftovers, and the
 * same command run again gives the complete result. Image (made with umoci):
 * <pre>
 *   layer 1: /big (96 MiB random)   /small "s"
 * </pre>
 * and an upper dir for commit: /big2 (96 MiB random), /note "n".
 */
class ImageCrashIT {
    private static final int ROUNDS = 3;
    private Path dir;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/umoci")), "umoci is not installed (scripts/provision.sh installs it)");
        dir = Files.createTempDirectory(Path.of("/tmp"), "stratafs-imgcrash");
        Sh.Result r = Sh2.sh(300, "cd " + dir + " && umoci init --layout L && umoci new --image L:x && umoci unpack --image L:x B"
                + " && head -c 100663296 /dev/urandom > B/rootfs/big && cp B/rootfs/big big.orig && echo s > B/rootfs/small"
                + " && umoci repack --image L:x B && rm -rf B"
                + " && mkdir -p upper && head -c 100663296 /dev/urandom > upper/big2 && echo n > upper/note");
        assertEquals(0, r.exit(), r.err());
    }

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : started) {
            if (p.isAlive()) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (dir != null) Sh2.run(120, "rm", "-rf", dir.toString());
    }

    @Test
    void killedImportLeavesNoHalfImageAndRerunCompletes() throws Exception {
        Path store = dir.resolve("store");
        Random rnd = new Random(Long.getLong("stratafs.crash.seed", System.nanoTime()));
        for (int round = 0; round < ROUNDS; round++) {
            // A fresh store each round: a layer already stored is not unpacked again, so a second
            // import into the same store would be over before any kill.
            store = dir.resolve("store" + round);
            killDuring(rnd, 250, 1000, "image", "--store", store.toString(), "import", dir.resolve("L") + ":x", "--tag", "x");
            assertStoreConsistent(store);
        }
        Sh.Result imp = stratafs(180, "image", "--store", store.toString(), "import", dir.resolve("L") + ":x", "--tag", "x");
        assertEquals(0, imp.exit(), imp.err());
        assertLayerHolds(store, "x", "big", dir.resolve("big.orig"));
    }

    @Test
    void killedCommitLeavesNoHalfImageAndRerunCompletes() throws Exception {
        Path store = dir.resolve("store");
        Sh.Result imp = stratafs(180, "image", "--store", store.toString(), "import", dir.resolve("L") + ":x", "--tag", "x");
        assertEquals(0, imp.exit(), imp.err());
        Random rnd = new Random(Long.getLong("stratafs.crash.seed", System.nanoTime()));
        for (int round = 0; round < ROUNDS; round++) {
            killDuring(rnd, 300, 2500, "image", "--store", store.toString(), "commit", "--from", "x", "--upper", dir.resolve("upper").toString(), "--tag", "y");
            assertStoreConsistent(store);
        }
        Sh.Result c = stratafs(300, "image", "--store", store.toString(), "commit", "--from", "x", "--upper", dir.resolve("upper").toString(), "--tag", "y");
        assertEquals(0, c.exit(), c.err());
        Sh.Result layers = stratafs(60, "image", "--store", store.toString(), "layers", "y");
        assertEquals(0, layers.exit(), layers.err());
        Path top = Path.of(layers.out().strip().split(":")[0]);
        assertEquals(-1L, Files.mismatch(top.resolve("big2"), dir.resolve("upper/big2")), "committed layer holds the whole file");
    }

    /** Starts the command, kills it with SIGKILL after a random delay (it may also finish first). */
    private void killDuring(Random rnd, int minMs, int spreadMs, String... args) throws Exception {
        Process p = new ProcessBuilder(command(args)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        long delay = minMs + rnd.nextInt(spreadMs);
        if (!p.waitFor(delay, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "killed command did not die");
            System.out.println("ImageCrashIT: " + args[3] + " killed after " + delay + " ms");
        } else {
            // Timing, not a promise: reported like CrashIT's kill points, not asserted.
            System.out.println("ImageCrashIT: " + args[3] + " finished before the kill at " + delay + " ms");
        }
    }

    /** Every image the store lists is whole (each layer directory exists); gc removes leftovers. */
    private void assertStoreConsistent(Path store) throws Exception {
        Sh.Result ls = stratafs(60, "image", "--store", store.toString(), "ls", "-q");
        assertEquals(0, ls.exit(), "the store stays readable after a kill: " + ls.err());
        for (String name : ls.out().lines().filter(l -> !l.isBlank()).toList()) {
            Sh.Result layers = stratafs(60, "image", "--store", store.toString(), "layers", name.strip());
            assertEquals(0, layers.exit(), layers.err());
            for (String l : layers.out().strip().split(":")) {
                assertTrue(Files.isDirectory(Path.of(l)), "listed image " + name + " has its layer " + l);
            }
        }
        Sh.Result gc = stratafs(120, "image", "--store", store.toString(), "gc");
        assertEquals(0, gc.exit(), gc.err());
        Path tmp = store.resolve("tmp");
        if (Files.isDirectory(tmp)) {
            try (Stream<Path> s = Files.list(tmp)) {
                assertEquals(List.of(), s.map(Path::toString).filter(x -> !x.endsWith(".lock")).toList(), "gc leaves no staging");
            }
        }
    }

    /** The image's top layer holds {@code file} with exactly the bytes of {@code original}. */
    private void assertLayerHolds(Path store, String ref, String file, Path original) throws Exception {
        Sh.Result layers = stratafs(60, "image", "--store", store.toString(), "layers", ref);
        assertEquals(0, layers.exit(), layers.err());
        Path top = Path.of(layers.out().strip().split(":")[0]);
        assertEquals(-1L, Files.mismatch(top.resolve(file), original), "the imported layer holds the whole file");
    }

    private Sh.Result stratafs(int seconds, String... args) throws Exception {
        return Sh2.run(seconds, command(args).toArray(new String[0]));
    }

    private static List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "dev.stratafs.cli.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
