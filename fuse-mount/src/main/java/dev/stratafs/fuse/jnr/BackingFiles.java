package dev.stratafs.fuse.jnr;

import dev.stratafs.core.OpenFile;
import dev.stratafs.fuse.errno.Errno;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntSupplier;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which open replies hand a file's reads and writes to the kernel (FOPEN_PASSTHROUGH with a
 * backing id from FUSE_DEV_IOC_BACKING_OPEN), per kernel node.
 *
 * <p>Only handles on upper files qualify ({@link OpenFile#stableFd}): a handle on a lower file
 * must follow a later copy-up, and the kernel cannot change a handle's backing file.
 *
 * <p>The kernel puts each inode in one I/O mode at a time (fs/fuse/iomode.c): while a file is
 * open with passthrough, every other passthrough open of that inode must name the same backing
 * id (else EBUSY), and a cached open fails (ETXTBSY); while a cached open exists, a passthrough
 * open fails. The kernel turns each of those into EIO for open(2). So a node's opens are
 * counted: a node with cached opens gets cached opens, a node with passthrough opens shares its
 * id, and an open that fits neither (another file behind the same node) bypasses the page cache
 * with FOPEN_DIRECT_IO, which takes no mode. The kernel leaves a mode before it sends RELEASE
 * (fs/fuse/file.c fuse_file_put), so these counts never fall below its own.
 */
final class BackingFiles {
    private static final Logger LOG = LoggerFactory.getLogger(BackingFiles.class);
    // fuse_kernel.h: FUSE_DEV_IOC_MAGIC 229; BACKING_OPEN _IOW(229, 1, struct fuse_backing_map
    // { s32 fd; u32 flags; u64 padding; }), BACKING_CLOSE _IOW(229, 2, u32).
    static final long IOC_BACKING_OPEN = 0x4010E501L;
    static final long IOC_BACKING_CLOSE = 0x4004E502L;

    /** How one open is replied: FOPEN_* bits and the backing id (0 without passthrough). */
    record Grant(int openFlags, int backingId) {}

    /** The ioctls on /dev/fuse; an interface so the bookkeeping is tested without a kernel. */
    interface Device {
        /** FUSE_DEV_IOC_BACKING_OPEN: a backing id, or -errno. */
        int open(int fd);

        /** FUSE_DEV_IOC_BACKING_CLOSE. */
        void close(int backingId);
    }

    private static final class Node {
        int backingId = -1;
        long ino;
        int passthrough;
        int cached;
    }

    private record Open(long node, boolean passthrough) {}

    private final Device device;
    private volatile boolean enabled;
    /** Set once an open is counted: from then on releases must be looked up. */
    private volatile boolean counting;
    // Guarded by this.
    private final Map<Long, Node> nodes = new HashMap<>();
    private final Map<Long, Open> opens = new HashMap<>();
    private boolean loggedFailure;

    BackingFiles(Device device) {
        this.device = device;
    }

    /** The ioctls on the /dev/fuse descriptor {@code fd} gives (known once the session is mounted). */
    static Device device(LibFuse3 lib, IntSupplier devFd) {
        Runtime rt = Runtime.getSystemRuntime();
        ThreadLocal<Pointer> arg = ThreadLocal.withInitial(() -> Memory.allocateDirect(rt, 16, true));
        return new Device() {
            @Override
            public int open(int backingFd) {
                Pointer map = arg.get();
                map.putInt(0, backingFd);
                map.putInt(4, 0);
                map.putLong(8, 0);
                int id = lib.ioctl(devFd.getAsInt(), IOC_BACKING_OPEN, map);
                return id >= 0 ? id : -rt.getLastError();
            }

            @Override
            public void close(int backingId) {
                Pointer id = arg.get();
                id.putInt(0, backingId);
                if (lib.ioctl(devFd.getAsInt(), IOC_BACKING_CLOSE, id) < 0) {
                    LOG.debug("FUSE_DEV_IOC_BACKING_CLOSE {}: errno {}", backingId, rt.getLastError());
                }
            }
        };
    }

    /** From INIT on: the kernel granted passthrough. */
    void enable() {
        enabled = true;
    }

    boolean enabled() {
        return enabled;
    }

    /**
     * How to reply the open of handle {@code fh} on {@code node}; {@code cachedFlags} are the
     * FOPEN_* bits of an open without passthrough. Every handle granted here is given back with
     * {@link #release}.
     */
    Grant open(long node, long fh, OpenFile f, int cachedFlags) {
        if (!enabled && !counting) return new Grant(cachedFlags, 0);
        // Turned off after some opens passed through: register nothing new, but keep the nodes
        // that still have passthrough opens out of the cached mode.
        int fd = enabled ? f.stableFd() : -1;
        synchronized (this) {
            Node n = nodes.computeIfAbsent(node, k -> new Node());
            if (n.passthrough > 0) {
                if (fd >= 0 && f.ino() == n.ino) return passthrough(n, node, fh);
                // Another file behind this node (a lower handle, or the node's path now names
                // another object): no I/O mode, so it cannot clash with the passthrough opens.
                return new Grant(FuseWire.FOPEN_NOFLUSH | FuseWire.FOPEN_DIRECT_IO, 0);
            }
            if (fd >= 0 && n.cached == 0) {
                int id = device.open(fd);
                if (id >= 0) {
                    n.backingId = id;
                    n.ino = f.ino();
                    return passthrough(n, node, fh);
                }
                if (!failed(id, f)) {
                    // This node may have passed through before, with writes the page cache
                    // never saw: open without keep_cache, so the kernel drops the cached pages.
                    n.cached++;
                    count(fh, new Open(node, false));
                    return new Grant(cachedFlags & ~FuseWire.FOPEN_KEEP_CACHE, 0);
                }
            }
            n.cached++;
            count(fh, new Open(node, false));
            return new Grant(cachedFlags, 0);
        }
    }

    private Grant passthrough(Node n, long node, long fh) {
        n.passthrough++;
        count(fh, new Open(node, true));
        return new Grant(FuseWire.FOPEN_NOFLUSH | FuseWire.FOPEN_PASSTHROUGH, n.backingId);
    }

    private void count(long fh, Open o) {
        opens.put(fh, o);
        counting = true;
    }

    /**
     * Notes a refused backing file. Returns true when no open will pass from now on (passthrough
     * turned off), false for a refusal of this open only.
     */
    private boolean failed(int err, OpenFile f) {
        if (err == -Errno.EPERM || err == -Errno.ELOOP) {
            // EPERM: not CAP_SYS_ADMIN in the initial user namespace; ELOOP: the layer is on a
            // stacked filesystem (an overlay), deeper than max_stack_depth (fs/fuse/backing.c).
            // Both hold for every file, so the mount is served as without passthrough.
            enabled = false;
            LOG.info("passthrough off: the kernel refused a backing file for {} ({})", f.path(),
                    err == -Errno.EPERM ? "EPERM: it needs CAP_SYS_ADMIN" : "ELOOP: the layer is on a stacked filesystem");
            return true;
        }
        if (!loggedFailure) {
            loggedFailure = true;
            LOG.info("no passthrough for {} (errno {}); such opens are served by stratafs", f.path(), -err);
        }
        return false;
    }

    /** Gives back the grant of {@code fh}; the last passthrough open of a node closes its backing id. */
    void release(long fh) {
        if (!counting) return;
        int close = -1;
        synchronized (this) {
            Open o = opens.remove(fh);
            if (o == null) return;
            Node n = nodes.get(o.node());
            if (o.passthrough()) {
                if (--n.passthrough == 0) {
                    close = n.backingId;
                    n.backingId = -1;
                }
            } else {
                n.cached--;
            }
            if (n.passthrough == 0 && n.cached == 0) nodes.remove(o.node());
        }
        if (close >= 0) device.close(close);
    }

    /** Nodes with opens counted here (tests: nothing is left once every handle is released). */
    synchronized int trackedNodes() {
        return nodes.size();
    }
}
