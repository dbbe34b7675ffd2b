package dev.stratafs.bench;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.nat.StatInfo;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The floor under the lookup and readdir numbers: one lstat of a host file through the core's
 * native layer (statx via jnr-ffi) and through the JDK, and one miss. A merged-view getattr costs
 * a small number of these (see docs/benchmarks.md for the counts).
 *
 * <pre>
 * root/a/b/c/target   100 bytes
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SyscallFloorBench {
    private Path root;
    private Path target;
    private Path absent;
    private NativeOs os;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        root = Fixtures.newRoot("floor");
        target = root.resolve("a/b/c/target");
        absent = root.resolve("a/b/c/absent");
        Fixtures.randomFile(target, 100);
        os = Natives.get();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        Fixtures.deleteTree(root);
    }

    @Benchmark
    public StatInfo nativeLstat() throws Exception {
        return os.lstat(target);
    }

    @Benchmark
    public StatInfo nativeLstatMissing() throws Exception {
        return os.lstatOrNull(absent);
    }

    @Benchmark
    public BasicFileAttributes jdkLstat() throws Exception {
        return Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }
}
