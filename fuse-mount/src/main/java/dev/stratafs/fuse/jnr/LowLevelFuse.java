package dev.stratafs.fuse.jnr;

import dev.stratafs.core.AttrChange;
import dev.stratafs.core.Caller;
import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.fuse.DirListings;
import dev.stratafs.fuse.DirSnapshot;
import dev.stratafs.fuse.AclNames;
import dev.stratafs.fuse.CallbackThreads;
import dev.stratafs.fuse.FsBackend;
import dev.stratafs.fuse.FuseEngine;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.HandleTable;
import dev.stratafs.fuse.IdMapper;
import dev.stratafs.fuse.OpenFiles;
import dev.stratafs.fuse.NodeTable;
import dev.stratafs.fuse.RequestGuard;
import dev.stratafs.fuse.XattrListing;
import dev.stratafs.fuse.errno.Errno;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * The libfuse 3 low-level (inode based) face of a {@link FsBackend}, {@code -o lowlevel}. The
 * kernel names objects by node id; {@link NodeTable} turns them into the merged-view paths the
 * core takes (one node per inode, so hard links share a kernel inode). READDIRPLUS hands the
 * kernel attributes with the listing, so walking a tree needs no LOOKUP per entry.
 *
 * <p>Every callback answers exactly once: the body replies as its last step and returns 0; a
 * failure before that (mapped by {@link RequestGuard}) is answered with fuse_reply_err. Thread
 * safe: called from several {@link Fuse3Loop} workers.
 */
public final class LowLevelFuse implements FuseEngine {
    private static final Logger LOG = LoggerFactory.getLogger(LowLevelFuse.class);

    // fuse_common.h FUSE_CAP_* (3.14).
    private static final int CAP_ASYNC_READ = 1 << 0;
    private static final int CAP_ATOMIC_O_TRUNC = 1 << 3;
    private static final int CAP_SPLICE_WRITE = 1 << 7;
    private static final int CAP_SPLICE_MOVE = 1 << 8;
    private static final int CAP_READDIRPLUS = 1 << 13;
    private static final int CAP_READDIRPLUS_AUTO = 1 << 14;
    private static final int CAP_WRITEBACK_CACHE = 1 << 16;
    private static final int CAP_PARALLEL_DIROPS = 1 << 18;
    private static final int CAP_HANDLE_KILLPRIV = 1 << 20;
    private static final int CAP_CACHE_SYMLINKS = 1 << 23;
    private static final int CAP_NO_OPENDIR_SUPPORT = 1 << 24;
    // struct fuse_conn_info (fuse_common.h): unsigned proto_major, proto_minor, max_write,
    // max_read, max_readahead, capable, want, ...
    private static final int CONN_PROTO_MINOR = 4;
    private static final int CONN_MAX_WRITE = 8;
    private static final int CONN_CAPABLE = 20;
    private static final int CONN_WANT = 24;

    // struct fuse_file_info (fuse_common.h 3.14): int flags; then unsigned bit fields from bit 0:
    // writepage, direct_io, keep_cache, flush, nonseekable, flock_release, cache_readdir,
    // noflush (x86_64 and aarch64 allocate them from the low bit); uint64_t fh at 16.
    private static final int FI_BITS = 4;
    private static final int FI_FH = 16;
    private static final int FI_KEEP_CACHE = 1 << 2;
    private static final int FI_CACHE_READDIR = 1 << 6;
    private static final int FI_NOFLUSH = 1 << 7;

    // fuse_common.h: struct fuse_bufvec { size_t count, idx, off; struct fuse_buf buf[1]; } with
    // struct fuse_buf { size_t size; enum fuse_buf_flags flags; void *mem; int fd; off_t pos; }.
    private static final int BUFV_COUNT = 0, BUFV_IDX = 8, BUFV_OFF = 16, BUF_SIZE = 24, BUF_FLAGS = 32, BUF_MEM = 40,
            BUF_FD = 48, BUF_POS = 56, BUFV_BYTES = 64;
    private static final int BUF_IS_FD = 1 << 1, BUF_FD_SEEK = 1 << 2;
    private static final int BUF_SPLICE_MOVE = 1 << 3;

    /** renameat2(2) flags. */
    private static final int RENAME_EXCHANGE = 2;
    private static final int RENAME_WHITEOUT = 4;

    /** fuse_kernel.h: FUSE_NAME_OFFSET (struct fuse_dirent up to name) and for fuse_direntplus. */
    private static final int DIRENT_NAME_OFFSET = 24;
    private static final int DIRENTPLUS_NAME_OFFSET = 128 + 24;

    private final FsBackend fs;
    private final IdMapper ids;
    private final StatWriter stats;
    private final AclNames acls;
    private final boolean defaultPermissions;
    private final double timeout;
    private final RequestGuard guard;
    private final HandleTable<OpenFile> files = new HandleTable<>();
    private final HandleTable<DirHandle> dirs = new HandleTable<>();
    /** Listings of directories read without OPENDIR, see {@link #opendir}. */
    private final DirListings listings = new DirListings(64);
    /** Set at init: the kernel opens directories itself, with FOPEN_KEEP_CACHE|FOPEN_CACHE_DIR. */
    private volatile boolean noOpendir;
    /** Asked for with {@code writeback}; set at init when the kernel granted it. */
    private final boolean wantWriteback;
    /** {@code busy_poll=}: see {@link SpinWindow}. */
    private final int busyPollMicros;
    private volatile boolean writeback;
    /** Asks for FUSE passthrough in the INIT reply (see {@link PassthroughInit}). */
    private final PassthroughInit passthroughInit;
    /** Which open replies hand the I/O to the kernel; enabled once INIT granted passthrough. */
    private final BackingFiles backing;
    /** The /dev/fuse descriptor, from the mount on. */
    private volatile int devFd = -1;
    private final NodeTable nodes;
    private final CountDownLatch initialized = new CountDownLatch(1);
    private final CountDownLatch destroyed = new CountDownLatch(1);
    private final AtomicBoolean mounted = new AtomicBoolean();
    private volatile Runnable umountHook;
    private final CallbackThreads callbackThreads = new CallbackThreads();
    private final LibFuse3 lib;
    private final Fuse3Ops ops = new Fuse3Ops();

    /** Requests served, by operation name (tests check which requests a workload causes). */
    private final ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder> requests = new ConcurrentHashMap<>();

    private final Runtime rt = Runtime.getSystemRuntime();
    /** sizeof(struct stat) of this platform, from jnr-fuse's layout (x86_64 144, aarch64 128). */
    private final int statSize = Struct.size(new FileStat(rt));
    /** struct fuse_entry_param: fuse_ino_t ino; uint64_t generation; struct stat attr; double attr_timeout, entry_timeout. */
    private final int entryAttr = 16;
    private final int entryAttrTimeout = entryAttr + statSize;
    private final int entryEntryTimeout = entryAttrTimeout + 8;
    private final int entrySize = entryEntryTimeout + 8;
    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);

    public LowLevelFuse(FsBackend fs, FuseOptions options) {
        this.fs = fs;
        this.ids = IdMapper.of(options);
        this.stats = new StatWriter(ids, options.staticNlink());
        this.acls = new AclNames(options.noAcl());
        this.defaultPermissions = options.defaultPermissions();
        this.timeout = options.timeoutSeconds();
        this.wantWriteback = options.writeback();
        this.busyPollMicros = options.busyPollMicros();
        this.nodes = new NodeTable();
        this.guard = new RequestGuard(nodes::namesEpoch);
        // A file replaced by a rename while the kernel still knows its inode stays reachable.
        fs.keepRemovedWhile(ino -> nodes.idOfIno(ino) != 0);
        this.lib = Fuse3Loop.lib();
        this.backing = new BackingFiles(BackingFiles.device(lib, () -> devFd));
        // The kernel refuses passthrough next to the writeback cache (fs/fuse/inode.c process_init_reply).
        this.passthroughInit = new PassthroughInit(lib, options.passthrough() && !wantWriteback, backing::enable);
        registerOperations();
    }

    /** The alignment of a direct-lane reply's payload; see {@link Buffers#out}. */
    static final int PAGE = 4096;

    /** The first page boundary at least a reply header past {@code address}. */
    static long alignedPayload(long address) {
        return (address + FuseWire.OUT_HEADER + PAGE - 1) & -PAGE;
    }

    /** Per worker thread: native reply buffers, each with a jnr view bound once. */
    private final class Buffers {
        final Pointer entry = Memory.allocateDirect(rt, entrySize, true);
        final Pointer statvfs = Memory.allocateDirect(rt, Struct.size(new Statvfs(rt)), true);
        final Pointer bufv = Memory.allocateDirect(rt, BUFV_BYTES, true);
        final Statvfs statvfsView = Statvfs.of(statvfs);
        /** The memory behind {@link #out}; kept here, since {@code out} does not own it. */
        private final Pointer outMemory = Memory.allocateDirect(rt, FuseWire.OUT_HEADER + FuseWire.XATTR_SIZE_MAX + PAGE, true);
        /**
         * A direct-lane reply: header and payload (at most an xattr value, 64 KiB, or an entry).
         * The payload starts on a page boundary: a READ of a file opened O_DIRECT preads into it,
         * and O_DIRECT wants aligned memory (EINVAL otherwise, open(2) "O_DIRECT").
         */
        final Pointer out = Pointer.wrap(rt, alignedPayload(outMemory.address()) - FuseWire.OUT_HEADER);
        /** The file handle in the direct-lane reply being sent, or 0. */
        long replying;
        Pointer data = Memory.allocateDirect(rt, 64 * 1024);
        long dataSize = 64 * 1024;

        Pointer data(long size) {
            if (size > dataSize) {
                data = Memory.allocateDirect(rt, Math.toIntExact(size));
                dataSize = size;
            }
            return data;
        }
    }

    // ---- lifecycle ----

    @Override
    public void runLoop(Path mountPoint, List<String> fuseArgs, boolean debug) throws IOException {
        if (!mounted.compareAndSet(false, true)) throw new IllegalStateException("already mounted");
        List<String> argv = new ArrayList<>();
        argv.add("stratafs");
        if (debug) argv.add("-d");
        argv.addAll(fuseArgs);
        Thread hook = new Thread(() -> {
            Runnable h = umountHook;
            if (h != null) h.run();
        }, "stratafs-fuse3-shutdown " + mountPoint);
        java.lang.Runtime.getRuntime().addShutdownHook(hook);
        try {
            Fuse3Loop.run(argv, ops, mountPoint.toAbsolutePath().toString(), this::direct, SpinWindow.of(busyPollMicros),
                    (session, fd) -> {
                devFd = fd;
                passthroughInit.install(session, fd);
            });
        } finally {
            mounted.set(false);
            try {
                java.lang.Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what ended the loop
            }
        }
    }

    @Override
    public boolean awaitInit(long t, TimeUnit unit) throws InterruptedException {
        return initialized.await(t, unit);
    }

    public boolean awaitDestroy(long t, TimeUnit unit) throws InterruptedException {
        return destroyed.await(t, unit);
    }

    @Override
    public void setUmountHook(Runnable hook) {
        this.umountHook = hook;
    }

    @Override
    public RequestGuard guard() {
        return guard;
    }

    @Override
    public Set<String> callbackThreadNames() {
        return callbackThreads.names();
    }

    /** For tests: the node table (lookup counts). */
    public NodeTable nodes() {
        return nodes;
    }

    private void count(String op) {
        requests.computeIfAbsent(op, k -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    @Override
    public long requestCount(String op) {
        java.util.concurrent.atomic.LongAdder n = requests.get(op);
        return n == null ? 0 : n.sum();
    }

    private void noteThread() {
        callbackThreads.note();
    }

    /** Runs a request body that replies itself; answers its failure with fuse_reply_err. */
    private void serve(Pointer req, String op, Object what, RequestGuard.Request body) {
        noteThread();
        count(op);
        int r = guard.run(op, what, body);
        if (r < 0) lib.fuse_reply_err(req, -r);
    }

    private void registerOperations() {
        ops.set(Fuse3Ops.INIT, Fuse3Callbacks.Init.class, this::init);
        ops.set(Fuse3Ops.DESTROY, Fuse3Callbacks.Destroy.class, u -> destroy());
        ops.set(Fuse3Ops.FORGET, Fuse3Callbacks.Forget.class, this::forget);
        ops.set(Fuse3Ops.READLINK, Fuse3Callbacks.Ino.class, this::readlink);
        ops.set(Fuse3Ops.MKNOD, Fuse3Callbacks.Mknod.class, this::mknod);
        ops.set(Fuse3Ops.MKDIR, Fuse3Callbacks.Mkdir.class, this::mkdir);
        ops.set(Fuse3Ops.UNLINK, Fuse3Callbacks.InoName.class, this::unlink);
        ops.set(Fuse3Ops.RMDIR, Fuse3Callbacks.InoName.class, this::rmdir);
        ops.set(Fuse3Ops.SYMLINK, Fuse3Callbacks.Symlink.class, this::symlink);
        ops.set(Fuse3Ops.RENAME, Fuse3Callbacks.Rename.class, this::rename);
        ops.set(Fuse3Ops.LINK, Fuse3Callbacks.Link.class, this::link);
        ops.set(Fuse3Ops.READ, Fuse3Callbacks.InoSizeOff.class, this::read);
        // No flush: data reaches the layer on write; NULL here plus noflush on open means no FLUSH requests.
        // LOOKUP, GETATTR, SETATTR, OPEN, CREATE, WRITE, RELEASE, GETXATTR, LISTXATTR, READDIR and
        // READDIRPLUS never reach libfuse: see direct().
        ops.set(Fuse3Ops.FSYNC, Fuse3Callbacks.Fsync.class, this::fsync);
        ops.set(Fuse3Ops.OPENDIR, Fuse3Callbacks.InoFi.class, this::opendir);
        // READDIR and READDIRPLUS are answered in direct(); registered so that libfuse knows the
        // filesystem lists directories (and with attributes), never called.
        ops.set(Fuse3Ops.READDIR, Fuse3Callbacks.InoSizeOff.class, this::notServedByLibfuse);
        ops.set(Fuse3Ops.RELEASEDIR, Fuse3Callbacks.InoFi.class, this::releasedir);
        ops.set(Fuse3Ops.FSYNCDIR, Fuse3Callbacks.Fsync.class, this::fsyncdir);
        ops.set(Fuse3Ops.STATFS, Fuse3Callbacks.Ino.class, this::statfs);
        ops.set(Fuse3Ops.SETXATTR, Fuse3Callbacks.SetXattr.class, this::setxattr);
        ops.set(Fuse3Ops.REMOVEXATTR, Fuse3Callbacks.InoName.class, this::removexattr);
        // With default_permissions the kernel checks access(2) itself and sends no ACCESS.
        if (!defaultPermissions) ops.set(Fuse3Ops.ACCESS, Fuse3Callbacks.Access.class, this::access);
        ops.set(Fuse3Ops.FORGET_MULTI, Fuse3Callbacks.ForgetMulti.class, this::forgetMulti);
        ops.set(Fuse3Ops.FALLOCATE, Fuse3Callbacks.Fallocate.class, this::fallocate);
        ops.set(Fuse3Ops.READDIRPLUS, Fuse3Callbacks.InoSizeOff.class, this::notServedByLibfuse);
    }

    private void init(Pointer userdata, Pointer conn) {
        noteThread();
        int minor = conn.getInt(CONN_PROTO_MINOR);
        if (minor < FuseWire.MIN_MINOR) {
            // The direct lane's layouts; kernels since 2.6.31 speak 7.12 or later. Never initialized: the mount reports it failed.
            LOG.error("the kernel speaks FUSE protocol 7.{}; stratafs needs 7.{} or later", minor, FuseWire.MIN_MINOR);
            return;
        }
        int capable = conn.getInt(CONN_CAPABLE);
        int want = conn.getInt(CONN_WANT);
        // Entries with attributes in the listing (no LOOKUP per file). READDIRPLUS_AUTO lets the
        // kernel fall back to plain READDIR while the caller does not stat what it lists
        // (fs/fuse/readdir.c fuse_use_readdirplus): measured, ls -f of 10k entries merged from
        // 32 layers took 0.21 s with it and 0.56 s without (attributes cost a core getattr
        // per entry), while walks that stat every entry took the same time either way.
        want |= CAP_READDIRPLUS | CAP_READDIRPLUS_AUTO | CAP_PARALLEL_DIROPS | CAP_ASYNC_READ | CAP_ATOMIC_O_TRUNC;
        // Reads splice file pages into /dev/fuse instead of copying them through our buffer.
        want |= CAP_SPLICE_WRITE | CAP_SPLICE_MOVE;
        if (timeout > 0) want |= CAP_CACHE_SYMLINKS;
        if (wantWriteback) want |= CAP_WRITEBACK_CACHE;
        writeback = wantWriteback && (capable & CAP_WRITEBACK_CACHE) != 0;
        // The kernel, not the core, clears set-user-ID bits on write and chown (as with libfuse 2).
        want &= ~CAP_HANDLE_KILLPRIV;
        // Kernels that know to take ENOSYS from OPENDIR as "open directories yourself" (5.1+) say so here.
        noOpendir = timeout > 0 && (capable & CAP_NO_OPENDIR_SUPPORT) != 0;
        conn.putInt(CONN_WANT, want & capable);
        LOG.debug("FUSE 3 init: capable 0x{}, want 0x{}, max_write {}", Integer.toHexString(capable),
                Integer.toHexString(want & capable), conn.getInt(CONN_MAX_WRITE));
        initialized.countDown();
    }

    private void destroy() {
        noteThread();
        OpenFiles.closeAtUnmount(files);
        dirs.drain();
        LOG.debug("FUSE 3 destroy");
        destroyed.countDown();
    }

    // ---- names ----

    // ---- the direct lane ----

    /**
     * {@link Fuse3Loop.DirectLane}: the requests that make up most of a container's traffic
     * (LOOKUP, GETATTR, SETATTR, OPEN, CREATE, READ of small files, WRITE, RELEASE, GETXATTR,
     * LISTXATTR, READDIR, READDIRPLUS) are decoded and answered here, with one
     * write(2) to /dev/fuse, instead of going through libfuse's dispatch and a callback into the
     * JVM: a request then costs one native call in and one out. Measured in
     * docs/benchmarks.md. INTERRUPT is dropped: it is advisory, and no request here waits on it
     * (libfuse would keep it forever, since it never saw the request it names).
     */
    boolean direct(int fd, Pointer in, int length) {
        int opcode = in.getInt(FuseWire.IN_OPCODE);
        if (opcode == FuseWire.INTERRUPT) return true;
        if (opcode == FuseWire.INIT) {
            // libfuse answers it; the reply is amended on its way out.
            passthroughInit.request(in, length);
            return false;
        }
        noteThread();
        long node = in.getLong(FuseWire.IN_NODEID);
        Buffers b = buffers.get();
        Pointer out = b.out;
        b.replying = 0;
        int r;
        try {
            switch (opcode) {
                case FuseWire.LOOKUP -> r = lookup(out, node, FuseWire.name(in, FuseWire.IN_HEADER, length));
                case FuseWire.GETATTR -> r = getattr(out, node, in);
                case FuseWire.SETATTR -> r = setattr(out, node, in);
                case FuseWire.OPEN -> r = open(out, node, in);
                case FuseWire.CREATE -> r = create(out, node, in, length);
                case FuseWire.TMPFILE -> r = tmpfile(out, node, in);
                case FuseWire.WRITE -> r = write(out, in);
                case FuseWire.RELEASE -> r = release(in);
                case FuseWire.READ -> {
                    // Bigger reads are spliced by libfuse (see read below): no copy through our memory.
                    if (Integer.compareUnsigned(in.getInt(FuseWire.READ_SIZE), DIRECT_READ_MAX) > 0) return false;
                    r = read(out, in);
                }
                case FuseWire.GETXATTR -> r = getxattr(out, node, in, length);
                case FuseWire.LISTXATTR -> r = listxattr(out, node, in);
                case FuseWire.READDIR -> r = readdir(out, node, in, false);
                case FuseWire.READDIRPLUS -> r = readdir(out, node, in, true);
                default -> {
                    return false;
                }
            }
        } catch (Throwable t) {
            // Decoding outside the operations' own guard (a malformed name, say): EIO, never the loop.
            r = guard.fail("opcode " + opcode, "node " + node, t);
        }
        // Fails (ENOENT) when the request was interrupted and the kernel no longer waits for it:
        // a handle in that reply will never be released.
        if (lib.write(fd, out, FuseWire.header(out, in.getLong(FuseWire.IN_UNIQUE), r)) < 0 && r >= 0 && b.replying != 0) {
            closeQuietly(files.remove(b.replying));
            backing.release(b.replying);
        }
        return true;
    }

    /** LOOKUP: the entry of {@code name}, or (while caching) an entry with node 0, which the kernel keeps as an absence. */
    private int lookup(Pointer out, long parent, String name) {
        count("lookup");
        int r = guard.run("lookup", name, () -> {
            FileAttr a = fs.lookup(nodes.childPath(parent, name));
            return a == null ? -Errno.ENOENT : entry(out, nodes.lookedUp(parent, name, a.ino(), a.isDirectory()), a);
        });
        return r == -Errno.ENOENT && timeout > 0 ? FuseWire.absence(out, timeout) : r;
    }

    private int entry(Pointer out, long node, FileAttr a) {
        stats.writeFuseAttr(out, FuseWire.ENTRY_ATTR, a);
        return FuseWire.entry(out, node, timeout);
    }

    private int attr(Pointer out, FileAttr a) {
        stats.writeFuseAttr(out, FuseWire.ATTR_ATTR, a);
        return FuseWire.attrOut(out, timeout);
    }

    private int getattr(Pointer out, long ino, Pointer in) {
        count("getattr");
        boolean byHandle = (in.getInt(FuseWire.GETATTR_FLAGS) & FuseWire.GETATTR_FLAG_FH) != 0;
        long fh = byHandle ? in.getLong(FuseWire.GETATTR_FH) : 0;
        return guard.run("getattr", ino, () -> attr(out, attrOf(ino, fh)));
    }

    /** Counts a lookup of {@code name} in {@code parent} and replies its entry. */
    private int replyEntry(Pointer req, long parent, String name, FileAttr a) throws FsException {
        Pointer e = fillEntry(parent, name, a);
        lib.fuse_reply_entry(req, e);
        return 0;
    }

    private Pointer fillEntry(long parent, String name, FileAttr a) throws FsException {
        Buffers b = buffers.get();
        b.entry.setMemory(entryAttr, statSize, (byte) 0);
        stats.write(b.entry, entryAttr, a);
        long id = nodes.lookedUp(parent, name, a.ino(), a.isDirectory());
        b.entry.putLong(0, id);
        b.entry.putLong(8, 0); // generation: node ids are never reused
        b.entry.putDouble(entryAttrTimeout, timeout);
        b.entry.putDouble(entryEntryTimeout, timeout);
        return b.entry;
    }

    private void forget(Pointer req, long ino, long nlookup) {
        noteThread();
        forgotten(nodes.forget(ino, nlookup));
        lib.fuse_reply_none(req);
    }

    /** A node went from the table: a replaced file kept for its inode (and no other node) goes too. */
    private void forgotten(long ino) {
        if (ino >= 0 && nodes.idOfIno(ino) == 0) fs.forgetRemoved(ino);
    }

    private void forgetMulti(Pointer req, long count, Pointer forgets) {
        noteThread();
        // struct fuse_forget_data { fuse_ino_t ino; uint64_t nlookup; }
        for (long i = 0; i < count; i++) {
            forgotten(nodes.forget(forgets.getLong(i * 16), forgets.getLong(i * 16 + 8)));
        }
        lib.fuse_reply_none(req);
    }

    private void mknod(Pointer req, long parent, Pointer namePtr, int mode, long rdev) {
        String name = name(namePtr);
        serve(req, "mknod", name, () -> {
            String path = nodes.childPath(parent, name);
            fs.mknod(path, mode, rdev, caller(req));
            return replyEntry(req, parent, name, fs.getattr(path));
        });
    }

    private void mkdir(Pointer req, long parent, Pointer namePtr, int mode) {
        String name = name(namePtr);
        serve(req, "mkdir", name, () -> {
            String path = nodes.childPath(parent, name);
            fs.mkdir(path, mode & 07777, caller(req));
            return replyEntry(req, parent, name, fs.getattr(path));
        });
    }

    private void symlink(Pointer req, Pointer linkPtr, long parent, Pointer namePtr) {
        String name = name(namePtr);
        serve(req, "symlink", name, () -> {
            String path = nodes.childPath(parent, name);
            fs.symlink(name(linkPtr), path, caller(req));
            return replyEntry(req, parent, name, fs.getattr(path));
        });
    }

    private void link(Pointer req, long ino, long newParent, Pointer namePtr) {
        String name = name(namePtr);
        serve(req, "link", name, () -> {
            // linkat(2) of an O_TMPFILE file: the kernel overlay answers EXDEV too.
            if (nodes.isTmpfile(ino)) throw new FsException(ErrorKind.CROSS_DEVICE, "cannot give an O_TMPFILE file a name: node " + ino);
            String existing = requirePath(ino);
            String path = nodes.childPath(newParent, name);
            fs.link(existing, path);
            return replyEntry(req, newParent, name, fs.getattr(path));
        });
    }

    private void unlink(Pointer req, long parent, Pointer namePtr) {
        String name = name(namePtr);
        serve(req, "unlink", name, () -> {
            fs.unlink(nodes.childPath(parent, name));
            nodes.unlinked(parent, name);
            return replyOk(req);
        });
    }

    private void rmdir(Pointer req, long parent, Pointer namePtr) {
        String name = name(namePtr);
        serve(req, "rmdir", name, () -> {
            fs.rmdir(nodes.childPath(parent, name));
            nodes.unlinked(parent, name);
            return replyOk(req);
        });
    }

    private void rename(Pointer req, long parent, Pointer namePtr, long newParent, Pointer newNamePtr, int flags) {
        String name = name(namePtr);
        String newName = name(newNamePtr);
        serve(req, "rename", name, () -> {
            // RENAME_WHITEOUT creates a whiteout device: layer business the mount does not offer.
            if ((flags & RENAME_WHITEOUT) != 0) throw new FsException(ErrorKind.INVALID, "RENAME_WHITEOUT");
            // The node table follows inside the rename's critical section, so no request reads a
            // path the rename has just made stale (RequestGuard retries one that read it before).
            fs.rename(nodes.childPath(parent, name), nodes.childPath(newParent, newName), flags,
                    () -> nodes.renamedQuietly(parent, name, newParent, newName, (flags & RENAME_EXCHANGE) != 0));
            return replyOk(req);
        });
    }

    private void readlink(Pointer req, long ino) {
        serve(req, "readlink", ino, () -> {
            byte[] t = fs.readlink(requirePath(ino)).getBytes(StandardCharsets.UTF_8);
            byte[] z = new byte[t.length + 1];
            System.arraycopy(t, 0, z, 0, t.length);
            lib.fuse_reply_readlink(req, z);
            return 0;
        });
    }

    // ---- attributes ----

    /** Attributes of a node: through the open handle when the kernel gave one, else by path, else (unlinked) an open handle of its inode. */
    private FileAttr attrOf(long ino, long fh) throws Exception {
        OpenFile f = fh != 0 ? files.find(fh) : null;
        if (f != null) return f.getattr();
        String path = nodes.path(ino);
        if (path != null) {
            // Nothing there, or another file renamed over the name since the kernel resolved it:
            // below. A concurrent rename of this node reruns the request (RequestGuard).
            FileAttr a = fs.lookup(path);
            if (a != null && nodes.isIno(ino, a.ino())) return a;
        }
        long inode = nodes.ino(ino);
        OpenFile open = openWithIno(inode);
        if (open != null) return open.getattr();
        FileAttr kept = fs.removedAttr(inode);
        if (kept != null) return kept;
        // A removed directory (a cwd inside it) has nothing to find again: no such directory.
        if (nodes.isDirectory(ino)) throw new FsException(ErrorKind.NOT_FOUND, "directory node " + ino + " was removed");
        throw stale(ino);
    }

    /**
     * A node that lost its name while the kernel still held it, with no handle open on it and no
     * replaced file kept for it: a process resolved the name just before another removed it (or
     * renamed over it, and the kept file is gone). ESTALE makes the kernel walk the path again
     * with revalidation (fs/namei.c retry_estale, as for NFS): the stat or open then finds the
     * new file, or nothing, as if it came after.
     */
    private static FsException stale(long ino) {
        return new FsException(ErrorKind.STALE, "node " + ino + " has no name left");
    }

    /** A node without a name: through a handle open on it, else the replaced file kept for it. */
    private OpenFile openNameless(long ino, int flags) throws IOException {
        long inode = nodes.ino(ino);
        OpenFile open = openWithIno(inode);
        if (open != null) return open.reopen(flags);
        OpenFile kept = fs.openRemoved(inode, flags);
        if (kept == null) throw stale(ino);
        return kept;
    }

    private OpenFile openWithIno(long ino) {
        return files.first(f -> f.ino() == ino);
    }

    /** SETATTR: mode, owner, size and times, in that order (fuse.h struct fuse_setattr_in); replies the new attributes. */
    private int setattr(Pointer out, long ino, Pointer in) {
        count("setattr");
        int valid = in.getInt(FuseWire.SETATTR_VALID);
        long fh = (valid & FuseWire.FATTR_FH) != 0 ? in.getLong(FuseWire.SETATTR_FH) : 0;
        return guard.run("setattr", ino, () -> {
            OpenFile f = fh != 0 ? files.find(fh) : null;
            String path = nodes.path(ino);
            if (f == null && path == null) f = openWithIno(nodes.ino(ino));
            if (f == null && path == null) throw new FsException(ErrorKind.NOT_FOUND, "node " + ino + " was unlinked");
            AttrChange c = change(in, valid);
            if (f == null) return attr(out, fs.setattr(path, c));
            // Through a handle (ftruncate): the size changes through it, as the name may be gone;
            // the rest needs the name, and an unlinked file has none to change.
            if (c.size() >= 0) f.truncate(c.size());
            if (path != null && c.changesMetadata()) return attr(out, fs.setattr(path, c.withoutSize()));
            return attr(out, f.getattr());
        });
    }

    /** A by-name SETATTR's changes, as fuse_setattr_in gives them (ids mapped to the container's). */
    private AttrChange change(Pointer in, int valid) throws FsException {
        AttrChange.Builder c = AttrChange.builder();
        if ((valid & FuseWire.FATTR_MODE) != 0) c.mode(in.getInt(FuseWire.SETATTR_MODE));
        if ((valid & (FuseWire.FATTR_UID | FuseWire.FATTR_GID)) != 0) {
            c.owner((valid & FuseWire.FATTR_UID) != 0 ? ids.uidToContainer(in.getInt(FuseWire.SETATTR_UID)) : -1,
                    (valid & FuseWire.FATTR_GID) != 0 ? ids.gidToContainer(in.getInt(FuseWire.SETATTR_GID)) : -1);
        }
        if ((valid & FuseWire.FATTR_SIZE) != 0) {
            long size = in.getLong(FuseWire.SETATTR_SIZE);
            if (size < 0) throw new FsException(ErrorKind.INVALID, "size beyond 2^63: " + Long.toUnsignedString(size));
            c.size(size);
        }
        if ((valid & (FuseWire.FATTR_ATIME | FuseWire.FATTR_MTIME)) != 0) {
            c.times(setTime(in, valid, FuseWire.FATTR_ATIME, FuseWire.FATTR_ATIME_NOW, FuseWire.SETATTR_ATIME, FuseWire.SETATTR_ATIMENSEC),
                    setTime(in, valid, FuseWire.FATTR_MTIME, FuseWire.FATTR_MTIME_NOW, FuseWire.SETATTR_MTIME, FuseWire.SETATTR_MTIMENSEC));
        }
        return c.build();
    }

    private static SetTime setTime(Pointer in, int valid, int set, int now, int secAt, int nsecAt) {
        if ((valid & set) == 0) return SetTime.OMIT;
        if ((valid & now) != 0) return SetTime.NOW;
        return SetTime.of(in.getLong(secAt), Integer.toUnsignedLong(in.getInt(nsecAt)));
    }

    private void access(Pointer req, long ino, int mask) {
        serve(req, "access", ino, () -> {
            fs.access(requirePath(ino), mask, caller(req));
            return replyOk(req);
        });
    }

    private void statfs(Pointer req, long ino) {
        serve(req, "statfs", ino, () -> {
            FsStat s = fs.statfs("/");
            Buffers b = buffers.get();
            Statvfs st = b.statvfsView;
            stats.write(st, s);
            lib.fuse_reply_statfs(req, b.statvfs);
            return 0;
        });
    }

    // ---- files ----

    /**
     * OPEN: fuse_open_in's flags are open(2)'s; replies struct fuse_open_out. A node without a
     * name (removed, or O_TMPFILE) is opened through a handle still open on it, as open(2) of
     * /proc/pid/fd/N opens such a file again.
     */
    private int open(Pointer out, long ino, Pointer in) {
        count("open");
        return guard.run("open", ino, () -> {
            int flags = openFlags(in.getInt(FuseWire.OPEN_FLAGS));
            String path = nodes.path(ino);
            OpenFile f = path != null ? fs.open(path, flags, caller(in, 0)) : openNameless(ino, flags);
            if (!nodes.isIno(ino, f.ino())) {
                // The name now holds another file (renamed over it since the kernel resolved it).
                closeQuietly(f);
                throw stale(ino);
            }
            long fh = files.add(f);
            return FuseWire.open(out, FuseWire.PAYLOAD, opened(fh), grant(ino, fh, f));
        });
    }

    /** CREATE: a new file, its entry and its open handle in one reply (entry_out, then open_out). */
    private int create(Pointer out, long parent, Pointer in, int length) {
        count("create");
        String name = FuseWire.name(in, FuseWire.CREATE_NAME, length);
        return guard.run("create", name, () -> {
            String path = nodes.childPath(parent, name);
            int mode = in.getInt(FuseWire.CREATE_MODE) & 07777;
            OpenFile f = fs.create(path, openFlags(in.getInt(FuseWire.CREATE_FLAGS)), mode, caller(in, in.getInt(FuseWire.CREATE_UMASK)));
            return created(out, f, a -> nodes.lookedUp(parent, name, a.ino(), a.isDirectory()));
        });
    }

    /** The node a CREATE or TMPFILE reply names, recorded once the new file's attributes are known. */
    private interface NewNode {
        long record(FileAttr a) throws FsException;
    }

    /** The entry and open handle of a new file {@code f} (entry_out, then open_out); a failure closes it. */
    private int created(Pointer out, OpenFile f, NewNode node) throws Exception {
        long fh = files.add(f);
        FileAttr a;
        try {
            a = f.getattr();
        } catch (Exception e) {
            closeQuietly(files.remove(fh));
            throw e;
        }
        long id = node.record(a);
        int n = entry(out, id, a);
        return n + FuseWire.open(out, FuseWire.PAYLOAD + n, opened(fh), grant(id, fh, f));
    }

    /**
     * TMPFILE (open(2) with O_TMPFILE; fuse_create_in as for CREATE, whose name is a
     * placeholder): a file without a name, whose node is known by its inode alone, as an unlinked
     * open file's. libfuse 3.14 does not know the opcode: it is answered here.
     */
    private int tmpfile(Pointer out, long parent, Pointer in) {
        count("tmpfile");
        return guard.run("tmpfile", parent, () -> {
            int mode = in.getInt(FuseWire.CREATE_MODE) & 07777;
            OpenFile f = fs.tmpfile(requirePath(parent), openFlags(in.getInt(FuseWire.CREATE_FLAGS)), mode,
                    caller(in, in.getInt(FuseWire.CREATE_UMASK)));
            return created(out, f, a -> nodes.tmpfile(a.ino()));
        });
    }

    /**
     * open(2) flags as the core should see them. Under the writeback cache the kernel reads pages
     * to complete partial writes, so a write-only handle must also read, and it sends WRITEs at
     * the offsets it computed itself, which O_APPEND would move to the end (fs/fuse/file.c
     * fuse_file_open; fuse-overlayfs does the same).
     */
    private int openFlags(int flags) {
        if (!writeback) return flags;
        if ((flags & NativeOs.OpenFlags.O_ACCMODE) == NativeOs.OpenFlags.O_WRONLY) {
            flags = (flags & ~NativeOs.OpenFlags.O_ACCMODE) | NativeOs.OpenFlags.O_RDWR;
        }
        return flags & ~NativeOs.OpenFlags.O_APPEND;
    }

    /** How handle {@code fh} of {@code node} is opened (see {@link BackingFiles}); a failure here closes it. */
    private BackingFiles.Grant grant(long node, long fh, OpenFile f) {
        try {
            return backing.open(node, fh, f, openBits());
        } catch (RuntimeException e) {
            closeQuietly(files.remove(fh));
            throw e;
        }
    }

    /** Notes a handle about to be replied, so that a reply the kernel no longer takes closes it (no RELEASE will come). */
    private long opened(long fh) {
        buffers.get().replying = fh;
        return fh;
    }

    /**
     * FOPEN_* of an open reply. keep_cache while caching at all: every change comes through this
     * mount and hard links share one kernel inode, so the page cache stays right (the kernel
     * still drops it when it sees mtime or size change, AUTO_INVAL_DATA). noflush: close(2) has
     * nothing to push (fuse_common.h).
     */
    private int openBits() {
        return FuseWire.FOPEN_NOFLUSH | (timeout > 0 ? FuseWire.FOPEN_KEEP_CACHE : 0);
    }

    /** The requester of a direct-lane request (fuse_in_header uid, gid, pid) with {@code umask}. */
    private Caller caller(Pointer in, int umask) {
        return ids.caller(in.getInt(FuseWire.IN_UID), in.getInt(FuseWire.IN_GID), in.getInt(FuseWire.IN_PID), umask);
    }

    /** fuse_file_info bits of an OPENDIR reply: those of {@link #openBits}, and cache_readdir while caching. */
    private void setDirOpenBits(Pointer fi) {
        int bits = fi.getInt(FI_BITS) | FI_NOFLUSH;
        if (timeout > 0) bits |= FI_KEEP_CACHE | FI_CACHE_READDIR;
        fi.putInt(FI_BITS, bits);
    }

    /**
     * READ of at most this many bytes is answered in the direct lane: a preadv2(2) with
     * RWF_NOWAIT into the reply (a pread(2) after it only when the page cache misses) and one
     * write(2), against libfuse's callback, a probe, vmsplice(2), two splice(2)s and a pread(2). A
     * container's files are mostly small (the bench rootfs: 7 KiB on average), and the kernel
     * asks no more than the file holds. Bigger reads (sequential reads of big files come as 128
     * KiB) are spliced: a copy of the data through our memory would then cost more than the
     * calls saved.
     */
    static final int DIRECT_READ_MAX = 32 * 1024;

    /** READ (fuse_read_in) of up to {@link #DIRECT_READ_MAX} bytes: the data follows the out header. */
    private int read(Pointer out, Pointer in) {
        count("read");
        long fh = in.getLong(FuseWire.READ_FH);
        return guard.run("read", fh, () -> files.get(fh).readTo(out.address() + FuseWire.PAYLOAD,
                in.getInt(FuseWire.READ_SIZE), in.getLong(FuseWire.READ_OFFSET)));
    }

    private void read(Pointer req, long ino, long size, long off, Pointer fi) {
        serve(req, "read", ino, () -> {
            OpenFile f = files.get(fi.getLong(FI_FH));
            int want = (int) Math.min(size, Integer.MAX_VALUE - 8);
            if (f.lendReadFd((fd, n, pos) -> replyFromFd(req, fd, n, pos), want, off) >= 0) return 0;
            Pointer buf = buffers.get().data(want);
            long address = buf.address();
            int total = 0;
            while (total < want) {
                int n = f.readTo(address + total, want - total, off + total);
                if (n <= 0) break;
                total += n;
            }
            lib.fuse_reply_buf(req, buf, total);
            return 0;
        });
    }

    /** Replies a READ with up to {@code len} bytes of {@code fd} at {@code pos}, spliced when libfuse can. */
    private int replyFromFd(Pointer req, int fd, int len, long pos) {
        Pointer v = buffers.get().bufv;
        v.putLong(BUFV_COUNT, 1);
        v.putLong(BUFV_IDX, 0);
        v.putLong(BUFV_OFF, 0);
        v.putLong(BUF_SIZE, len);
        v.putInt(BUF_FLAGS, BUF_IS_FD | BUF_FD_SEEK);
        v.putAddress(BUF_MEM, 0L);
        v.putInt(BUF_FD, fd);
        v.putLong(BUF_POS, pos);
        lib.fuse_reply_data(req, v, BUF_SPLICE_MOVE); // consumes req, also on failure
        return 0;
    }

    /** WRITE: the data follows struct fuse_write_in in the request buffer; replies the count written. */
    private int write(Pointer out, Pointer in) {
        count("write");
        long fh = in.getLong(FuseWire.WRITE_FH);
        return guard.run("write", fh, () -> {
            OpenFile f = files.get(fh);
            long off = in.getLong(FuseWire.WRITE_OFFSET);
            int len = in.getInt(FuseWire.WRITE_SIZE);
            long address = in.address() + FuseWire.WRITE_DATA;
            int total = 0;
            while (total < len) {
                int n = f.writeFrom(address + total, len - total, off + total);
                if (n <= 0) break;
                total += n;
            }
            return FuseWire.count(out, total);
        });
    }

    private void fsync(Pointer req, long ino, int datasync, Pointer fi) {
        serve(req, "fsync", ino, () -> {
            files.get(fi.getLong(FI_FH)).fsync(datasync != 0);
            return replyOk(req);
        });
    }

    private int release(Pointer in) {
        count("release");
        long fh = in.getLong(FuseWire.RELEASE_FH);
        return guard.run("release", fh, () -> {
            OpenFile f = files.remove(fh);
            backing.release(fh);
            if (f != null) f.close();
            return 0;
        });
    }

    private void fallocate(Pointer req, long ino, int mode, long off, long len, Pointer fi) {
        serve(req, "fallocate", ino, () -> {
            files.get(fi.getLong(FI_FH)).fallocate(mode, off, len);
            return replyOk(req);
        });
    }

    // ---- directories ----

    /**
     * While the kernel caches (timeout &gt; 0), the first OPENDIR is answered ENOSYS: from then
     * on the kernel opens directories without asking, as if every open had replied
     * FOPEN_KEEP_CACHE|FOPEN_CACHE_DIR, and sends neither OPENDIR nor RELEASEDIR (fs/fuse/file.c
     * fuse_file_open, fuse_kernel.h FUSE_NO_OPENDIR_SUPPORT). A warm tree walk then costs the
     * daemon nothing: before, each directory cost two round trips per walk. READDIR arrives
     * with fh 0 and is served from {@link #listings}.
     */
    private void opendir(Pointer req, long ino, Pointer fi) {
        if (noOpendir) {
            noteThread();
            count("opendir");
            lib.fuse_reply_err(req, Errno.ENOSYS);
            return;
        }
        serve(req, "opendir", ino, () -> {
            DirHandle h = new DirHandle(ino);
            h.snapshot = DirSnapshot.read(fs, requirePath(ino));
            long fh = dirs.add(h);
            fi.putLong(FI_FH, fh);
            setDirOpenBits(fi);
            if (lib.fuse_reply_open(req, fi) != 0) dirs.remove(fh);
            return 0;
        });
    }

    /**
     * READDIR and READDIRPLUS (struct fuse_read_in): entries from the handle's snapshot from the
     * offset on, as many as fit in the size asked, packed as struct fuse_dirent or
     * fuse_direntplus (fuse_kernel.h; what libfuse's fuse_add_direntry(_plus) writes). Plus
     * entries carry attributes and count one lookup each (not "." and "..", which the kernel
     * skips: fs/fuse/readdir.c fuse_direntplus_link); an entry that no longer exists goes out
     * without attributes (node id 0, which the kernel ignores). Answered here rather than
     * through libfuse: its callback into the JVM cost ~20 µs per call, two calls per directory
     * of a tree walk.
     */
    private int readdir(Pointer out, long ino, Pointer in, boolean plus) {
        String op = plus ? "readdirplus" : "readdir";
        count(op);
        long fh = in.getLong(FuseWire.READ_FH);
        long off = in.getLong(FuseWire.READ_OFFSET);
        long size = Integer.toUnsignedLong(in.getInt(FuseWire.READ_SIZE));
        return guard.run(op, ino, () -> {
            DirSnapshot d = fh == 0 ? kernelOpenedListing(ino, off) : handleListing(dirs.get(fh), off);
            int start = d.startIndex(off);
            if (fh == 0 && start >= d.size()) listings.done(ino);
            int cap = (int) Math.min(size, FuseWire.XATTR_SIZE_MAX); // the reply buffer's room
            int used = 0;
            String dirPath = plus ? nodes.path(ino) : null;
            for (int i = start; i < d.size(); i++) {
                byte[] nameZ = d.nameZ(i);
                int nameLen = nameZ.length - 1;
                int need = align8((plus ? DIRENTPLUS_NAME_OFFSET : DIRENT_NAME_OFFSET) + nameLen);
                if (used + need > cap) break; // the kernel asks again from the last offset it got
                int at = FuseWire.PAYLOAD + used;
                long entryIno = d.ino(i);
                int mode = d.type(i);
                if (plus) {
                    String name = i >= 2 && dirPath != null ? d.name(i) : null;
                    FileAttr a = name != null ? attrsOrNull(dirPath, name) : null;
                    if (a == null) {
                        out.setMemory(at, FuseWire.ENTRY_OUT_ATTR, (byte) 0); // node 0: no entry
                        StatWriter.writeFuseAttrType(out, at + FuseWire.ENTRY_OUT_ATTR, entryIno, mode);
                    } else {
                        long id = nodes.lookedUp(ino, name, a.ino(), a.isDirectory());
                        FuseWire.entryAt(out, at, id, timeout);
                        stats.writeFuseAttr(out, at + FuseWire.ENTRY_OUT_ATTR, a);
                        entryIno = a.ino();
                        mode = a.mode();
                    }
                    at += FuseWire.ENTRY_OUT;
                }
                FuseWire.dirent(out, at, entryIno, d.nextOffset(i), mode, nameZ, nameLen);
                used += need;
            }
            return used;
        });
    }

    /** The attributes of {@code name} in {@code dirPath}, or null when it went since the snapshot. */
    private FileAttr attrsOrNull(String dirPath, String name) {
        try {
            return fs.getattr(NodeTable.join(dirPath, name));
        } catch (Exception gone) {
            return null;
        }
    }

    /** The listing to read from {@code off} of a directory the kernel opened itself (see opendir). */
    private DirSnapshot kernelOpenedListing(long ino, long off) throws Exception {
        // Offset 0 starts a new listing; other offsets continue the node's last one.
        DirSnapshot d = off == 0 ? null : listings.get(ino);
        if (d == null) {
            d = DirSnapshot.read(fs, requirePath(ino));
            listings.put(ino, d);
        }
        return d;
    }

    /** The listing of an OPENDIR handle; reading from offset 0 again (rewinddir(3)) must show changes made since opendir. */
    private DirSnapshot handleListing(DirHandle h, long off) throws Exception {
        synchronized (h) {
            if (off == 0 && h.served) h.snapshot = DirSnapshot.read(fs, requirePath(h.node));
            h.served = true;
            return h.snapshot;
        }
    }

    /** A request direct() answers reached libfuse after all: EIO, logged once, never a wrong answer. */
    private void notServedByLibfuse(Pointer req, long ino, long size, long off, Pointer fi) {
        noteThread();
        lib.fuse_reply_err(req, -guard.fail("libfuse callback", "node " + ino,
                new IllegalStateException("a request the direct lane answers came through libfuse")));
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    private void releasedir(Pointer req, long ino, Pointer fi) {
        serve(req, "releasedir", ino, () -> {
            dirs.remove(fi.getLong(FI_FH));
            return replyOk(req);
        });
    }

    private void fsyncdir(Pointer req, long ino, int datasync, Pointer fi) {
        serve(req, "fsyncdir", ino, () -> {
            long fh = fi.getLong(FI_FH);
            if (fh != 0) dirs.get(fh); // 0: a directory the kernel opened itself (see opendir)
            return replyOk(req); // the core fsyncs directories as part of its own operations
        });
    }

    // ---- extended attributes ----

    private void setxattr(Pointer req, long ino, Pointer namePtr, Pointer value, long size, int flags) {
        String name = name(namePtr);
        serve(req, "setxattr", name, () -> {
            acls.check(name);
            byte[] v = new byte[(int) size];
            if (size > 0) value.get(0, v, 0, v.length);
            fs.setxattr(requirePath(ino), name, v, flags);
            return replyOk(req);
        });
    }

    private int getxattr(Pointer out, long ino, Pointer in, int length) {
        count("getxattr");
        long size = Integer.toUnsignedLong(in.getInt(FuseWire.GETXATTR_SIZE));
        String name = FuseWire.name(in, FuseWire.GETXATTR_NAME, length);
        return guard.run("getxattr", name, () -> {
            acls.check(name);
            byte[] v = fs.xattr(requirePath(ino), name);
            return v == null ? -Errno.ENODATA : sized(out, size, v);
        });
    }

    /** LISTXATTR (its request is a struct fuse_getxattr_in too): the names, each NUL-terminated. */
    private int listxattr(Pointer out, long ino, Pointer in) {
        count("listxattr");
        long size = Integer.toUnsignedLong(in.getInt(FuseWire.GETXATTR_SIZE));
        return guard.run("listxattr", ino, () ->
                sized(out, size, XattrListing.of(fs.listxattr(requirePath(ino)), acls, caller(in, 0))));
    }

    /**
     * getxattr(2)/listxattr(2) replies: size 0 asks for the size needed (fuse_getxattr_out); a
     * buffer smaller than the data is ERANGE. Linux hands over at most 64 KiB either way.
     */
    private static int sized(Pointer out, long size, byte[] data) throws FsException {
        if (data.length > FuseWire.XATTR_SIZE_MAX) throw new FsException(ErrorKind.TOO_BIG, data.length + " bytes of xattr data");
        if (size == 0) return FuseWire.count(out, data.length);
        if (data.length > size) throw new FsException(ErrorKind.RANGE, "xattr buffer of " + size + " bytes, need " + data.length);
        out.put(FuseWire.PAYLOAD, data, 0, data.length);
        return data.length;
    }

    private void removexattr(Pointer req, long ino, Pointer namePtr) {
        String name = name(namePtr);
        serve(req, "removexattr", name, () -> {
            acls.check(name);
            fs.removexattr(requirePath(ino), name);
            return replyOk(req);
        });
    }

    // ---- helpers ----

    private String requirePath(long ino) throws FsException {
        String p = nodes.path(ino);
        if (p == null) throw new FsException(ErrorKind.NOT_FOUND, "node " + ino + " was unlinked");
        return p;
    }

    /** Success without data (fuse_reply_err with 0). */
    private int replyOk(Pointer req) {
        lib.fuse_reply_err(req, 0);
        return 0;
    }

    private static String name(Pointer p) {
        return p.getString(0, Integer.MAX_VALUE, StandardCharsets.UTF_8);
    }

    /** The requesting process as the core sees it (struct fuse_ctx: uid, gid, pid, umask). */
    private Caller caller(Pointer req) {
        Pointer c = lib.fuse_req_ctx(req);
        return ids.caller(c.getInt(0), c.getInt(4), c.getInt(8), c.getInt(12));
    }

    private static void closeQuietly(OpenFile f) {
        if (f == null) return;
        try {
            f.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing {}: {}", f.path(), e.toString());
        }
    }

    /** An open directory: its node and snapshot, replaced on rewind. Guarded by its own monitor. */
    private static final class DirHandle {
        final long node;
        DirSnapshot snapshot;
        boolean served;

        DirHandle(long node) {
            this.node = node;
        }
    }
}
