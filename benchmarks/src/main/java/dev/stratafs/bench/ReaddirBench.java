package dev.stratafs.bench;

import dev.stratafs.core.DirEntry;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
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
 * readdir through {@link OverlayFs} of one directory merged from 1/8/32 lower layers, showing
 * 100 or 10,000 entries. Name i lives in layer i % layers; every 10th name is also in the next
 * layer down (so the merge has duplicates to drop).
 *
 * <pre>
 * l0/d/e00000 l0/d/e00008 ...   (layers = 8)
 * l1/d/e00001 l1/d/e00009 ... l1/d/e00000 (duplicate, hidden by l0)
 * </pre>
 * Warm: the per-directory lower index is built on the first call and reused.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReaddirBench {
    @Param({"1", "8", "32"})
    public int layers;

    @Param({"100", "10000"})
    public int entries;

    /** 1: one-byte files; 0: empty files, which the resolver checks for xattr whiteouts (2 getxattr each). */
    @Param({"1", "0"})
    public int fileBytes;

    private Path root;
    private OverlayFs fs;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        root = Fixtures.newRoot("readdir");
        List<Path> lowers = Fixtures.lowers(root, layers);
        for (int i = 0; i < entries; i++) {
            String name = String.format("d/e%05d", i);
            make(lowers.get(i % layers).resolve(name));
            if (layers > 1 && i % 10 == 0) make(lowers.get((i + 1) % layers).resolve(name));
        }
        fs = OverlayFs.open(StackConfig.builder().lowers(lowers)
                .upper(Fixtures.dir(root, "upper"), Fixtures.dir(root, "work")).build());
        int n = fs.readdir("/d").size();
        if (n != entries) throw new IllegalStateException("merged listing has " + n + " entries, want " + entries);
    }

    private void make(Path p) throws java.io.IOException {
        if (fileBytes == 0) Fixtures.empty(p); else Fixtures.small(p);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (fs != null) fs.close();
        Fixtures.deleteTree(root);
    }

    @Benchmark
    public List<DirEntry> readdir() throws Exception {
        return fs.readdir("/d");
    }
}
