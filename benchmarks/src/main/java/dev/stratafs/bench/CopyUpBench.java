package dev.stratafs.bench;

import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_APPEND;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_CREAT;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_EXCL;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_RDONLY;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_WRONLY;

import dev.stratafs.core.Caller;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * Copy-up of one lower file of 4 KiB .. 256 MiB through {@link OverlayFs}, next to plain copies
 * of the same file on the same filesystem.
 *
 * <pre>
 * root/lower/f     random bytes (no holes)
 * root/upper/      emptied before every invocation (not timed)
 * root/work/
 * root/dst         target of the baselines, deleted before every invocation
 * </pre>
 * stratafs fsyncs the copy before renaming it into place (crash safety, overlayfs.rst "Non-volatile
 * overlay"); the plain baselines do not, so {@code filesCopyFsync} and {@code stratafsAppendNoFsync}
 * (volatile mode) are the like-for-like pairs. Warm page cache for the source.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class CopyUpBench {
    private static final byte[] ONE = {'!'};

    /** The lower file, created once per trial. */
    @State(Scope.Benchmark)
    public static class Lower {
        @Param({"4096", "1048576", "67108864", "268435456"})
        public long size;

        Path root;
        Path lower;
        Path upper;
        Path work;
        Path dst;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            root = Fixtures.newRoot("copyup");
            lower = Fixtures.dir(root, "lower");
            upper = Fixtures.dir(root, "upper");
            work = Fixtures.dir(root, "work");
            dst = root.resolve("dst");
            Fixtures.randomFile(lower.resolve("f"), size);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            Fixtures.deleteTree(root);
        }

        OverlayFs freshMount(boolean fsync) throws Exception {
            Files.deleteIfExists(upper.resolve("f"));
            return OverlayFs.open(StackConfig.builder().lower(lower).upper(upper, work).fsync(fsync).build());
        }
    }

    /** A stack with an upper that does not have /f yet; reopened before every invocation. */
    @State(Scope.Thread)
    public static class Fresh {
        OverlayFs fs;

        @Setup(Level.Invocation)
        public void setUp(Lower l) throws Exception {
            fs = l.freshMount(true);
        }

        /** A closed stack leaves no volatile-session marker behind (overlayfs.rst "Volatile mount"). */
        @TearDown(Level.Invocation)
        public void tearDown() {
            fs.close();
        }
    }

    @State(Scope.Thread)
    public static class FreshVolatile {
        OverlayFs fs;

        @Setup(Level.Invocation)
        public void setUp(Lower l) throws Exception {
            fs = l.freshMount(false);
        }

        /** A closed stack leaves no volatile-session marker behind (overlayfs.rst "Volatile mount"). */
        @TearDown(Level.Invocation)
        public void tearDown() {
            fs.close();
        }
    }

    /** No destination file yet. */
    @State(Scope.Thread)
    public static class FreshDst {
        @Setup(Level.Invocation)
        public void setUp(Lower l) throws Exception {
            Files.deleteIfExists(l.dst);
        }
    }

    /** First append to a lower file: open(O_WRONLY|O_APPEND) copies it up, then one byte is written. */
    @Benchmark
    public int stratafsAppend(Fresh s) throws Exception {
        try (OpenFile f = s.fs.open("/f", O_WRONLY | O_APPEND, Caller.of(0, 0))) {
            return f.write(ONE, 0, 1, 0);
        }
    }

    @Benchmark
    public int stratafsAppendNoFsync(FreshVolatile s) throws Exception {
        try (OpenFile f = s.fs.open("/f", O_WRONLY | O_APPEND, Caller.of(0, 0))) {
            return f.write(ONE, 0, 1, 0);
        }
    }

    /** chmod of a lower file: a copy-up (data included, as the kernel without metacopy) then chmod. */
    @Benchmark
    public void stratafsChmod(Fresh s) throws Exception {
        s.fs.chmod("/f", 0600);
    }

    @Benchmark
    public long filesCopy(Lower l, FreshDst d) throws Exception {
        Files.copy(l.lower.resolve("f"), l.dst);
        return 0;
    }

    @Benchmark
    public long filesCopyFsync(Lower l, FreshDst d) throws Exception {
        Files.copy(l.lower.resolve("f"), l.dst);
        try (FileChannel c = FileChannel.open(l.dst, StandardOpenOption.WRITE)) {
            c.force(true);
        }
        return 0;
    }

    /** The core's own FICLONE / copy_file_range(2) routine on two plain files: the copy without the protocol. */
    @Benchmark
    public NativeOs.CopyMethod copyFileRange(Lower l, FreshDst d) throws Exception {
        NativeOs os = Natives.get();
        int in = os.open(l.lower.resolve("f"), O_RDONLY, 0);
        try {
            int out = os.open(l.dst, O_WRONLY | O_CREAT | O_EXCL, 0644);
            try {
                return os.copyFile(in, out, l.size);
            } finally {
                os.close(out);
            }
        } finally {
            os.close(in);
        }
    }

    /** cp(1) as a shell user would copy; includes fork/exec of cp (~1 ms). */
    @Benchmark
    public int cpReflinkAuto(Lower l, FreshDst d) throws Exception {
        Process p = new ProcessBuilder("cp", "--reflink=auto", l.lower.resolve("f").toString(), l.dst.toString())
                .inheritIO().start();
        return p.waitFor();
    }
}
