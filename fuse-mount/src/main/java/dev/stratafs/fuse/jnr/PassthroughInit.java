package dev.stratafs.fuse.jnr;

import com.kenai.jffi.Library;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Delegate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the kernel for FUSE passthrough (Linux 6.9+, protocol 7.40) in the INIT reply, which
 * libfuse 3.14 writes without it: it knows neither the FUSE_PASSTHROUGH flag nor
 * fuse_init_out.max_stack_depth. The session's replies go through libfuse's custom I/O
 * (fuse_session_custom_io, 3.14) for the INIT reply only: this writev sets the flag and the
 * depth in place, then installs libc's writev, so every later reply is a plain native call.
 *
 * <p>The kernel grants passthrough when the reply has FUSE_PASSTHROUGH in flags2, a
 * max_stack_depth of 1 or 2 and no writeback cache (fs/fuse/inode.c process_init_reply).
 * Depth 1: backing files must sit on a non-stacked filesystem, and the mount itself can still be
 * a layer of a kernel overlay (Documentation/filesystems/fuse-passthrough.rst).
 */
final class PassthroughInit {
    private static final Logger LOG = LoggerFactory.getLogger(PassthroughInit.class);
    // fuse_kernel.h INIT flags (64 bits: flags | flags2 << 32 when FUSE_INIT_EXT is set).
    static final long FUSE_INIT_EXT = 1L << 30;
    static final long FUSE_PASSTHROUGH = 1L << 37;
    // struct fuse_init_in { u32 major, minor, max_readahead, flags, flags2; ... } after the in header.
    private static final int IN_MINOR = FuseWire.IN_HEADER + 4, IN_FLAGS = FuseWire.IN_HEADER + 12,
            IN_FLAGS2 = FuseWire.IN_HEADER + 16;
    // struct fuse_init_out { u32 major, minor, max_readahead, flags; u16 max_background,
    // congestion_threshold; u32 max_write, time_gran; u16 max_pages, map_alignment; u32 flags2,
    // max_stack_depth; ... }
    private static final int OUT_FLAGS = 12, OUT_FLAGS2 = 32, OUT_MAX_STACK_DEPTH = 36;
    static final int MAX_STACK_DEPTH = 1;

    /** struct fuse_custom_io's writev: (fd, iov, count, userdata); the userdata is unused. */
    public interface Writev {
        @Delegate long call(int fd, Pointer iov, int count, Pointer userdata);
    }

    private final LibFuse3 lib;
    private final boolean wanted;
    private final Runnable onGranted;
    private final Runtime rt = Runtime.getSystemRuntime();
    /** Strong reference: libfuse calls it until the INIT reply is out. */
    private final Writev writev = this::writev;
    private Pointer session;
    private int fd;
    private volatile long initUnique = -1;
    private volatile long kernelFlags;

    /**
     * @param wanted whether to ask at all ({@code passthrough=0} says no)
     * @param onGranted runs once the INIT reply asks for passthrough, before the kernel has it
     */
    PassthroughInit(LibFuse3 lib, boolean wanted, Runnable onGranted) {
        this.lib = lib;
        this.wanted = wanted;
        this.onGranted = onGranted;
    }

    /**
     * Routes the session's I/O through this object until the INIT reply is out. Called once,
     * after fuse_session_mount and before the first request is read.
     */
    void install(Pointer session, int fd) {
        if (!wanted) return;
        this.session = session;
        this.fd = fd;
        try {
            if (!customIo(rt.getClosureManager().getClosurePointer(Writev.class, writev))) {
                LOG.info("passthrough off: libfuse refused custom I/O");
            }
        } catch (LinkageError e) {
            // libfuse before 3.14 has no fuse_session_custom_io: serve without passthrough.
            LOG.info("passthrough off: this libfuse has no fuse_session_custom_io (3.14+): {}", e.toString());
        }
    }

    /** Notes the kernel's INIT request (struct fuse_init_in): its unique and the flags it offers. */
    void request(Pointer in, int length) {
        if (length < IN_FLAGS2 + 4) return;
        long flags = Integer.toUnsignedLong(in.getInt(IN_FLAGS));
        if (in.getInt(IN_MINOR) >= 36 && (flags & FUSE_INIT_EXT) != 0) {
            flags |= Integer.toUnsignedLong(in.getInt(IN_FLAGS2)) << 32;
        }
        kernelFlags = flags;
        initUnique = in.getLong(FuseWire.IN_UNIQUE);
    }

    private long writev(int fd, Pointer iov, int count, Pointer userdata) {
        try {
            patch(iov, count);
        } catch (RuntimeException e) {
            // A bug here must not lose the reply: the mount would hang waiting for it.
            LOG.error("asking for FUSE passthrough failed; INIT sent unchanged", e);
        }
        return lib.writev(fd, iov, count);
    }

    /** Sets the passthrough flag and depth in the INIT reply; any other reply passes untouched. */
    private void patch(Pointer iov, int count) {
        int a = rt.addressSize();
        // iov[0] is struct fuse_out_header alone, iov[1] the fuse_init_out.
        if (count != 2 || iov.getAddress(a) != FuseWire.OUT_HEADER) return;
        Pointer header = iov.getPointer(0);
        if (header.getLong(8) != initUnique || header.getInt(4) != 0) return;
        Pointer out = iov.getPointer(2L * a);
        long outLen = iov.getAddress(3L * a);
        // Whatever happens next, later replies go out through libc's writev.
        customIo(Pointer.wrap(rt, Symbols.WRITEV));
        if (outLen < OUT_MAX_STACK_DEPTH + 4) {
            LOG.info("passthrough off: INIT reply of {} bytes has no max_stack_depth", outLen);
            return;
        }
        if ((kernelFlags & FUSE_PASSTHROUGH) == 0) {
            LOG.info("passthrough off: the kernel does not offer it (needs Linux 6.9+ with CONFIG_FUSE_PASSTHROUGH)");
            return;
        }
        int flags = out.getInt(OUT_FLAGS);
        if ((flags & FUSE_INIT_EXT) == 0) {
            LOG.info("passthrough off: libfuse sent no extended INIT flags");
            return;
        }
        out.putInt(OUT_FLAGS2, out.getInt(OUT_FLAGS2) | (int) (FUSE_PASSTHROUGH >>> 32));
        out.putInt(OUT_MAX_STACK_DEPTH, MAX_STACK_DEPTH);
        onGranted.run();
        LOG.debug("asked for FUSE passthrough (max_stack_depth {})", MAX_STACK_DEPTH);
    }

    /** fuse_session_custom_io with {@code writev}, libc's read and splice: false if libfuse refused. */
    private boolean customIo(Pointer writevFn) {
        // struct fuse_custom_io { writev; read; splice_receive; splice_send; } (fuse_lowlevel.h
        // 3.14). libc's read and splice take the same arguments but the trailing userdata, which
        // the callee ignores in the x86_64 and aarch64 calling conventions. splice_send keeps
        // libfuse splicing READ replies; no splice_receive, as without custom I/O (no SPLICE_READ).
        // libfuse copies the struct, so it may be freed after the call.
        int a = rt.addressSize();
        Pointer io = Memory.allocateDirect(rt, 4 * a, true);
        io.putPointer(0, writevFn);
        io.putAddress(a, Symbols.READ);
        io.putAddress(3L * a, Symbols.SPLICE);
        return lib.fuse_session_custom_io(session, io, fd) == 0;
    }

    /** libc entry points, resolved on first use. */
    private static final class Symbols {
        private static final Library LIBC = Library.getDefault();
        static final long WRITEV = LIBC.getSymbolAddress("writev");
        static final long READ = LIBC.getSymbolAddress("read");
        static final long SPLICE = LIBC.getSymbolAddress("splice");
    }
}
