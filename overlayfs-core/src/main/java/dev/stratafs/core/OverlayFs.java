package dev.stratafs.core;

import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_ACCMODE;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_APPEND;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_CREAT;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_EXCL;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_NOATIME;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_NONBLOCK;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_RDONLY;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_TMPFILE;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_TRUNC;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_WRONLY;

import dev.stratafs.core.copyup.CopyUp;
import dev.stratafs.core.copyup.WorkDir;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.handle.FileHandle;
import dev.stratafs.core.layer.Layer;
import dev.stratafs.core.layer.LayerStack;
import dev.stratafs.core.lookup.Resolved;
import dev.stratafs.core.lookup.Resolver;
import dev.stratafs.core.nat.FsStats;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.nat.StatInfo;
import dev.stratafs.core.path.FsPath;
import dev.stratafs.core.whiteout.PrivateXattrs;
import dev.stratafs.core.whiteout.WhiteoutCodec;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongPredicate;

/**
 * The layered filesystem: every operation the mount needs, path in ("/a/b"), result out. Thread
 * safe: lookups share a read lock on the namespace, changes take the write lock, and file data is
 * never copied while holding it (see {@link CopyUp}). Knows nothing of FUSE; failures are
 * {@link FsException}s with a portable kind.
 */
public final class OverlayFs implements Closeable {
    private static final int PATH_MAX = 4096;

    private final StackConfig config;
    private final NativeOs os;
    private final LayerStack stack;
    private final WhiteoutCodec codec;
    private final Resolver resolver;
    private final WorkDir work;
    private final CopyUp copyUp;
    private final ReentrantReadWriteLock ns = new ReentrantReadWriteLock();
    private final CapabilityMisses capMisses = new CapabilityMisses();
    private final Ghosts ghosts;
    private final boolean root;
    /** The daemon's group: what the kernel gives a new object outside set-group-ID directories. */
    private final int egid;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private OverlayFs(StackConfig config, NativeOs os, LayerStack stack, WhiteoutCodec codec, WorkDir work,
                      String overlayPrefix, String privatePrefix) {
        this.config = config;
        this.os = os;
        this.stack = stack;
        this.codec = codec;
        this.resolver = new Resolver(stack, os, codec);
        this.work = work;
        this.copyUp = work == null ? null : new CopyUp(stack, resolver, os, ns, work, config.fsync(), config.metacopy(),
                overlayPrefix, privatePrefix);
        this.ghosts = new Ghosts(os, work);
        this.root = os.geteuid() == 0;
        this.egid = os.getegid();
    }

    /** Validates the stack, cleans workdir leftovers of an earlier crash, and opens it. */
    public static OverlayFs open(StackConfig config) throws IOException {
        return open(config, Natives.get());
    }

    /** {@link #open(StackConfig)} on the system calls of {@code os}: tests count them. */
    static OverlayFs open(StackConfig config, NativeOs os) throws IOException {
        LayerStack stack = LayerStack.open(config, os);
        WorkDir work = null;
        boolean kernelFormat = false;
        if (stack.hasUpper()) {
            work = WorkDir.open(stack.work(), os, !config.fsync(), config.acceptDirtyVolatile());
            kernelFormat = os.geteuid() == 0 && WhiteoutCodec.probeKernelFormat(os, work.scratch());
        }
        // The kernel's own xattrs (overlayfs.rst "Extended attributes": trusted.overlay.*, or
        // user.overlay.* on an upper it mounts with userxattr); ours live beside them.
        String overlayPrefix = kernelFormat ? "trusted.overlay." : "user.overlay.";
        OverlayFs fs = new OverlayFs(config, os, stack, new WhiteoutCodec(os, kernelFormat), work,
                overlayPrefix, overlayPrefix + "stratafs.");
        if (fs.copyUp != null) fs.copyUp.sweepIndex();
        return fs;
    }

    public StackConfig config() { return config; }

    public boolean readOnly() { return !stack.hasUpper(); }

    // ---------------------------------------------------------------- lookups

    public FileAttr getattr(String path) throws IOException {
        FileAttr a = lookup(path);
        if (a == null) throw new FsException(ErrorKind.NOT_FOUND, "no such file or directory: " + path);
        return a;
    }

    /**
     * The attributes of {@code path}, or null when its directory has no such name: the common
     * answer of a lookup (PATH and library searches), given without building an exception.
     */
    public FileAttr lookup(String path) throws IOException {
        FsPath p = FsPath.parse(path);
        ns.readLock().lock();
        try {
            Resolved r = resolver.resolve(p);
            return r.exists() ? attr(r) : null;
        } finally {
            ns.readLock().unlock();
        }
    }

    private FileAttr attr(Resolved r) throws FsException {
        return attr(r, r.stat());
    }

    /** The attributes of the object {@code r} found, as {@code st} now stats it. */
    private FileAttr attr(Resolved r, StatInfo st) throws FsException {
        long ino = ino(r.layer(), r.host(), st);
        Path copied = copiedLink(r, ino);
        if (copied != null) {
            StatInfo cs = os.lstatOrNull(copied);
            if (cs != null) st = cs;
        }
        if (metacopy(r.layer(), r.host(), st)) st = st.withBlocks(dataBlocks(r, st));
        long nlink = st.nlink();
        if (st.isDirectory()) {
            // As the kernel overlay: a merged directory's link count is unknown, report 1 (find(1) copes).
            if (resolver.isMergedDir(r.path())) nlink = 1;
        } else if (st.isRegular() && copyUp != null && st.nlink() > 1) {
            // Only lower hard-linked files and their copies (linked to the index, so nlink >= 2) have an index entry.
            long n = copyUp.linkedNlink(ino);
            if (n > 0) nlink = n;
        }
        return FileAttr.of(st, ino, nlink);
    }

    /** Whether the object at {@code host} of {@code layer}, as {@code st} stats it, is a metadata-only copy. */
    private boolean metacopy(Layer layer, Path host, StatInfo st) throws FsException {
        return copyUp != null && layer.isUpper() && copyUp.isMetacopy(host, st);
    }

    private boolean metacopy(Resolved r) throws FsException {
        return r.exists() && metacopy(r.layer(), r.host(), r.stat());
    }

    /**
     * st_blocks of a metadata-only copy: its data's, in the lower layer (the kernel answers the
     * same), or its own when that file cannot be found. Under the namespace lock.
     */
    private long dataBlocks(Resolved r, StatInfo st) {
        try {
            return copyUp.lowerData(r).stat().blocks();
        } catch (FsException e) {
            return st.blocks();
        }
    }

    /**
     * For a lower name of a hard-linked lower file whose other name was already copied up: the
     * upper copy (its index entry), which holds the file's current data and attributes.
     */
    private Path copiedLink(Resolved r, long ino) throws FsException {
        if (copyUp == null || r.inUpper() || !r.stat().isRegular() || r.stat().nlink() < 2) return null;
        Path idx = copyUp.indexEntry(ino);
        return os.lstatOrNull(idx) != null ? idx : null;
    }

    /** The mount's inode number: an upper copy keeps the number of the lower object it came from. */
    private long ino(Layer layer, Path host, StatInfo st) throws FsException {
        if (layer.isUpper() && copyUp != null) {
            long o = copyUp.origin(host, st.ino());
            if (o >= 0) return o;
        }
        return stack.ino(st.dev(), st.ino());
    }

    /** The merged listing of a directory, without "." and "..": deduplicated, whiteouts removed, sorted by name. */
    public List<DirEntry> readdir(String path) throws IOException {
        FsPath p = FsPath.parse(path);
        ns.readLock().lock();
        try {
            resolver.resolve(p).requireDirectory();
            List<Resolver.Entry> entries = resolver.list(p);
            List<DirEntry> out = new ArrayList<>(entries.size());
            for (Resolver.Entry e : entries) {
                long ino = stack.ino(e.dev(), e.ino());
                // Copies of lower objects keep the lower inode number, also after a rename.
                if (e.layer().isUpper() && copyUp != null) {
                    long o = copyUp.origin(e.layer().host(p).resolve(e.name()));
                    if (o >= 0) ino = o;
                }
                out.add(new DirEntry(e.name(), ino, e.type()));
            }
            return out;
        } finally {
            ns.readLock().unlock();
        }
    }

    public String readlink(String path) throws IOException {
        FsPath p = FsPath.parse(path);
        ns.readLock().lock();
        try {
            Resolved r = resolver.resolve(p).requireExists();
            if (!r.stat().isSymlink()) throw new FsException(ErrorKind.INVALID, "not a symbolic link: " + p);
            return os.readlink(r.host());
        } finally {
            ns.readLock().unlock();
        }
    }

    // ---------------------------------------------------------------- open files

    /** open(2) of an existing object; flags are Linux O_* flags (O_CREAT is handled by {@link #create}). */
    public OpenFile open(String path, int flags, Caller caller) throws IOException {
        FsPath p = FsPath.parse(path);
        boolean write = OpenFlags.writes(flags);
        int openFlags = flags & ~(O_CREAT | O_EXCL);
        if (!write) {
            OpenFile h;
            StatInfo lowerStat = null;
            int fd;
            ns.readLock().lock();
            try {
                Resolved r = resolver.resolveToOpen(p).requireExists();
                Path copied = copiedLink(r, ino(r.layer(), r.host(), r.stat()));
                // A metadata-only copy is read from the lower file that holds its data.
                Resolved data = metacopy(r) ? copyUp.lowerData(r) : null;
                // A lower layer is only read: not even its access times change (ovl_path_open).
                boolean lower = copied == null && (!r.inUpper() || data != null);
                Path target = copied != null ? copied : data != null ? data.host() : r.host();
                fd = os.open(target, lower ? openFlags | O_NOATIME | O_NONBLOCK : openFlags, 0);
                if (lower) {
                    lowerStat = openedLower(fd);
                    // A metadata-only copy keeps its own attributes (and inode number).
                    if (data == null) r = r.withStat(lowerStat);
                }
                h = handle(p, r, fd, false, lower, lower ? lowerStat.size() : -1);
            } finally {
                ns.readLock().unlock();
            }
            // After the lock: starting the disk is no business of the namespace. The handle is
            // still ours alone, so its fd cannot be closed meanwhile.
            if (lowerStat != null) prefetch(fd, lowerStat);
            return h;
        }
        boolean metacopySeen = false;
        for (int attempt = 0; attempt < 10; attempt++) {
            Resolved r0 = readResolve(p).requireExists();
            if (r0.isDirectory()) throw new FsException(ErrorKind.IS_DIRECTORY, "is a directory: " + p);
            requireWritable(p);
            if (!r0.inUpper() || metacopySeen) copyUp.ensureUpper(p, (flags & O_TRUNC) == 0 ? CopyUp.Data.ALL : CopyUp.Data.NONE);
            ns.readLock().lock();
            try {
                Resolved r = resolver.resolve(p).requireExists();
                if (!r.inUpper()) continue;
                if (metacopy(r)) {
                    metacopySeen = true; // its data comes up first
                    continue;
                }
                int fd = os.open(r.host(), openFlags, 0);
                if ((flags & O_TRUNC) != 0) dropSetIds(r, fd, caller);
                return handle(p, r, fd, (flags & O_ACCMODE) != O_RDONLY, false, -1);
            } finally {
                ns.readLock().unlock();
            }
        }
        throw new FsException(ErrorKind.IO, "open of " + p + " kept racing with other changes");
    }

    /**
     * A lower file up to this size opened to read is read ahead in full at once. The kernel's
     * first READ of it asks for all of it anyway (FUSE reads ahead up to its max_readahead,
     * 128 KiB), and this way the disk starts while the OPEN reply travels back and the caller
     * gets to its read(2): that READ then mostly finds the pages cached. Measured on a cold read
     * of every file of a rootfs stack (docs/benchmarks.md).
     */
    static final long PREFETCH_MAX = 128 * 1024;

    /** Starts reading the whole of a small lower file just opened ({@link #PREFETCH_MAX}). */
    private void prefetch(int fd, StatInfo st) {
        if (st.isRegular() && st.size() > 0 && st.size() <= PREFETCH_MAX) os.willNeed(fd, st.size());
    }

    /**
     * The attributes of the lower object just opened as {@code fd} (closed when this fails). The
     * resolve before the open may have taken a lower stat from the index (Resolver#resolveToOpen),
     * which cannot see a name replaced behind the mount's back: this fstat costs no path walk and
     * describes exactly what was opened, so a replaced object shows as another inode (the kernel
     * is then told the name went stale). O_NONBLOCK on that open: a FIFO put in a file's place
     * must not block it (O_NONBLOCK does nothing to reads of a regular file, open(2)).
     */
    private StatInfo openedLower(int fd) throws FsException {
        try {
            return os.fstat(fd);
        } catch (FsException e) {
            os.close(fd);
            throw e;
        }
    }

    /**
     * open(O_TRUNC) of {@code r} by {@code caller}: clears the set-ID bits the kernel would
     * ({@link SetIdKill}). Under the namespace read lock, so the mode resolved is still the file's
     * (attribute changes take the write lock); through the new descriptor, so the file changed is
     * the one opened. Closes {@code fd} when that fails.
     */
    private void dropSetIds(Resolved r, int fd, Caller caller) throws FsException {
        int kill = SetIdKill.onTruncate(r.stat().mode(), r.stat().gid(), caller);
        if (kill == 0) return;
        try {
            os.fchmod(fd, r.stat().perm() & ~kill);
        } catch (FsException e) {
            os.close(fd);
            throw e;
        }
    }

    /**
     * A handle on {@code r}; {@code lower}: {@code fd} is open on a lower file (r's, or the data
     * of r's metadata-only copy), of size {@code lowerSize}.
     */
    private FileHandle handle(FsPath p, Resolved r, int fd, boolean writable, boolean lower, long lowerSize) throws FsException {
        // Without an upper layer nothing is ever copied up, so a lower handle never moves.
        boolean onLower = lower && copyUp != null;
        return handle(p, ino(r.layer(), r.host(), r.stat()), fd, writable, onLower, true, null, lowerSize, onLower && r.inUpper());
    }

    private FileHandle handle(FsPath p, long ino, int fd, boolean writable, boolean onLower, boolean fromLower, FileAttr first) {
        return handle(p, ino, fd, writable, onLower, fromLower, first, -1, false);
    }

    /**
     * {@code fromLower}: the file may descend from a lower one (and so have a hard-link index
     * entry). {@code first}: attributes known to be current, answered by the handle's first
     * getattr instead of an fstat (a create's reply). {@code metacopy}: {@code fd} reads the
     * data of a metadata-only copy, whose attributes are the upper file's.
     */
    private FileHandle handle(FsPath p, long ino, int fd, boolean writable, boolean onLower, boolean fromLower, FileAttr first,
                              long lowerSize, boolean metacopy) {
        AtomicReference<FileAttr> once = first == null ? null : new AtomicReference<>(first);
        // Until some copy-up happens, a handle on a lower file has no upper attributes to look for.
        long openedAt = copyUp == null ? 0 : copyUp.generation();
        return new FileHandle(os, p.toString(), ino, fd, writable, onLower, lowerSize, config.fsync(),
                copyUp == null ? () -> 0L : copyUp::generation,
                h -> reopenUpper(p, h),
                h -> {
                    FileAttr known = once == null ? null : once.getAndSet(null);
                    if (known != null) return known;
                    StatInfo st = os.fstat(h.fd());
                    if (h.readsLower() && copyUp != null && (metacopy || copyUp.generation() != openedAt)) {
                        // The lower file has the data; its attributes may have been copied up alone since.
                        StatInfo meta = upperAttributes(p, h.ino());
                        if (meta != null) st = meta.withBlocks(st.blocks());
                    }
                    long nlink = st.nlink();
                    if (fromLower && st.isRegular() && copyUp != null && nlink > 0) {
                        long n = copyUp.linkedNlink(h.ino());
                        if (n > 0) nlink = n;
                    }
                    return FileAttr.of(st, h.ino(), nlink);
                });
    }

    /**
     * The attributes of the upper object at {@code p} if it is a copy of mount inode {@code ino},
     * else null.
     */
    private StatInfo upperAttributes(FsPath p, long ino) throws FsException {
        ns.readLock().lock();
        try {
            Resolved r = upperCopyOf(p, ino);
            return r == null ? null : r.stat();
        } finally {
            ns.readLock().unlock();
        }
    }

    private int reopenUpper(FsPath p, FileHandle h) throws FsException {
        ns.readLock().lock();
        try {
            Resolved r = upperCopyOf(p, h.ino());
            // Only the attributes came up: the data is still where the handle reads it.
            if (r == null || metacopy(r)) return -1;
            return os.open(r.host(), O_RDONLY, 0);
        } finally {
            ns.readLock().unlock();
        }
    }

    /**
     * The upper object at {@code p} if it is a copy of mount inode {@code ino}, else null: also
     * when its directory went (rm -rf), for then the file was removed, not copied up, and an open
     * handle of a removed file keeps reading it (unlink(2)), here the lower one. Under the
     * namespace lock.
     */
    private Resolved upperCopyOf(FsPath p, long ino) throws FsException {
        Resolved r;
        try {
            r = resolver.resolve(p);
        } catch (FsException e) {
            if (e.kind() == ErrorKind.NOT_FOUND || e.kind() == ErrorKind.NOT_DIRECTORY) return null;
            throw e;
        }
        return r.exists() && r.inUpper() && ino(r.layer(), r.host(), r.stat()) == ino ? r : null;
    }

    /** Creates (or with no O_EXCL opens) a regular file; mode is permission bits, umask applied from caller. */
    public OpenFile create(String path, int flags, int mode, Caller caller) throws IOException {
        FsPath p = FsPath.parse(path);
        ns.writeLock().lock();
        try {
            Resolved r = resolver.resolve(p);
            if (r.exists()) {
                if ((flags & O_EXCL) != 0) throw new FsException(ErrorKind.EXISTS, "file exists: " + p);
            } else {
                requireWritable(p);
                requireCreatableName(p);
                int perm = mode & 07777 & ~caller.umask();
                Creation c = beginCreate(r);
                int fd = os.open(c.target, (flags & ~O_TRUNC) | O_CREAT | O_EXCL, perm & 0777);
                try {
                    // A file made here is upper and has no origin: its number is its own (no resolve needed).
                    StatInfo st = os.fstat(fd);
                    long ino = stack.ino(st.dev(), st.ino());
                    boolean changed = finishCreate(c, perm, caller, false, st);
                    // Unchanged since the fstat: the reply's attributes need no second one.
                    FileAttr first = changed ? null : FileAttr.of(st, ino, st.nlink());
                    capMisses.remember(p); // made by us: no capability
                    copyUp.madeInUpper(st);
                    return handle(p, ino, fd, (flags & O_ACCMODE) != O_RDONLY, false, false, first);
                } catch (FsException | RuntimeException e) {
                    os.close(fd);
                    throw e;
                }
            }
        } finally {
            resolver.markersChanged(p);
            ns.writeLock().unlock();
        }
        return open(path, flags & ~(O_CREAT | O_EXCL), caller);
    }

    /**
     * open(2) with O_TMPFILE in directory {@code dirPath}: an unnamed regular file in the upper
     * copy of the directory (copied up first), owned by the caller as a create would make it.
     * It gets no name through the mount; the kernel overlay answers EXDEV to linking it too.
     */
    public OpenFile tmpfile(String dirPath, int flags, int mode, Caller caller) throws IOException {
        FsPath p = FsPath.parse(dirPath);
        requireWritable(p);
        int perm = mode & 07777 & ~caller.umask();
        for (int attempt = 0; attempt < 10; attempt++) {
            Resolved r0 = readResolve(p).requireDirectory();
            if (!r0.inUpper()) copyUp.ensureUpper(p, CopyUp.Data.NONE);
            ns.readLock().lock();
            try {
                Resolved r = resolver.resolve(p).requireDirectory();
                if (!r.inUpper()) continue;
                int fd = os.open(r.host(), O_TMPFILE | (flags & (O_ACCMODE | O_APPEND)), perm & 0777);
                try {
                    StatInfo st = os.fstat(fd);
                    if (root) {
                        // open(2) "O_CREAT": the caller's ids, or a set-group-ID directory's group.
                        int gid = (r.stat().mode() & 02000) != 0 ? r.stat().gid() : caller.gid();
                        if (st.uid() != caller.uid() || st.gid() != gid) os.fchown(fd, caller.uid(), gid);
                    }
                    if (st.perm() != perm) os.fchmod(fd, perm);
                    copyUp.madeInUpper(st);
                    return handle(p, stack.ino(st.dev(), st.ino()), fd, (flags & O_ACCMODE) != O_RDONLY, false, false, null);
                } catch (FsException | RuntimeException e) {
                    os.close(fd);
                    throw e;
                }
            } finally {
                ns.readLock().unlock();
            }
        }
        throw new FsException(ErrorKind.IO, "O_TMPFILE in " + p + " kept racing with other changes");
    }

    // ---------------------------------------------------------------- removed files still known

    /**
     * Keeps a file replaced by a rename reachable by its inode number while {@code referenced}
     * says someone still knows that number (see {@link Ghosts}).
     */
    public void keepRemovedWhile(LongPredicate referenced) {
        ghosts.keepWhile(referenced);
    }

    /** The attributes of a removed file still kept for inode {@code ino}, or null. */
    public FileAttr removedAttr(long ino) throws IOException {
        return ghosts.attr(ino);
    }

    /**
     * Opens a removed file still kept for inode {@code ino}, or returns null. A lower one opens
     * for reading only: with no name to copy it up to, writing it would change the lower layer
     * (the kernel overlay answers EEXIST from its copy-up as well).
     */
    public OpenFile openRemoved(long ino, int flags) throws IOException {
        int fd = ghosts.open(ino, flags & ~(O_CREAT | O_EXCL));
        if (fd < 0) return null;
        return handle(FsPath.ROOT, ino, fd, (flags & O_ACCMODE) != O_RDONLY, false, false, null);
    }

    /** The kernel forgot inode {@code ino}: a removed file kept for it goes. */
    public void forgetRemoved(long ino) {
        ghosts.forget(ino);
    }

    /** mknod(2): mode carries the type (S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, S_IFREG). */
    public void mknod(String path, int mode, long rdev, Caller caller) throws IOException {
        FsPath p = FsPath.parse(path);
        int type = (mode & StatInfo.S_IFMT) == 0 ? StatInfo.S_IFREG : mode & StatInfo.S_IFMT;
        if (type == StatInfo.S_IFDIR || type == StatInfo.S_IFLNK) {
            throw new FsException(ErrorKind.INVALID, "mknod cannot make this type: " + p);
        }
        changeEntry(p, () -> {
            Resolved r = resolver.resolve(p).requireMissing();
            requireWritable(p);
            requireCreatableName(p);
            // As ovl_mknod(): a 0/0 character device is a whiteout in the upper, so it would
            // vanish (and hide a lower name at the next mount) instead of being created.
            if (type == StatInfo.S_IFCHR && rdev == 0) {
                throw new FsException(ErrorKind.NOT_PERMITTED, "cannot create a whiteout device (char 0/0) in an overlay: " + p);
            }
            int perm = mode & 07777 & ~caller.umask();
            Creation c = beginCreate(r);
            os.mknod(c.target, type | (perm & 0777), rdev);
            finishCreate(c, perm, caller, false, null);
            capMisses.remember(p);
        });
    }

    public void mkdir(String path, int mode, Caller caller) throws IOException {
        FsPath p = FsPath.parse(path);
        changeEntry(p, () -> {
            Resolved r = resolver.resolve(p).requireMissing();
            requireWritable(p);
            requireCreatableName(p);
            int perm = mode & 07777 & ~caller.umask();
            Creation c = beginCreate(r);
            os.mkdir(c.target, 0700);
            // A directory made where a lower one was deleted must not show that one's entries again.
            if (c.replacesWhiteout || c.aufsMarker != null) codec.markOpaque(c.target);
            finishCreate(c, perm, caller, true, null);
            resolver.invalidate(p);
            capMisses.remember(p);
        });
    }

    public void symlink(String target, String path, Caller caller) throws IOException {
        FsPath p = FsPath.parse(path);
        if (target.isEmpty()) throw new FsException(ErrorKind.NOT_FOUND, "empty symlink target: " + p);
        if (target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length >= PATH_MAX) {
            throw new FsException(ErrorKind.NAME_TOO_LONG, "symlink target too long: " + p);
        }
        changeEntry(p, () -> {
            Resolved r = resolver.resolve(p).requireMissing();
            requireWritable(p);
            requireCreatableName(p);
            Creation c = beginCreate(r);
            os.symlink(target, c.target);
            finishCreate(c, -1, caller, false, null);
            capMisses.remember(p);
        });
    }

    /** Where a new object is made: in place, or in the workdir when it must replace a whiteout atomically. */
    private record Creation(FsPath path, Path dst, Path target, boolean replacesWhiteout, Path aufsMarker) {}

    /** Prepares to make the missing name {@code r} (resolved under the write lock held since). */
    private Creation beginCreate(Resolved r) throws FsException {
        FsPath p = r.path();
        copyUp.ensureUpperDirLocked(p.parent());
        Path dst = stack.upper().host(p);
        // The lookup saw what the upper holds there (every missing answer says; only names
        // starting with .wh., which cannot be created, leave it UNKNOWN).
        boolean whiteout = r.upperSlot() == Resolved.UpperSlot.WHITEOUT;
        Path marker = r.upperSlot() == Resolved.UpperSlot.AUFS_MARKER ? WhiteoutCodec.aufsMarker(dst) : null;
        Path target = whiteout ? work.newTemp() : dst;
        return new Creation(p, dst, target, whiteout, marker);
    }

    /**
     * Owner, mode, then the atomic move over a whiteout; removes an AUFS marker last. {@code made}
     * is the new object's stat when the caller has one: a mode that open(2) already got right
     * (our umask or a default ACL took nothing from it) needs no chmod. Returns whether the
     * object changed after it was made (owner, mode or place).
     */
    private boolean finishCreate(Creation c, int perm, Caller caller, boolean dir, StatInfo made) throws FsException {
        boolean changed = c.replacesWhiteout;
        try {
            if (root) {
                // Made in place by root for a root caller of our group, the kernel already gave it
                // the owner and group we would (open(2), "O_CREAT": ours, or a set-group-ID
                // parent's): no chown, and no stat of the parent to decide it.
                boolean asMade = !c.replacesWhiteout && caller.uid() == 0 && caller.gid() == egid;
                boolean sgidParent = false;
                if (!asMade || dir) {
                    // BSD group semantics of a set-group-ID parent, as the kernel applies for a plain create.
                    StatInfo parent = os.lstat(c.dst.getParent());
                    sgidParent = (parent.mode() & 02000) != 0;
                    int gid = sgidParent ? parent.gid() : caller.gid();
                    asMade |= !c.replacesWhiteout && caller.uid() == 0 && sgidParent;
                    if (!asMade) {
                        os.lchown(c.target, caller.uid(), gid);
                        changed = true;
                    }
                }
                if (dir && sgidParent) perm |= 02000;
            }
            if (perm >= 0 && (made == null || made.perm() != perm)) {
                os.chmod(c.target, perm);
                changed = true;
            }
            if (c.replacesWhiteout) {
                StatInfo t = os.lstat(c.target);
                if (t.isDirectory()) {
                    // rename(2) cannot put a directory over a non-directory: swap, then drop the whiteout.
                    os.rename(c.target, c.dst, NativeOs.RENAME_EXCHANGE);
                    os.unlink(c.target);
                } else {
                    os.rename(c.target, c.dst, 0);
                }
            }
        } catch (FsException e) {
            if (c.replacesWhiteout) work.discard(c.target); else discardQuietly(c.dst);
            throw e;
        }
        if (c.aufsMarker != null) os.unlink(c.aufsMarker);
        return changed;
    }

    private void discardQuietly(Path p) {
        try {
            StatInfo st = os.lstatOrNull(p);
            if (st == null) return;
            if (st.isDirectory()) os.rmdir(p); else os.unlink(p);
        } catch (FsException ignored) {
            // best effort: the original error is what the caller needs
        }
    }

    // ---------------------------------------------------------------- removal

    public void unlink(String path) throws IOException {
        FsPath p = FsPath.parse(path);
        changeEntry(p, () -> {
            Resolved r = resolver.resolve(p).requireNotDirectory();
            requireWritable(p);
            removeNonDir(r);
        });
    }

    private void removeNonDir(Resolved r) throws FsException {
        FsPath p = r.path();
        Path dst = stack.upper().host(p);
        if (r.inUpper()) {
            long linked = copyUp.linkedOrigin(dst, r.stat());
            copyUp.upperNameRemoved(r.stat().ino());
            if (r.lowerHasName()) {
                placeWhiteoutOver(dst);
            } else {
                os.unlink(dst);
            }
            copyUp.dropIndexIfUnreachable(linked);
        } else {
            copyUp.ensureUpperDirLocked(p.parent());
            codec.writeWhiteout(dst);
            if (r.stat().nlink() > 1 && r.stat().isRegular()) {
                copyUp.lowerAliasRemoved(stack.ino(r.stat().dev(), r.stat().ino()));
            }
        }
    }

    /** Replaces the upper non-directory at dst by a whiteout in one rename (no window without either). */
    private void placeWhiteoutOver(Path dst) throws FsException {
        if (codec.kernelFormat()) {
            Path temp = work.newTemp();
            os.mknod(temp, StatInfo.S_IFCHR, 0);
            try {
                os.rename(temp, dst, 0);
            } catch (FsException e) {
                work.discard(temp);
                throw e;
            }
        } else {
            codec.writeWhiteout(dst);
            os.unlink(dst);
        }
    }

    public void rmdir(String path) throws IOException {
        FsPath p = FsPath.parse(path);
        if (p.isRoot()) throw new FsException(ErrorKind.BUSY, "cannot remove the root directory");
        changeEntry(p, () -> {
            Resolved r = resolver.resolve(p).requireDirectory();
            requireWritable(p);
            if (!resolver.isEmptyDir(p)) throw new FsException(ErrorKind.NOT_EMPTY, "directory not empty: " + p);
            removeEmptyDir(r);
            resolver.invalidate(p);
        });
    }

    /** Removes a directory whose merged view is empty; its upper copy may still hold whiteouts. */
    private void removeEmptyDir(Resolved r) throws FsException {
        FsPath p = r.path();
        Path dst = stack.upper().host(p);
        if (r.inUpper()) {
            copyUp.upperNameRemoved(r.stat().ino());
            if (r.lowerHasName() && codec.kernelFormat()) {
                Path temp = work.newTemp();
                os.mknod(temp, StatInfo.S_IFCHR, 0);
                os.rename(temp, dst, NativeOs.RENAME_EXCHANGE);
                work.discard(temp); // now the old directory with its whiteouts
            } else {
                clearDir(dst);
                os.rmdir(dst);
                if (r.lowerHasName()) codec.writeWhiteout(dst);
            }
        } else {
            copyUp.ensureUpperDirLocked(p.parent());
            codec.writeWhiteout(dst);
        }
    }

    /** Deletes the whiteouts and markers left in an upper directory whose merged view is empty. */
    private void clearDir(Path dir) throws FsException {
        for (String nm : listNames(dir)) {
            Path c = dir.resolve(nm);
            StatInfo st = os.lstatOrNull(c);
            if (st == null) continue;
            if (st.isDirectory()) {
                clearDir(c);
                os.rmdir(c);
            } else {
                os.unlink(c);
            }
        }
    }

    private List<String> listNames(Path dir) throws FsException {
        List<String> out = new ArrayList<>();
        for (NativeOs.DirEnt e : os.readDir(dir)) out.add(e.name());
        return out;
    }

    // ---------------------------------------------------------------- rename and link

    /**
     * rename(2) / renameat2(2) with RENAME_NOREPLACE (1). Directories that have lower parts are
     * moved by copying their tree into the upper first (their directories become opaque), never
     * answered with EXDEV; the result is a plain upper that the kernel overlay mounts as is (no
     * redirect xattrs, which need redirect_dir=on).
     */
    public void rename(String from, String to, int flags) throws IOException {
        rename(from, to, flags, () -> { });
    }

    /**
     * rename(2); {@code committed} runs once the rename has taken effect, still under the
     * namespace write lock: no request resolves a name between the two, so an index of names
     * kept beside the core (the FUSE node table) is updated before anyone can see it stale. It
     * does not run when nothing changed (two names of one file) and must not throw.
     */
    public void rename(String from, String to, int flags, Runnable committed) throws IOException {
        FsPath src = FsPath.parse(from);
        FsPath dst = FsPath.parse(to);
        if ((flags & ~NativeOs.RENAME_NOREPLACE) != 0) {
            throw new FsException(ErrorKind.INVALID, "unsupported rename flags " + flags + ": " + src);
        }
        if (src.isRoot() || dst.isRoot()) throw new FsException(ErrorKind.BUSY, "cannot rename the root directory");
        for (int attempt = 0; attempt < 20; attempt++) {
            Resolved rs;
            ns.readLock().lock();
            try {
                // In renameat2(2)'s order (fs/namei.c do_renameat2): both parent paths (a resolve
                // fails on its parents), then the source, then whether either name is an ancestor
                // of the other, then the types.
                rs = resolver.resolve(src);
                Resolved rd = resolver.resolve(dst);
                rs.requireExists();
                if (rs.isDirectory() && !dst.equals(src) && dst.startsWith(src)) {
                    throw new FsException(ErrorKind.INVALID, "cannot move a directory into itself: " + src + " -> " + dst);
                }
                if (!dst.equals(src) && src.startsWith(dst)) {
                    throw new FsException(ErrorKind.NOT_EMPTY, "cannot replace an ancestor of the source: " + src + " -> " + dst);
                }
                checkRenameTarget(rs, rd, flags);
                if (src.equals(dst) || sameFile(rs, rd)) return; // rename(2): two names of one file: nothing to do
                requireWritable(src);
                requireCreatableName(dst);
            } finally {
                ns.readLock().unlock();
            }
            if (rs.isDirectory()) {
                materialize(src);
            } else if (!rs.inUpper() || metacopy(rs)) {
                // A metadata-only copy's data is found by its path: it moves with its data.
                copyUp.ensureUpper(src, CopyUp.Data.ALL);
            }
            ns.writeLock().lock();
            try {
                rs = resolver.resolve(src).requireExists();
                Resolved rd = resolver.resolve(dst);
                checkRenameTarget(rs, rd, flags);
                if (sameFile(rs, rd)) return;
                if (!rs.inUpper() || metacopy(rs) || (rs.isDirectory() && !fullyUpper(src))) continue;
                commitRename(rs, rd);
                committed.run();
                return;
            } finally {
                resolver.markersChanged(src);
                resolver.markersChanged(dst);
                ns.writeLock().unlock();
            }
        }
        throw new FsException(ErrorKind.IO, "rename of " + src + " kept racing with other changes");
    }

    private boolean sameFile(Resolved a, Resolved b) throws FsException {
        return a.exists() && b.exists() && !a.isDirectory() && !b.isDirectory()
                && ino(a.layer(), a.host(), a.stat()) == ino(b.layer(), b.host(), b.stat());
    }

    private void checkRenameTarget(Resolved rs, Resolved rd, int flags) throws FsException {
        if (!rd.exists()) return;
        if ((flags & NativeOs.RENAME_NOREPLACE) != 0 && !rd.path().equals(rs.path())) {
            throw new FsException(ErrorKind.EXISTS, "file exists: " + rd.path());
        }
        if (rs.isDirectory() && !rd.isDirectory()) throw new FsException(ErrorKind.NOT_DIRECTORY, "not a directory: " + rd.path());
        if (!rs.isDirectory() && rd.isDirectory()) throw new FsException(ErrorKind.IS_DIRECTORY, "is a directory: " + rd.path());
        if (rd.isDirectory() && !rd.path().equals(rs.path()) && !resolver.isEmptyDir(rd.path())) {
            throw new FsException(ErrorKind.NOT_EMPTY, "directory not empty: " + rd.path());
        }
    }

    /** Copies every object below a directory into the upper (no lock held while copying data). */
    private void materialize(FsPath dir) throws FsException {
        copyUp.ensureUpper(dir, CopyUp.Data.NONE);
        List<Resolver.Entry> entries;
        ns.readLock().lock();
        try {
            // Below a directory without lower parts nothing can have lower parts: it is all upper already.
            if (!resolver.hasLowerParts(dir)) return;
            entries = resolver.list(dir);
        } finally {
            ns.readLock().unlock();
        }
        for (Resolver.Entry e : entries) {
            FsPath c = dir.resolve(dev.stratafs.core.path.Name.of(e.name()));
            if (e.isDirectory()) {
                materialize(c);
            } else if (!e.layer().isUpper() || e.type() == StatInfo.S_IFREG) {
                // An upper file may be a metadata-only copy, whose data would not follow the move.
                copyUp.ensureUpper(c, CopyUp.Data.ALL);
            }
        }
    }

    /** Under the write lock: is everything below dir in the upper? Marks lower-backed dirs opaque. */
    private boolean fullyUpper(FsPath dir) throws FsException {
        if (!resolver.hasLowerParts(dir)) return true;
        for (Resolver.Entry e : resolver.list(dir)) {
            if (!e.layer().isUpper()) return false;
            FsPath c = dir.resolve(dev.stratafs.core.path.Name.of(e.name()));
            if (e.isDirectory() && !fullyUpper(c)) return false;
            if (e.type() == StatInfo.S_IFREG && metacopy(resolver.resolve(c))) return false;
        }
        // Every visible entry is in the upper: the lower parts can be cut off. Opaque first, then
        // drop the whiteouts it makes redundant: a crash in between must not bring deleted lower
        // files back (the other order had that window); stale whiteouts in an opaque dir are inert.
        Path host = stack.upper().host(dir);
        boolean xwhiteouts = codec.opacity(host) == WhiteoutCodec.Opacity.XWHITEOUTS; // before markOpaque changes it
        codec.markOpaque(host);
        for (String nm : listNames(host)) {
            if (nm.equals(WhiteoutCodec.OPAQUE_MARKER)) continue;
            Path c = host.resolve(nm);
            StatInfo st = os.lstatOrNull(c);
            if (st != null && !st.isDirectory() && (codec.isWhiteout(c, st, xwhiteouts) || WhiteoutCodec.isMarkerName(nm))) {
                os.unlink(c);
            }
        }
        resolver.invalidate(dir);
        return true;
    }

    private void commitRename(Resolved rs, Resolved rd) throws FsException {
        FsPath src = rs.path();
        FsPath dst = rd.path();
        // First, under the write lock: a rename that fails halfway must not leave a stale miss.
        if (rs.isDirectory()) {
            capMisses.forgetAll();
        } else {
            capMisses.forget(src);
            capMisses.forget(dst);
        }
        copyUp.ensureUpperDirLocked(dst.parent());
        Path s = stack.upper().host(src);
        Path d = stack.upper().host(dst);
        if (rd.exists() && !rd.isDirectory()) {
            // Someone may still be about to stat or open the file being replaced, and for them the
            // name never went (rename(2) is atomic). An unlink needs no such care: a stat that
            // finds nothing then is as if it came after the unlink.
            // Only a last name: a hard link left elsewhere still reaches the file, and the kept
            // link would show in its st_nlink (pjdfstest rename/23.t).
            if (metacopy(rd)) keepMetacopyGhost(rd);
            else if (rd.inUpper() && rd.stat().nlink() == 1) ghosts.keepUpper(ino(rd.layer(), d, rd.stat()), d);
            else if (!rd.inUpper()) ghosts.keepLower(stack.ino(rd.stat().dev(), rd.stat().ino()), rd.host());
        }
        // The replaced file may be the last name of a hard-linked lower file's copy.
        long replacedLinked = rd.inUpper() ? copyUp.linkedOrigin(d, rd.stat()) : -1;
        long replacedLowerAlias = rd.exists() && !rd.inUpper() && rd.stat().isRegular() && rd.stat().nlink() > 1
                ? stack.ino(rd.stat().dev(), rd.stat().ino()) : -1;
        if (rd.inUpper()) copyUp.upperNameRemoved(rd.stat().ino());
        if (rd.exists() && rd.isDirectory() && rd.inUpper()) clearDir(d);
        StatInfo atD = os.lstatOrNull(d);
        boolean whiteoutAtD = atD != null && !rd.exists();
        boolean markerAtD = codec.hasAufsMarker(d);
        // As ovl_rename(): a directory without lower parts that moves into a merged parent, or over
        // a name that lower layers have, becomes opaque so nothing below can merge into it later.
        if (rs.isDirectory() && (rd.lowerHasName() || resolver.hasLowerParts(dst.parent())) && !codec.isOpaque(s)) {
            codec.markOpaque(s);
        }
        boolean needWhiteout = rs.lowerHasName();
        if (rs.isDirectory() && (whiteoutAtD || (rd.exists() && !rd.inUpper() && atD != null))) {
            // Directory over a whiteout: swap them; the whiteout lands at the source if one is needed.
            os.rename(s, d, NativeOs.RENAME_EXCHANGE);
            if (!needWhiteout || !codec.kernelFormat()) {
                os.unlink(s);
                if (needWhiteout) codec.writeWhiteout(s);
            }
        } else if (needWhiteout && codec.kernelFormat()) {
            os.rename(s, d, NativeOs.RENAME_WHITEOUT);
        } else {
            os.rename(s, d, 0);
            if (needWhiteout) codec.writeWhiteout(s);
        }
        if (markerAtD) os.unlink(WhiteoutCodec.aufsMarker(d));
        copyUp.dropIndexIfUnreachable(replacedLinked);
        if (replacedLowerAlias >= 0) copyUp.lowerAliasRemoved(replacedLowerAlias);
        resolver.invalidate(src);
        resolver.invalidate(dst);
    }

    /** A metadata-only copy replaced by a rename stays readable through its data (best effort). */
    private void keepMetacopyGhost(Resolved rd) {
        try {
            ghosts.keepLower(ino(rd.layer(), rd.host(), rd.stat()), copyUp.lowerData(rd).host());
        } catch (FsException e) {
            // No data to keep: a late request finds nothing, as for any removed file.
        }
    }

    public void link(String existing, String newPath) throws IOException {
        FsPath src = FsPath.parse(existing);
        FsPath dst = FsPath.parse(newPath);
        for (int attempt = 0; attempt < 10; attempt++) {
            Resolved rs = readResolve(src).requireExists();
            // As vfs_link(): the destination is judged before the source's type.
            readResolve(dst).requireMissing();
            requireWritable(dst);
            requireCreatableName(dst);
            if (rs.isDirectory()) throw new FsException(ErrorKind.NOT_PERMITTED, "cannot hard-link a directory: " + src);
            // Each name of a metadata-only copy would need its own lower data: links get the data.
            if (!rs.inUpper() || metacopy(rs)) copyUp.ensureUpper(src, CopyUp.Data.ALL);
            ns.writeLock().lock();
            try {
                rs = resolver.resolve(src).requireExists();
                if (!rs.inUpper() || metacopy(rs)) continue;
                Creation c = beginCreate(resolver.resolve(dst).requireMissing());
                capMisses.forget(dst);
                os.link(rs.host(), c.target);
                if (c.replacesWhiteout) os.rename(c.target, c.dst, 0);
                if (c.aufsMarker != null) os.unlink(c.aufsMarker);
                return;
            } finally {
                resolver.markersChanged(dst);
                ns.writeLock().unlock();
            }
        }
        throw new FsException(ErrorKind.IO, "link of " + src + " kept racing with other changes");
    }

    // ---------------------------------------------------------------- metadata

    /**
     * Applies every part of {@code c} to one upper copy (copied up once, without data when the
     * size becomes 0) in the order mode, owner, size, times, and answers the attributes after
     * them: one resolve for what a FUSE SETATTR used to need two or more for.
     */
    public FileAttr setattr(String path, AttrChange c) throws IOException {
        return change(FsPath.parse(path), c, true);
    }

    public void chmod(String path, int mode) throws IOException {
        change(FsPath.parse(path), AttrChange.builder().mode(mode).build(), false);
    }

    /** chown; -1 leaves an id unchanged. */
    public void chown(String path, int uid, int gid) throws IOException {
        change(FsPath.parse(path), AttrChange.builder().owner(uid, gid).build(), false);
    }

    public void utimens(String path, SetTime atime, SetTime mtime) throws IOException {
        change(FsPath.parse(path), AttrChange.builder().times(atime, mtime).build(), false);
    }

    public void truncate(String path, long size) throws IOException {
        FsPath p = FsPath.parse(path);
        if (size < 0) throw new FsException(ErrorKind.INVALID, "negative size: " + p);
        change(p, AttrChange.builder().size(size).build(), false);
    }

    /** The one place attributes change; {@code answer}: stat the upper copy afterwards for the caller. */
    private FileAttr change(FsPath p, AttrChange c, boolean answer) throws IOException {
        FileAttr[] after = new FileAttr[1];
        CopyUp.Data data = c.size() < 0 ? CopyUp.Data.LATER : c.size() == 0 ? CopyUp.Data.NONE : CopyUp.Data.ALL;
        // Attributes alone: a copy-up made for them takes them before its rename.
        onUpper(p, data, data == CopyUp.Data.LATER ? c : null, r -> {
            if (c.mode() >= 0 && r.stat().isSymlink()) {
                throw new FsException(ErrorKind.NOT_SUPPORTED, "cannot change the mode of a symbolic link: " + p);
            }
            if (c.size() >= 0) {
                if (r.isDirectory()) throw new FsException(ErrorKind.IS_DIRECTORY, "is a directory: " + p);
                if (!r.stat().isRegular()) throw new FsException(ErrorKind.INVALID, "not a regular file: " + p);
            }
        }, up -> {
            Path h = up.host();
            if (c.mode() >= 0) os.chmod(h, c.mode());
            if (c.changesOwner()) os.lchown(h, c.uid(), c.gid());
            if (c.size() >= 0) truncateHost(h, c.size());
            if (c.changesTimes()) os.utimens(h, c.atime().sec(), c.atime().nsec(), c.mtime().sec(), c.mtime().nsec());
            if (answer) after[0] = attr(up, os.lstat(h));
        }, copied -> {
            copyUp.copiedHere(copied.stat());
            if (answer) after[0] = attr(copied);
        });
        return after[0];
    }

    private void truncateHost(Path h, long size) throws FsException {
        int fd = os.open(h, O_WRONLY, 0);
        try {
            os.ftruncate(fd, size);
        } finally {
            os.close(fd);
        }
    }

    public void setxattr(String path, String name, byte[] value, int flags) throws IOException {
        FsPath p = FsPath.parse(path);
        if (PrivateXattrs.isPrivate(name)) throw new FsException(ErrorKind.NOT_SUPPORTED, "overlay-private xattr: " + name);
        requireUserXattrAllowed(readResolve(p).requireExists(), name);
        onUpper(p, CopyUp.Data.LATER, up -> {
            os.setxattr(up.host(), name, value, flags);
            // Any of the file's names may have been recorded as lacking it (hard links).
            if (name.equals(CapabilityMisses.NAME)) capMisses.forgetAll();
        });
    }

    /** The value; NO_ATTRIBUTE when absent. */
    public byte[] getxattr(String path, String name) throws IOException {
        byte[] v = xattr(path, name);
        if (v == null) throw new FsException(ErrorKind.NO_ATTRIBUTE, "no such attribute " + name + ": " + path);
        return v;
    }

    /**
     * The value of the xattr {@code name}, or null when the object has none by that name (the
     * usual answer to the kernel's security.capability probe, given without an exception).
     */
    public byte[] xattr(String path, String name) throws IOException {
        FsPath p = FsPath.parse(path);
        if (PrivateXattrs.isPrivate(name)) throw new FsException(ErrorKind.NOT_SUPPORTED, "overlay-private xattr: " + name);
        boolean cap = name.equals(CapabilityMisses.NAME);
        if (cap && capMisses.known(p)) return null;
        ns.readLock().lock();
        try {
            Resolved r = resolver.resolve(p).requireExists();
            byte[] v = os.getxattr(r.host(), name);
            if (v == null && cap) capMisses.remember(p);
            return v;
        } finally {
            ns.readLock().unlock();
        }
    }

    public List<String> listxattr(String path) throws IOException {
        FsPath p = FsPath.parse(path);
        Resolved r = readResolve(p).requireExists();
        List<String> out = new ArrayList<>();
        for (String n : os.listxattr(r.host())) {
            if (!PrivateXattrs.isPrivate(n)) out.add(n);
        }
        return out;
    }

    public void removexattr(String path, String name) throws IOException {
        FsPath p = FsPath.parse(path);
        if (PrivateXattrs.isPrivate(name)) throw new FsException(ErrorKind.NOT_SUPPORTED, "overlay-private xattr: " + name);
        Resolved r = readResolve(p).requireExists();
        requireWritable(p);
        requireUserXattrAllowed(r, name);
        if (os.getxattr(r.host(), name) == null) throw new FsException(ErrorKind.NO_ATTRIBUTE, "no such attribute " + name + ": " + p);
        onUpper(p, CopyUp.Data.LATER, up -> os.removexattr(up.host(), name));
    }

    public FsStat statfs(String path) throws IOException {
        Path where = stack.hasUpper() ? stack.upper().root() : stack.lower(0).root();
        FsStats s = os.statvfs(where);
        return new FsStat(s.bsize(), s.frsize(), s.blocks(), s.bfree(), s.bavail(), s.files(), s.ffree(), 255);
    }

    /** access(2) for the caller: mask of R_OK=4, W_OK=2, X_OK=1, or F_OK=0. */
    public void access(String path, int mask, Caller caller) throws IOException {
        FsPath p = FsPath.parse(path);
        Resolved r = readResolve(p).requireExists();
        if ((mask & 2) != 0 && readOnly()) throw new FsException(ErrorKind.READ_ONLY, "read-only filesystem: " + p);
        StatInfo st = r.stat();
        int perm = st.perm();
        if (caller.uid() == 0) {
            // root passes everything but execute of a file with no execute bit at all.
            if ((mask & 1) != 0 && !st.isDirectory() && (perm & 0111) == 0) {
                throw new FsException(ErrorKind.ACCESS_DENIED, "permission denied: " + p);
            }
            return;
        }
        int granted = caller.uid() == st.uid() ? (perm >> 6) & 7 : caller.gid() == st.gid() ? (perm >> 3) & 7 : perm & 7;
        if ((granted & mask) != (mask & 7)) throw new FsException(ErrorKind.ACCESS_DENIED, "permission denied: " + p);
    }

    // ---------------------------------------------------------------- helpers

    private interface UpperAction {
        void apply(Resolved upper) throws FsException;
    }

    /** Copies the object up if needed (without the lock), then applies the change on the upper copy. */
    private void onUpper(FsPath p, CopyUp.Data data, UpperAction action) throws FsException {
        onUpper(p, data, null, r -> { }, action, null);
    }

    /**
     * Runs {@code action} on the upper object at {@code p} under the namespace lock, copying it
     * up first (unlocked) when it is still in a lower layer. {@code check} sees the object on
     * every attempt before anything is copied or changed. An object already in the upper layer
     * (the common case: a file made through the mount) costs one resolve. With {@code inCopy}
     * (attributes only), a copy-up made here applies it to the new copy, and {@code changed}
     * then runs on the copy in place of {@code action}.
     */
    private void onUpper(FsPath p, CopyUp.Data data, AttrChange inCopy, UpperAction check, UpperAction action,
                         UpperAction changed) throws FsException {
        boolean copiedChanged = false;
        for (int attempt = 0; attempt < 10; attempt++) {
            Resolved r;
            ns.writeLock().lock();
            try {
                r = resolver.resolve(p).requireExists();
                if (copiedChanged && r.inUpper()) {
                    changed.apply(r);
                    return;
                }
                check.apply(r);
                // A metadata-only copy takes changes of attributes as it is; a resize needs its data first.
                if (r.inUpper() && (data == CopyUp.Data.LATER || !metacopy(r))) {
                    action.apply(r);
                    return;
                }
            } finally {
                ns.writeLock().unlock();
            }
            requireWritable(p);
            if (inCopy != null) copiedChanged = copyUp.ensureUpperChanged(r, inCopy);
            else copyUp.ensureUpper(r, data);
        }
        throw new FsException(ErrorKind.IO, "change of " + p + " kept racing with other changes");
    }

    /** xattr(7): user.* attributes exist only on regular files and directories (EPERM elsewhere). */
    private static void requireUserXattrAllowed(Resolved r, String name) throws FsException {
        if (name.startsWith("user.") && !r.stat().isRegular() && !r.stat().isDirectory()) {
            throw new FsException(ErrorKind.NOT_PERMITTED, "user.* xattrs are only allowed on files and directories: " + r.path());
        }
    }

    private interface EntryChange {
        void apply() throws IOException;
    }

    /**
     * Makes or removes the entry at {@code p} under the namespace write lock; afterwards its
     * directory's AUFS markers are read again, since the change may have added or dropped one.
     */
    private void changeEntry(FsPath p, EntryChange change) throws IOException {
        ns.writeLock().lock();
        try {
            // Before the change, under the lock: a creation may record its own miss.
            capMisses.forget(p);
            change.apply();
        } finally {
            resolver.markersChanged(p);
            ns.writeLock().unlock();
        }
    }

    private Resolved readResolve(FsPath p) throws FsException {
        ns.readLock().lock();
        try {
            return resolver.resolve(p);
        } finally {
            ns.readLock().unlock();
        }
    }

    private void requireWritable(FsPath p) throws FsException {
        if (!stack.hasUpper()) throw new FsException(ErrorKind.READ_ONLY, "read-only filesystem (no upperdir): " + p);
    }

    /** Names starting with ".wh." carry whiteouts in layer formats; a user file by that name would corrupt the upper. */
    private static void requireCreatableName(FsPath p) throws FsException {
        if (!p.isRoot() && WhiteoutCodec.isMarkerName(p.fileName().value())) {
            throw new FsException(ErrorKind.INVALID, "names starting with .wh. are reserved for whiteouts: " + p);
        }
    }

    /**
     * Ends the session: a volatile upper is marked clean again (after a sync, since its writes
     * skipped fsync). Open handles stay usable until closed. Idempotent.
     */
    @Override
    public void close() {
        if (closed.getAndSet(true) || work == null || config.fsync()) return;
        try {
            new ProcessBuilder("sync", "-f", stack.upper().root().toString()).inheritIO().start().waitFor();
            work.endVolatile();
        } catch (IOException e) {
            // The marker stays; the next mount refuses the upper, which is the safe side.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
