package dev.stratafs.bench;

import dev.stratafs.fuse.jnr.LibFuseLoop;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What the FUSE loop's reply channel (dev.stratafs.fuse.jnr.ReplyChannel, which sees every
 * reply on its way to the kernel) adds per reply: libfuse's fuse_chan_send through it (the
 * native-to-Java upcall, the look at a GETATTR reply, the call on to the kernel channel) against
 * fuse_chan_send straight to the kernel channel. No kernel: a channel whose send is libc getpid
 * (a native function that ignores its arguments) stands in for /dev/fuse. {@code nlink} 1 leaves
 * the reply alone, 2 makes the channel zero its attribute validity.
 *
 * <p>Scope.Thread: the reply channel finds the request being answered through a thread-local
 * set by the worker (here the setup, which JMH runs on the benchmark thread). ReplyChannel is
 * package-private, so it is reached by reflection.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ReplyChannelBench {
    /** include/uapi/linux/fuse.h: FUSE_GETATTR; fuse_attr_out is 104 bytes, mode/nlink at 16+60/16+64. */
    private static final int FUSE_GETATTR = 3;
    private static final int ATTR_OUT = 104;

    @Param({"1", "2"})
    public int nlink;

    private LibFuseLoop lib;
    private Pointer kernel;
    private Pointer replies;
    private Pointer iov;
    private Pointer arg;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        lib = LibraryLoader.create(LibFuseLoop.class).failImmediately().load("libfuse.so.2");
        Runtime rt = Runtime.getSystemRuntime();
        int a = rt.addressSize();
        long getpid = com.kenai.jffi.Library.getCachedInstance("libc.so.6", com.kenai.jffi.Library.LAZY)
                .getSymbolAddress("getpid");
        Pointer ops = Memory.allocateDirect(rt, 3 * a, true); // struct fuse_chan_ops { receive; send; destroy; }
        ops.putAddress(a, getpid);
        kernel = lib.fuse_chan_new(ops, -1, 0x21000, null);

        Class<?> c = Class.forName("dev.stratafs.fuse.jnr.ReplyChannel");
        Constructor<?> make = c.getDeclaredConstructor(LibFuseLoop.class, Pointer.class);
        make.setAccessible(true);
        Object channel = make.newInstance(lib, kernel);
        Method pointer = c.getDeclaredMethod("pointer");
        pointer.setAccessible(true);
        replies = (Pointer) pointer.invoke(channel);

        Pointer request = Memory.allocateDirect(rt, 4096, true); // fuse_in_header: len, opcode, unique
        request.putInt(0, 56);
        request.putInt(4, FUSE_GETATTR);
        request.putLong(8, 7);
        Method bind = c.getDeclaredMethod("bindWorker", Pointer.class);
        bind.setAccessible(true);
        bind.invoke(channel, request);

        Pointer header = Memory.allocateDirect(rt, 16, true); // fuse_out_header: len, error, unique
        header.putInt(0, 16 + ATTR_OUT);
        header.putLong(8, 7);
        arg = Memory.allocateDirect(rt, ATTR_OUT, true);
        arg.putInt(16 + 60, 0100644);
        arg.putInt(16 + 64, nlink);
        iov = Memory.allocateDirect(rt, 4 * a, true); // struct iovec[2]
        iov.putPointer(0, header);
        iov.putAddress(a, 16);
        iov.putPointer(2L * a, arg);
        iov.putAddress(3L * a, ATTR_OUT);
    }

    /** Each reply with attributes valid for 10^9 s, as libfuse fills it. */
    private void refill() {
        arg.putLong(0, 1_000_000_000L);
    }

    @Benchmark
    public int directSend() {
        refill();
        return lib.fuse_chan_send(kernel, iov, 2);
    }

    @Benchmark
    public int throughReplyChannel() {
        refill();
        return lib.fuse_chan_send(replies, iov, 2);
    }
}
