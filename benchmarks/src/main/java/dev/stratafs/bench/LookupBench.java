package dev.stratafs.bench;

import dev.stratafs.core.FileAttr;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.core.error.FsException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * getattr through {@link OverlayFs} (no FUSE, no kernel) of an existing, a missing and a
 * whited-out path, in stacks of 1..500 lower layers, with the name in the top or the bottom layer.
 *
 * <pre>
 * upper/a/b/c/gone         (whiteout, char 0/0)
 * l0/a/b/c/own0_{0..7}     every layer adds 8 names, so /a/b/c is merged from all layers
 * ...
 * lK/a/b/c/target, lK/a/b/c/gone   K = 0 (position=top) or n-1 (position=bottom)
 * </pre>
 * The directory caches are warm after the first call (steady state of a long-lived mount).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class LookupBench {
    @Param({"1", "8", "32", "128", "500"})
    public int layers;

    @Param({"top", "bottom"})
    public String position;

    private Path root;
    private OverlayFs fs;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        root = Fixtures.newRoot("lookup");
        List<Path> lowers = Fixtures.lowers(root, layers);
        for (int i = 0; i < layers; i++) {
            for (int k = 0; k < 8; k++) Fixtures.small(lowers.get(i).resolve("a/b/c/own" + i + "_" + k));
        }
        Path at = lowers.get("top".equals(position) ? 0 : layers - 1);
        Fixtures.randomFile(at.resolve("a/b/c/target"), 100);
        Fixtures.randomFile(at.resolve("a/b/c/gone"), 100);
        Path upper = Fixtures.dir(root, "upper");
        Fixtures.whiteout(upper.resolve("a/b/c/gone"));
        Path work = Fixtures.dir(root, "work");
        fs = OverlayFs.open(StackConfig.builder().lowers(lowers).upper(upper, work).build());
        // Fail fast if the fixture does not look as intended.
        if (!fs.getattr("/a/b/c/target").isRegular()) throw new IllegalStateException("target not a file");
        if (missing("/a/b/c/gone") != 1) throw new IllegalStateException("whiteout does not hide /a/b/c/gone");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (fs != null) fs.close();
        Fixtures.deleteTree(root);
    }

    private int missing(String path) throws Exception {
        try {
            fs.getattr(path);
            return 0;
        } catch (FsException e) {
            return 1;
        }
    }

    @Benchmark
    public FileAttr existing() throws Exception {
        return fs.getattr("/a/b/c/target");
    }

    @Benchmark
    public int missing() throws Exception {
        return missing("/a/b/c/absent");
    }

    @Benchmark
    public int whitedOut() throws Exception {
        return missing("/a/b/c/gone");
    }
}
