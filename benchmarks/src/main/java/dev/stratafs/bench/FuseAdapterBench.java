package dev.stratafs.bench;

import dev.stratafs.core.Caller;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.fuse.FsBackend;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.HandleTable;
import dev.stratafs.fuse.jnr.StrataFuse;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * Per-call cost of the jnr-fuse adapter without the kernel: {@link StrataFuse#getattr} and a
 * 128 KiB {@link StrataFuse#read} called directly with native structs allocated once. Next to
 * them the same core calls without the adapter, so the difference is the adapter's share
 * (struct filling, guard, handle table, copy from the heap buffer into native memory).
 *
 * <pre>
 * l1/a/b/file   4 MiB random
 * l0/a/b/other  (so /a/b is merged from two layers)
 * </pre>
 * The file handle is put into the adapter's handle table by reflection: the adapter's open()
 * asks libfuse for the request context (fuse_get_context), which is only valid on a FUSE loop
 * thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FuseAdapterBench {
    private static final int CHUNK = 128 * 1024;
    private static final long FILE = 4L << 20;

    private Path root;
    private OverlayFs fs;
    private StrataFuse fuse;
    private FileStat stat;
    private FuseFileInfo fi;
    private Pointer buf;
    private OpenFile file;
    private byte[] heap;
    private long offset;
    private FileChannel channel;
    private final ByteBuffer direct = ByteBuffer.allocateDirect(CHUNK);

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        root = Fixtures.newRoot("fuse");
        List<Path> lowers = Fixtures.lowers(root, 2);
        Fixtures.randomFile(lowers.get(1).resolve("a/b/file"), FILE);
        Fixtures.small(lowers.get(0).resolve("a/b/other"));
        fs = OverlayFs.open(StackConfig.builder().lowers(lowers)
                .upper(Fixtures.dir(root, "upper"), Fixtures.dir(root, "work")).build());
        fuse = new StrataFuse(FsBackend.of(fs), FuseOptions.builder().build());
        Runtime rt = Runtime.getSystemRuntime();
        stat = FileStat.of(Memory.allocateDirect(rt, Struct.size(new FileStat(rt))));
        fi = FuseFileInfo.of(Memory.allocateDirect(rt, 64, true)); // >= sizeof(struct fuse_file_info), libfuse 2
        buf = Memory.allocateDirect(rt, CHUNK);
        heap = new byte[CHUNK];
        file = fs.open("/a/b/file", 0, Caller.of(0, 0));
        Field f = StrataFuse.class.getDeclaredField("files");
        f.setAccessible(true);
        @SuppressWarnings("unchecked")
        HandleTable<OpenFile> files = (HandleTable<OpenFile>) f.get(fuse);
        fi.fh.set(files.add(fs.open("/a/b/file", 0, Caller.of(0, 0))));
        channel = FileChannel.open(lowers.get(1).resolve("a/b/file"));
        if (fuse.getattr("/a/b/file", stat) != 0 || stat.st_size.longValue() != FILE) throw new IllegalStateException("getattr");
        if (fuse.read("/a/b/file", buf, CHUNK, 0, fi) != CHUNK) throw new IllegalStateException("read");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (channel != null) channel.close();
        if (file != null) file.close();
        if (fs != null) fs.close();
        Fixtures.deleteTree(root);
    }

    private long nextOffset() {
        long o = offset;
        offset = (o + CHUNK) % FILE;
        return o;
    }

    @Benchmark
    public int adapterGetattr() {
        return fuse.getattr("/a/b/file", stat);
    }

    @Benchmark
    public Object coreGetattr() throws Exception {
        return fs.getattr("/a/b/file");
    }

    @Benchmark
    public int adapterRead128k() {
        return fuse.read("/a/b/file", buf, CHUNK, nextOffset(), fi);
    }

    @Benchmark
    public int coreRead128k() throws Exception {
        return file.read(heap, 0, CHUNK, nextOffset());
    }

    /** The floor: one pread(2) of 128 KiB into a direct buffer through the JDK. */
    @Benchmark
    public int jdkPread128k() throws Exception {
        direct.clear();
        return channel.read(direct, nextOffset());
    }
}
