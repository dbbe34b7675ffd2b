package dev.stratafs.core.copyup;

import dev.stratafs.core.AttrChange;
import dev.stratafs.core.LongWork;
import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.layer.LayerStack;
import dev.stratafs.core.lookup.Resolved;
import dev.stratafs.core.lookup.Resolver;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import dev.stratafs.core.path.FsPath;
import dev.stratafs.core.path.Name;
import dev.stratafs.core.whiteout.PrivateXattrs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies lower objects into the upper, whole and atomically (overlayfs.rst "Non-directories"):
 * parents first, then the object into a temp name in the workdir (data, owner, mode, xattrs,
 * times, fsync), then one rename into place under the namespace lock. The byte copy runs without
 * any lock; concurrent copy-ups of one path share a single copy.
 *
 * <p>With metacopy on, a change of attributes only copies a regular file up without its data
 * (overlayfs.rst "Metadata only copy up"): the upper file has the lower file's size, no blocks,
 * and the {@code overlay.metacopy} xattr, and reads go on to the lower file at the same path
 * until a write, a truncate, a rename or a link needs the data. That copy goes the same way:
 * data and the upper file's attributes into a temp, then a rename over the metadata-only file.
 */
public final class CopyUp {
    private static final Logger LOG = LoggerFactory.getLogger(CopyUp.class);

    /** What a copy-up must bring of a regular file's data. */
    public enum Data {
        /** All of it: the file is about to be written, resized, renamed or linked. */
        ALL,
        /**
         * None yet, if the stack has metacopy on (else all): only attributes change, and reads
         * keep going to the lower file.
         */
        LATER,
        /** None at all: the file is about to be emptied (open with O_TRUNC, truncate to 0). */
        NONE
    }

    private final LayerStack stack;
    private final Resolver resolver;
    private final NativeOs os;
    private final ReadWriteLock ns;
    private final WorkDir work;
    private final boolean fsync;
    private final String originXattr;
    private final String lowerGoneXattr;
    private final String lowerNlinkXattr;
    /** Marks a metadata-only copy; the kernel's name, so that its overlay reads ours and we read its. */
    private final String metacopyXattr;
    /** Where the kernel records the path a renamed metadata-only copy's data is at. */
    private final String redirectXattr;
    private final boolean metacopy;
    /**
     * What the upper filesystem keeps in order over a crash, which decides how a copy is made
     * durable before its rename ({@link #syncCopy}); found once at start. NONE when fsync is off.
     */
    private final MetadataOrder.Level upperOrder;
    /**
     * Upper inode number -> whether it is a metadata-only copy, as of the ctime the answer was
     * read at: an inode number reused by a newer file, or a file changed since, has another
     * ctime, so no removal needs to be told. Saves an lgetxattr on every open and getattr of an
     * upper file.
     */
    private final ConcurrentHashMap<Long, MetacopyState> metacopies = new ConcurrentHashMap<>();

    /** {@code redirect}: the kernel's redirect xattr of a marked file it renamed, or null. */
    private record MetacopyState(long ctimeSec, long ctimeNsec, boolean metacopy, String redirect) {
        boolean describes(StatInfo st) {
            return ctimeSec == st.ctimeSec() && ctimeNsec == st.ctimeNsec();
        }
    }
    private final ConcurrentHashMap<FsPath, CompletableFuture<Void>> inflight = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    /**
     * Upper inode number -> the mount inode it inherited, or -1. The origin xattr is written only
     * on a new inode before it gets a name, so it never changes while the inode lives; an entry
     * goes when an upper name is removed ({@link #upperNameRemoved}), before its number can be
     * reused. Saves an lgetxattr on every getattr of an upper object.
     */
    private final ConcurrentHashMap<Long, Long> origins = new ConcurrentHashMap<>();
    /** About 80 bytes each. */
    private static final int ORIGINS_LIMIT = 32_768;
    /** Whether the daemon may give copies their owner (it does not change while mounted). */
    private final boolean root;
    /**
     * The owner a new object in the workdir gets: the daemon's uid, and its gid unless the
     * scratch directory is set-group-ID (then the directory's group, as open(2) gives it). A
     * copy of a file owned so needs no chown (most of a container image is root's).
     */
    private final int newUid;
    private final int newGid;
    /**
     * Devices of lower layers whose files the upper refused to reflink (ext4, or another
     * filesystem): their copy-ups skip the FICLONE that would fail again.
     */
    private final java.util.Set<Long> noCloneFrom = ConcurrentHashMap.newKeySet();

    /**
     * {@code overlayPrefix}: where the kernel overlay's own xattrs live on this upper
     * ({@code trusted.overlay.} or {@code user.overlay.}); {@code privatePrefix}: where ours do.
     */
    public CopyUp(LayerStack stack, Resolver resolver, NativeOs os, ReadWriteLock ns, WorkDir work,
                  boolean fsync, boolean metacopy, String overlayPrefix, String privatePrefix) {
        this.stack = stack;
        this.resolver = resolver;
        this.os = os;
        this.ns = ns;
        this.work = work;
        this.fsync = fsync;
        this.originXattr = privatePrefix + "origin";
        this.lowerGoneXattr = privatePrefix + "lowergone";
        this.lowerNlinkXattr = privatePrefix + "lowernlink";
        this.metacopyXattr = overlayPrefix + "metacopy";
        this.redirectXattr = overlayPrefix + "redirect";
        this.metacopy = metacopy;
        this.upperOrder = fsync ? MetadataOrder.of(os, stack.upper().root()) : MetadataOrder.Level.NONE;
        if (metacopy && overlayPrefix.startsWith("user.")) {
            // overlayfs.rst: the kernel refuses metacopy=on together with userxattr.
            LOG.warn("metacopy: without root the marks are user.overlay.metacopy xattrs, which only stratafs reads"
                    + " (the kernel overlay refuses metacopy with userxattr, fuse-overlayfs reads such files as zeros)");
        }
        if (fsync) {
            // How a copy-up waits for the disk: worth one line at mount.
            LOG.info(switch (upperOrder) {
                case METADATA_AFTER_DATA -> "copy-ups are not fsync'ed: their data is written out before the rename, and the"
                        + " upper filesystem commits a rename only after the data written before it";
                case METADATA -> "copy-ups that write no file data (reflinks, empty and metadata-only copies) are not"
                        + " fsync'ed: the upper filesystem writes metadata in order";
                case NONE -> "every copy-up is fsync'ed: the upper filesystem is not known to write metadata in order";
            });
        }
        this.root = os.geteuid() == 0;
        this.newUid = os.geteuid();
        this.newGid = newObjectGid(os, work);
    }

    private static int newObjectGid(NativeOs os, WorkDir work) {
        try {
            StatInfo st = os.lstat(work.scratch());
            return (st.mode() & 02000) != 0 ? st.gid() : os.getegid();
        } catch (FsException e) {
            return -1; // unknown: always chown
        }
    }

    /** Increases with every completed copy-up; open lower handles compare it to notice they moved. */
    public long generation() {
        return generation.get();
    }

    /**
     * Makes sure the object at {@code p} is in the upper, with as much of its data as
     * {@code data} asks: a metadata-only copy already there gets its data for {@link Data#ALL}
     * and is emptied for {@link Data#NONE}. Must be called WITHOUT the namespace lock.
     */
    public void ensureUpper(FsPath p, Data data) throws FsException {
        ensureUpper(p, null, data);
    }

    /**
     * As {@link #ensureUpper(FsPath, Data)} for an object the caller has just resolved: the
     * first attempt starts from {@code known} instead of resolving again (the commit checks
     * under the lock that nothing changed meanwhile, as it does for any attempt).
     */
    public void ensureUpper(Resolved known, Data data) throws FsException {
        ensureUpper(known.path(), known.requireExists(), data, null);
    }

    /**
     * As {@link #ensureUpper(Resolved, Data)} for a change of attributes only ({@link Data#LATER}):
     * a copy made by this call gets {@code change} before its rename, which saves changing and
     * stating it again after. True when it did; false when the caller must still apply it (the
     * object was a directory, already in the upper, or copied by another thread).
     */
    public boolean ensureUpperChanged(Resolved known, AttrChange change) throws FsException {
        if (change.size() >= 0) throw new IllegalArgumentException("a resize needs the data: " + change);
        return ensureUpper(known.path(), known.requireExists(), Data.LATER, change);
    }

    private void ensureUpper(FsPath p, Resolved known, Data data) throws FsException {
        ensureUpper(p, known, data, null);
    }

    /** True when a copy was made here with {@code change} (non-null) applied to it. */
    private boolean ensureUpper(FsPath p, Resolved known, Data data, AttrChange change) throws FsException {
        for (int attempt = 0; attempt < 100; attempt++) {
            Resolved r;
            if (attempt == 0 && known != null) {
                r = known;
            } else {
                ns.readLock().lock();
                try {
                    r = resolver.resolve(p).requireExists();
                } finally {
                    ns.readLock().unlock();
                }
            }
            if (r.inUpper() && (data == Data.LATER || !isMetacopy(r))) return false;
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = inflight.putIfAbsent(p, mine);
            LongWork.starting(); // our copy, or the wait for another thread's
            if (other != null) {
                await(other);
                continue;
            }
            try {
                Outcome done = r.inUpper() ? fillMetacopy(r, data) : copyOne(r, data, change);
                mine.complete(null);
                // Renamed into place under the lock: no need to look again.
                if (done != Outcome.RETRY) return done == Outcome.CHANGED;
            } catch (FsException | RuntimeException e) {
                mine.completeExceptionally(e);
                throw e;
            } finally {
                inflight.remove(p, mine);
            }
        }
        throw new FsException(ErrorKind.IO, "copy-up of " + p + " kept racing with other changes");
    }

    private static void await(CompletableFuture<Void> f) throws FsException {
        try {
            f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FsException(ErrorKind.INTERRUPTED, "interrupted while waiting for a copy-up");
        } catch (ExecutionException e) {
            // The other copier failed; our own attempt will report its own error.
        }
    }

    private enum Outcome {
        /** Something changed meanwhile: look again. */
        RETRY,
        /** The copy is in place. */
        COPIED,
        /** The copy is in place, with the attribute change asked for. */
        CHANGED
    }

    private Outcome copyOne(Resolved r, Data data, AttrChange change) throws FsException {
        FsPath p = r.path();
        ns.writeLock().lock();
        try {
            ensureUpperDirLocked(p.isRoot() ? p : p.parent());
            if (r.isDirectory()) {
                ensureUpperDirLocked(p);
                return Outcome.COPIED;
            }
        } finally {
            ns.writeLock().unlock();
        }
        StatInfo src = r.stat();
        long originIno = stack.ino(src.dev(), src.ino());
        boolean linked = src.isRegular() && src.nlink() > 1;
        // A hard-linked file's copy is shared through the index by all its names, which a copy
        // without data would not survive (each name would need its own lower file). An empty
        // file is marked too, as the kernel marks it.
        boolean metaOnly = data == Data.LATER && metacopy && src.isRegular() && !linked;
        Path indexEntry = work.index().resolve(Long.toString(originIno));
        Path temp = work.newTemp();
        boolean haveIndex = linked && os.lstatOrNull(indexEntry) != null;
        try {
            if (!haveIndex) {
                prepare(r.host(), src, temp, data != Data.NONE && !metaOnly, metaOnly, originIno, change);
            }
            ns.writeLock().lock();
            try {
                // Lower layers do not change while mounted: their stat as the index has it will do.
                Resolved now = resolver.resolveToOpen(p);
                if (now.inUpper() || !now.exists() || now.stat().ino() != src.ino() || now.stat().dev() != src.dev()) {
                    return Outcome.RETRY; // someone else copied it, or it changed; the caller re-resolves
                }
                Path dst = stack.upper().host(p);
                boolean changed = change != null;
                if (linked) {
                    if (os.lstatOrNull(indexEntry) != null) {
                        changed = false; // the name joins the copy another name made
                        work.discard(temp);
                        os.link(indexEntry, temp);
                        bumpLowerGone(indexEntry, 1);
                    } else {
                        os.link(temp, indexEntry);
                        setLowerGone(indexEntry, 1);
                        os.setxattr(indexEntry, lowerNlinkXattr, Long.toString(src.nlink()).getBytes(StandardCharsets.US_ASCII), 0);
                    }
                }
                os.rename(temp, dst, NativeOs.RENAME_NOREPLACE);
                temp = null; // nothing left to discard
                generation.incrementAndGet();
                return changed ? Outcome.CHANGED : Outcome.COPIED;
            } finally {
                ns.writeLock().unlock();
            }
        } finally {
            if (temp != null) work.discard(temp);
        }
    }

    /**
     * Builds a copy of {@code src} at {@code temp} with its metadata; no lock held. A regular
     * file gets its data when {@code withData}, or when {@code metaOnly} its size and the
     * metacopy mark instead.
     */
    private void prepare(Path srcPath, StatInfo src, Path temp, boolean withData, boolean metaOnly, long originIno,
                         AttrChange change) throws FsException {
        switch (src.type()) {
            case StatInfo.S_IFREG -> {
                int dfd = os.open(temp, NativeOs.OpenFlags.O_WRONLY | NativeOs.OpenFlags.O_CREAT | NativeOs.OpenFlags.O_EXCL, 0600);
                try {
                    boolean wrote = withData && copyData(srcPath, src, dfd, src.size());
                    if (metaOnly) {
                        // The lower file's size, without blocks: stat and du of the upper tree
                        // tell the truth, as the kernel's copies do (ovl_copy_up_metadata).
                        os.ftruncate(dfd, src.size());
                        os.fsetxattr(dfd, metacopyXattr, new byte[0], 0);
                    }
                    // Through the open file: no path walks into the workdir for each step.
                    finishCopy(srcPath, src, new FdTarget(dfd), originIno, change);
                    // Last: data and metadata (owner, mode, xattrs, times, origin) are on the disk
                    // before the rename shows the copy.
                    syncCopy(dfd, wrote);
                } finally {
                    os.close(dfd);
                }
                return;
            }
            case StatInfo.S_IFLNK -> os.symlink(os.readlink(srcPath), temp);
            case StatInfo.S_IFDIR -> os.mkdir(temp, 0700);
            default -> os.mknod(temp, src.type() | 0600, src.rdev());
        }
        finishCopy(srcPath, src, new PathTarget(temp), originIno, change);
    }

    /**
     * The first {@code size} bytes of the lower file {@code srcPath} ({@code src}) into
     * {@code dfd}; true when bytes were written, false when there were none or a reflink shares
     * the lower file's blocks instead.
     */
    private boolean copyData(Path srcPath, StatInfo src, int dfd, long size) throws FsException {
        if (size <= 0) return false;
        int sfd = os.open(srcPath, NativeOs.OpenFlags.O_RDONLY | NativeOs.OpenFlags.O_NOATIME, 0);
        try {
            boolean tryClone = !noCloneFrom.contains(src.dev());
            // Blocks that cover the size leave no room for a hole.
            boolean dense = src.blocks() * 512 >= size;
            boolean cloned = os.copyFile(sfd, dfd, size, tryClone, dense) == NativeOs.CopyMethod.CLONE;
            if (!cloned && tryClone) noCloneFrom.add(src.dev());
            return !cloned;
        } finally {
            os.close(sfd);
        }
    }

    /**
     * Makes a finished copy in the workdir safe to rename: after a crash the upper then holds the
     * whole copy or none, never a torn file.
     * <ul>
     * <li>A copy that wrote no bytes (empty, metadata-only, or a reflink, whose blocks are the
     *     lower file's, already written) holds only metadata, which an upper that keeps metadata
     *     in order puts on the disk before the rename. The kernel overlay does not fsync such
     *     copies either (fs/overlayfs/copy_up.c, ovl_copy_up_file: a whole clone skips its
     *     vfs_fsync).
     * <li>Written bytes must be on the disk before the rename is. Delayed allocation writes them
     *     whenever writeback comes, maybe after the rename is committed (ext4.rst,
     *     "auto_da_alloc"; an unwritten extent then reads as zeros). On ext4 with a journal and
     *     on xfs it is enough to write them out and wait ({@link MetadataOrder.Level#METADATA_AFTER_DATA}):
     *     the rename's commit flushes the device first. That skips fsync's own journal commit and
     *     cache flush, most of its cost (a 4 KiB copy: 0.3 ms against 4 ms here).
     *     CopyUpDurabilityTest cuts the power with the writes slowed down: written out without
     *     the wait, the copies read as zeros.
     * <li>Elsewhere, and on btrfs for written bytes, the copy is fsync'ed.
     * </ul>
     */
    private void syncCopy(int dfd, boolean wroteData) throws FsException {
        if (!fsync) return;
        if (!wroteData) {
            if (upperOrder == MetadataOrder.Level.NONE) os.fsync(dfd);
        } else if (upperOrder == MetadataOrder.Level.METADATA_AFTER_DATA) {
            os.writeOutAndWait(dfd);
        } else {
            os.fsync(dfd);
        }
    }

    /**
     * Whether the upper object {@code up} is a metadata-only copy, whose data is still in a lower
     * layer. False for anything but a regular file in the upper.
     */
    public boolean isMetacopy(Resolved up) throws FsException {
        return up.inUpper() && isMetacopy(up.host(), up.stat());
    }

    /** As {@link #isMetacopy(Resolved)} for the upper object at {@code host}, as {@code st} stats it. */
    public boolean isMetacopy(Path host, StatInfo st) throws FsException {
        return st.isRegular() && metacopyState(host, st).metacopy();
    }

    private MetacopyState metacopyState(Path host, StatInfo st) throws FsException {
        MetacopyState known = metacopies.get(st.ino());
        // Without metacopy this stack marks nothing, so an inode number once seen unmarked stays
        // so, whatever file has it later (writes and chmods of upper files change the ctime).
        if (known != null && (known.describes(st) || (!metacopy && !known.metacopy()))) return known;
        boolean m = os.getxattr(host, metacopyXattr) != null;
        byte[] redirect = m ? os.getxattr(host, redirectXattr) : null;
        MetacopyState state = new MetacopyState(st.ctimeSec(), st.ctimeNsec(), m,
                redirect == null ? null : new String(redirect, StandardCharsets.UTF_8));
        if (metacopies.size() >= ORIGINS_LIMIT) metacopies.clear();
        metacopies.put(st.ino(), state);
        return state;
    }

    /**
     * {@code st} stats what is, under the write lock, at the name of a copy just made here. On a
     * stack without metacopy that holds its data: only that copy or another file made through
     * the mount can be there by then, such a stack marks none, and a marked file found on the
     * upper gets its data before a rename moves it.
     */
    public void copiedHere(StatInfo st) {
        if (!metacopy) rememberUnmarked(st);
    }

    private void rememberUnmarked(StatInfo st) {
        if (st.isRegular()) metacopies.put(st.ino(), new MetacopyState(st.ctimeSec(), st.ctimeNsec(), false, null));
    }

    /**
     * The lower file that holds the data of the metadata-only copy {@code up}: at its own path,
     * or where the kernel's redirect xattr points if the kernel renamed it (an absolute path,
     * looked up from the lower layers' roots, or a name in the same directory: overlayfs.rst
     * "Redirect dir"). Found without following symlinks; IO when there is none.
     */
    public Resolved lowerData(Resolved up) throws FsException {
        String r = metacopyState(up.host(), up.stat()).redirect();
        if (r == null) return resolver.lowerData(up.path(), false);
        boolean absolute = r.startsWith("/");
        FsPath p;
        try {
            p = absolute ? FsPath.parse(r) : up.path().parent().resolve(Name.of(r));
        } catch (FsException e) {
            throw new FsException(ErrorKind.IO, "bad redirect '" + r + "' on the metadata-only copy " + up.path());
        }
        return resolver.lowerData(p, absolute);
    }

    /**
     * Gives the metadata-only copy {@code up} its data ({@link Data#ALL}) or empties it
     * ({@link Data#NONE}); RETRY when it changed meanwhile.
     */
    private Outcome fillMetacopy(Resolved up, Data data) throws FsException {
        FsPath p = up.path();
        StatInfo st = up.stat();
        if (data == Data.NONE) {
            ns.writeLock().lock();
            try {
                Resolved now = resolver.resolve(p);
                if (!sameUpper(now, st)) return Outcome.RETRY;
                int fd = os.open(now.host(), NativeOs.OpenFlags.O_WRONLY, 0);
                try {
                    // Empty first: a crash before the mark goes leaves an empty metadata-only
                    // copy, which reads as empty by its size.
                    os.ftruncate(fd, 0);
                } finally {
                    os.close(fd);
                }
                os.removexattr(now.host(), metacopyXattr);
                generation.incrementAndGet();
                return Outcome.COPIED;
            } finally {
                ns.writeLock().unlock();
            }
        }
        Resolved lower;
        long originIno;
        ns.readLock().lock();
        try {
            lower = lowerData(up);
            originIno = origin(up.host(), st.ino());
        } finally {
            ns.readLock().unlock();
        }
        Path temp = work.newTemp();
        try {
            int dfd = os.open(temp, NativeOs.OpenFlags.O_WRONLY | NativeOs.OpenFlags.O_CREAT | NativeOs.OpenFlags.O_EXCL, 0600);
            try {
                long size = Math.min(st.size(), lower.stat().size());
                boolean wrote = copyData(lower.host(), lower.stat(), dfd, size);
                if (st.size() != size) os.ftruncate(dfd, st.size());
                // The upper file's attributes: it may have been changed since it was copied up.
                copyMetadata(up.host(), st, new FdTarget(dfd), null);
                if (originIno >= 0) os.fsetxattr(dfd, originXattr, Long.toString(originIno).getBytes(StandardCharsets.US_ASCII), 0);
                syncCopy(dfd, wrote);
            } finally {
                os.close(dfd);
            }
            ns.writeLock().lock();
            try {
                Resolved now = resolver.resolve(p);
                // Any change of attributes meanwhile changed the ctime: copy them again.
                if (!sameUpper(now, st)) return Outcome.RETRY;
                os.rename(temp, now.host(), 0);
                temp = null;
                upperNameRemoved(st.ino());
                generation.incrementAndGet();
                return Outcome.COPIED;
            } finally {
                ns.writeLock().unlock();
            }
        } finally {
            if (temp != null) work.discard(temp);
        }
    }

    /** Whether {@code now} is still the upper object {@code before} stats, unchanged. */
    private static boolean sameUpper(Resolved now, StatInfo before) {
        if (!now.inUpper()) return false;
        StatInfo st = now.stat();
        return st.ino() == before.ino() && st.ctimeSec() == before.ctimeSec() && st.ctimeNsec() == before.ctimeNsec();
    }

    /** The metadata of {@code src} (see {@link #copyMetadata}) and the origin xattr onto the new copy. */
    private void finishCopy(Path srcPath, StatInfo src, Target dst, long originIno, AttrChange change) throws FsException {
        copyMetadata(srcPath, src, dst, change);
        dst.setxattr(originXattr, Long.toString(originIno).getBytes(StandardCharsets.US_ASCII));
    }

    /** Owner, mode, user xattrs and times of {@code src} onto {@code dst} (times last). */
    private void copyMetadata(Path srcPath, StatInfo src, Target dst, AttrChange change) throws FsException {
        if (root && (src.uid() != newUid || src.gid() != newGid)) dst.chown(src.uid(), src.gid());
        for (String name : os.listxattr(srcPath)) {
            if (PrivateXattrs.isPrivate(name)) continue;
            byte[] v = os.getxattr(srcPath, name);
            if (v != null) {
                try {
                    dst.setxattr(name, v);
                } catch (FsException e) {
                    if (e.kind() != ErrorKind.NOT_SUPPORTED && e.kind() != ErrorKind.NOT_PERMITTED) throw e;
                    // An xattr namespace the upper does not take (e.g. security.* policy): as the kernel, skip it.
                }
            }
        }
        // chmod after chown: chown clears setuid/setgid bits. Then the change, if any, in the
        // order a setattr makes it (mode, owner, times), so its chown clears them as it would.
        if (!src.isSymlink()) dst.chmod(change != null && change.mode() >= 0 ? change.mode() : src.perm());
        if (change != null && change.changesOwner()) dst.chown(change.uid(), change.gid());
        if (change == null) {
            dst.times(src.atimeSec(), src.atimeNsec(), src.mtimeSec(), src.mtimeNsec());
        } else {
            SetTime a = change.atime();
            SetTime m = change.mtime();
            dst.times(a == SetTime.OMIT ? src.atimeSec() : a.sec(), a == SetTime.OMIT ? src.atimeNsec() : a.nsec(),
                    m == SetTime.OMIT ? src.mtimeSec() : m.sec(), m == SetTime.OMIT ? src.mtimeNsec() : m.nsec());
        }
    }

    /** The new copy that metadata goes to: a regular file through its fd, anything else by path (no following). */
    private interface Target {
        void chown(int uid, int gid) throws FsException;

        void setxattr(String name, byte[] value) throws FsException;

        void chmod(int perm) throws FsException;

        void times(long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec) throws FsException;
    }

    private final class FdTarget implements Target {
        private final int fd;

        FdTarget(int fd) {
            this.fd = fd;
        }

        @Override public void chown(int uid, int gid) throws FsException { os.fchown(fd, uid, gid); }

        @Override public void setxattr(String name, byte[] value) throws FsException { os.fsetxattr(fd, name, value, 0); }

        @Override public void chmod(int perm) throws FsException { os.fchmod(fd, perm); }

        @Override public void times(long as, long an, long ms, long mn) throws FsException {
            os.futimens(fd, as, an, ms, mn);
        }
    }

    private final class PathTarget implements Target {
        private final Path path;

        PathTarget(Path path) {
            this.path = path;
        }

        @Override public void chown(int uid, int gid) throws FsException { os.lchown(path, uid, gid); }

        @Override public void setxattr(String name, byte[] value) throws FsException { os.setxattr(path, name, value, 0); }

        @Override public void chmod(int perm) throws FsException { os.chmod(path, perm); }

        @Override public void times(long as, long an, long ms, long mn) throws FsException {
            os.utimens(path, as, an, ms, mn);
        }
    }

    /**
     * Creates the directory chain down to {@code dir} in the upper, copying each directory's
     * metadata. A directory the resolver's cache already knows as upper costs no stat (the
     * common case: its child was just resolved). Caller holds the write lock (no file data is
     * copied here).
     */
    public void ensureUpperDirLocked(FsPath dir) throws FsException {
        if (dir.isRoot() || resolver.knownUpperDir(dir)) return;
        Resolved r = resolver.resolve(dir).requireDirectory();
        if (r.inUpper()) return;
        ensureUpperDirLocked(dir.parent());
        Path temp = work.newTemp();
        try {
            os.mkdir(temp, 0700);
            finishCopy(r.host(), r.stat(), new PathTarget(temp), stack.ino(r.stat().dev(), r.stat().ino()), null);
            os.rename(temp, stack.upper().host(dir), NativeOs.RENAME_NOREPLACE);
        } finally {
            work.discard(temp);
        }
        resolver.invalidate(dir);
        generation.incrementAndGet();
    }

    /** Where the upper copy of a hard-linked lower file with this mount inode is kept (may not exist). */
    public Path indexEntry(long originIno) {
        return work.index().resolve(Long.toString(originIno));
    }

    /**
     * The mount inode the upper object at {@code upperPath}, inode {@code upperIno}, inherited,
     * or -1. Caller holds the namespace lock (read or write), so no removal runs meanwhile.
     */
    public long origin(Path upperPath, long upperIno) throws FsException {
        Long known = origins.get(upperIno);
        if (known != null) return known;
        long o = origin(upperPath);
        rememberOrigin(upperIno, o);
        return o;
    }

    /** A new upper object made without an origin (a create), under the write lock. */
    public void madeInUpper(StatInfo st) {
        rememberOrigin(st.ino(), -1);
        rememberUnmarked(st);
    }

    private void rememberOrigin(long upperIno, long origin) {
        if (origins.size() >= ORIGINS_LIMIT) origins.clear();
        origins.put(upperIno, origin);
    }

    /** An upper name of inode {@code upperIno} was removed or replaced (under the write lock): its number may be reused. */
    public void upperNameRemoved(long upperIno) {
        origins.remove(upperIno);
    }

    /** The mount inode a copied-up upper object inherited, or -1 (uncached: listings know d_ino, not st_ino). */
    public long origin(Path upperPath) throws FsException {
        byte[] v = os.getxattr(upperPath, originXattr);
        if (v == null) return -1;
        try {
            return Long.parseLong(new String(v, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * st_nlink of a regular file that descends from a lower hard-linked file: the lower link count,
     * less the lower names already copied up or removed, plus the upper names (less the index's).
     * Returns -1 when the file has no index entry.
     */
    public long linkedNlink(long originIno) throws FsException {
        Path idx = work.index().resolve(Long.toString(originIno));
        StatInfo st = os.lstatOrNull(idx);
        if (st == null) return -1;
        long gone = lowerGone(idx);
        long lowerNlink = readLong(idx, lowerNlinkXattr);
        return Math.max(1, (st.nlink() - 1) + (lowerNlink - gone));
    }

    /** Records that a lower name of a hard-linked lower file was whited out without a copy-up. */
    public void lowerAliasRemoved(long originIno) throws FsException {
        Path idx = work.index().resolve(Long.toString(originIno));
        if (os.lstatOrNull(idx) != null) {
            bumpLowerGone(idx, 1);
            dropIndexIfUnreachable(originIno);
        }
    }

    /**
     * The upper file that may hold the index entry of {@code originIno}, or -1: the origin of
     * an upper regular file with another link (the index's). Read before an upper name goes, for
     * {@link #dropIndexIfUnreachable} after it.
     */
    public long linkedOrigin(Path upperPath, StatInfo st) throws FsException {
        if (!st.isRegular() || st.nlink() < 2) return -1;
        return origin(upperPath, st.ino());
    }

    /**
     * Removes the index entry of {@code originIno} once no name can reach it: no upper name is
     * linked to it and every lower name has been copied up or removed. Until then a lower name
     * still shows its data; after, it would only hold the file's blocks until the workdir is
     * deleted. Under the namespace write lock, after the change that removed the last name.
     */
    public void dropIndexIfUnreachable(long originIno) throws FsException {
        if (originIno < 0) return;
        Path idx = work.index().resolve(Long.toString(originIno));
        StatInfo st = os.lstatOrNull(idx);
        if (st == null || !st.isRegular() || st.nlink() > 1) return;
        if (readLong(idx, lowerNlinkXattr) - lowerGone(idx) > 0) return;
        os.unlink(idx);
    }

    /**
     * Removes the index entries no name can reach, which versions before this check left behind
     * when a file's last name went. At mount, before any request.
     */
    public void sweepIndex() throws FsException {
        for (NativeOs.DirEnt e : os.readDir(work.index())) {
            try {
                dropIndexIfUnreachable(Long.parseLong(e.name()));
            } catch (NumberFormatException notOurs) {
                // Index entries are named by inode number; anything else is not ours to judge.
            }
        }
    }

    private long lowerGone(Path idx) throws FsException {
        return readLong(idx, lowerGoneXattr);
    }

    private long readLong(Path idx, String name) throws FsException {
        byte[] v = os.getxattr(idx, name);
        if (v == null) return 0;
        try {
            return Long.parseLong(new String(v, StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void setLowerGone(Path idx, long n) throws FsException {
        os.setxattr(idx, lowerGoneXattr, Long.toString(n).getBytes(StandardCharsets.US_ASCII), 0);
    }

    private void bumpLowerGone(Path idx, long d) throws FsException {
        setLowerGone(idx, lowerGone(idx) + d);
    }

}
