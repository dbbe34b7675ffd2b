package dev.stratafs.fuse.jnr;

import dev.stratafs.core.Caller;
import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.fuse.DirSnapshot;
import dev.stratafs.fuse.AclNames;
import dev.stratafs.fuse.CallbackThreads;
import dev.stratafs.fuse.FsBackend;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.HandleTable;
import dev.stratafs.fuse.HiddenFiles;
import dev.stratafs.fuse.IdMapper;
import dev.stratafs.fuse.OpenFiles;
import dev.stratafs.fuse.RequestGuard;
import dev.stratafs.fuse.XattrListing;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import jnr.ffi.types.dev_t;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The jnr-fuse (libfuse 2 high-level, path based) face of a {@link FsBackend}. Each callback is
 * one line through {@link RequestGuard}, which answers failures with -errno; this class only
 * converts between jnr structs and core values. Open files and directories live in handle tables
 * keyed by fuse_file_info.fh. Thread safe: called from several {@link FuseLoop} workers.
 */
public final class StrataFuse extends FuseStubFS implements dev.stratafs.fuse.FuseEngine {
    private static final Logger LOG = LoggerFactory.getLogger(StrataFuse.class);

    private final FsBackend fs;
    private final IdMapper ids;
    private final StatWriter stats;
    private final AclNames acls;
    /** {@code busy_poll=}: see {@link SpinWindow}. */
    private final int busyPollMicros;
    private final RequestGuard guard = new RequestGuard();
    private final HandleTable<OpenFile> files = new HandleTable<>();
    private final HandleTable<DirHandle> dirs = new HandleTable<>();
    private final HiddenFiles hidden = new HiddenFiles();
    private final CountDownLatch initialized = new CountDownLatch(1);
    private final CountDownLatch destroyed = new CountDownLatch(1);
    private volatile Runnable umountHook;
    private final CallbackThreads callbackThreads = new CallbackThreads();

    /** Per worker thread: a native struct stat for the d_ino/d_type of readdir entries. */
    private final ThreadLocal<FileStat> direntStats = ThreadLocal.withInitial(StrataFuse::newNativeStat);

    public StrataFuse(FsBackend fs, FuseOptions options) {
        this.fs = fs;
        this.ids = IdMapper.of(options);
        this.stats = new StatWriter(ids, options.staticNlink());
        this.acls = new AclNames(options.noAcl());
        this.busyPollMicros = options.busyPollMicros();
        setOperationFlags();
        reuseStructsOnHotCallbacks();
    }

    /** Per worker thread: jnr views re-pointed at each request's buffers (see below). */
    private final ThreadLocal<FileStat> statViews = ThreadLocal.withInitial(() -> new FileStat(Runtime.getSystemRuntime()));
    private final ThreadLocal<FuseFileInfo> infoViews = ThreadLocal.withInitial(
            // FuseFileInfo's constructor is protected: make one over a placeholder buffer.
            () -> FuseFileInfo.of(Memory.allocateDirect(Runtime.getSystemRuntime(), 64)));

    /**
     * jnr-fuse wraps every getattr/fgetattr/read buffer in a new FileStat or FuseFileInfo, each
     * a Struct of ~20 field objects: the largest allocation per lookup. The hot callbacks
     * instead re-point one view per worker thread ({@link Struct#useMemory}); a view never
     * outlives its callback.
     */
    private void reuseStructsOnHotCallbacks() {
        fuseOperations.getattr.set((path, stbuf) -> getattr(path, statView(stbuf)));
        fuseOperations.fgetattr.set((path, stbuf, fi) -> fgetattr(path, statView(stbuf), infoView(fi)));
        fuseOperations.read.set((path, buf, size, offset, fi) -> read(path, buf, size, offset, infoView(fi)));
    }

    private FileStat statView(Pointer p) {
        FileStat v = statViews.get();
        v.useMemory(p);
        return v;
    }

    private FuseFileInfo infoView(Pointer p) {
        FuseFileInfo v = infoViews.get();
        v.useMemory(p);
        return v;
    }

    /**
     * struct fuse_operations (libfuse 2.9 fuse.h) ends its 2.x part with bit flags that jnr-fuse
     * only pads: set flag_nullpath_ok (bit 0), so that requests carrying a handle still reach us
     * should libfuse have no path for the node (e.g. a user mounting with hard_remove), and
     * flag_utime_omit_ok (bit 2), so that utimens receives UTIME_NOW/UTIME_OMIT as such.
     */
    private void setOperationFlags() {
        Pointer ops = Struct.getMemory(fuseOperations);
        // The flags word follows the 38 function pointers getattr .. bmap of fuse.h 2.9.
        long off = 38L * Runtime.getSystemRuntime().addressSize();
        ops.putByte(off, (byte) (ops.getByte(off) | 0b101));
    }

    // ---- lifecycle, used by dev.stratafs.fuse.mount ----

    /**
     * Mounts and runs the FUSE loop until the filesystem is unmounted; the calling thread waits
     * for the workers (see {@link FuseLoop}) and then calls destroy. {@code -f} is always given;
     * {@code debug} adds {@code -d}. Throws when libfuse refuses to mount (bad option, busy
     * mountpoint). As jnr-fuse's mount() did, registers a shutdown hook calling {@link #umount()}
     * for as long as the loop runs.
     */
    public void runLoop(Path mountPoint, List<String> fuseArgs, boolean debug) throws IOException {
        if (!mounted.compareAndSet(false, true)) throw new IllegalStateException("already mounted at " + this.mountPoint);
        this.mountPoint = mountPoint;
        List<String> argv = new ArrayList<>();
        argv.add("stratafs"); // argv[0]: the program name libfuse prefixes its messages with
        argv.add("-f");
        if (debug) argv.add("-d");
        argv.add(mountPoint.toAbsolutePath().toString());
        argv.addAll(fuseArgs);
        Thread hook = new Thread(this::umount, "stratafs-fuse-shutdown " + mountPoint);
        java.lang.Runtime.getRuntime().addShutdownHook(hook);
        try {
            FuseLoop.run(argv, Struct.getMemory(fuseOperations), Struct.size(fuseOperations), mountPoint.toString(),
                    SpinWindow.of(busyPollMicros));
        } finally {
            mounted.set(false);
            try {
                java.lang.Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what ended the loop
            }
        }
    }

    /**
     * Names of the threads callbacks ran on so far (for tests: they must be the loop's own Java
     * threads, never native threads jffi attached for a single call).
     */
    public Set<String> callbackThreadNames() {
        return callbackThreads.names();
    }

    private void noteThread() {
        callbackThreads.note();
    }

    /** Every callback goes through here: records the thread once, answers failures with -errno. */
    private int run(String op, String path, RequestGuard.Request body) {
        noteThread();
        return guard.run(op, path, body);
    }

    /** True once libfuse called init: the kernel connection is up. */
    public boolean awaitInit(long timeout, TimeUnit unit) throws InterruptedException {
        return initialized.await(timeout, unit);
    }

    public boolean awaitDestroy(long timeout, TimeUnit unit) throws InterruptedException {
        return destroyed.await(timeout, unit);
    }

    /**
     * What jnr-fuse's shutdown hook (one per mount(), calling {@link #umount()}) should do; the
     * mount session installs its own idempotent close so that an unmount is never run twice nor
     * left to jnr-fuse's fire-and-forget {@code fusermount -u -z}.
     */
    public void setUmountHook(Runnable hook) {
        this.umountHook = hook;
    }

    @Override
    public void umount() {
        Runnable hook = umountHook;
        if (hook != null) {
            hook.run();
        } else {
            super.umount();
        }
    }

    public RequestGuard guard() {
        return guard;
    }

    public int openFileCount() {
        return files.size();
    }

    public int openDirCount() {
        return dirs.size();
    }

    @Override
    public Pointer init(Pointer conn) {
        noteThread();
        LOG.debug("FUSE init: connection up");
        initialized.countDown();
        return null;
    }

    @Override
    public void destroy(Pointer initResult) {
        noteThread();
        // The kernel connection is gone; nobody can release what is still open.
        OpenFiles.closeAtUnmount(files);
        dirs.drain();
        LOG.debug("FUSE destroy");
        destroyed.countDown();
    }

    // ---- attributes ----

    @Override
    public int getattr(String path, FileStat stat) {
        return run("getattr", path, () -> fill(stat, hidden.isEmpty() ? fs.getattr(path) : attrOf(path)));
    }

    /** getattr that also answers for names of files unlinked while open (see {@link HiddenFiles}). */
    private FileAttr attrOf(String path) throws Exception {
        OpenFile f = openHidden(path);
        return f != null ? f.getattr() : fs.getattr(path);
    }

    /** An open handle of the file with this inode number, or null: no fstat, the handle knows its inode. */
    private OpenFile openWithIno(long ino) {
        return files.first(f -> f.ino() == ino);
    }

    /** An open handle of the file hidden under {@code path}, null when path is no hidden name. */
    private OpenFile openHidden(String path) throws Exception {
        Long ino = hidden.inoOf(path);
        if (ino == null) return null;
        OpenFile f = openWithIno(ino);
        if (f == null) throw new FsException(ErrorKind.NOT_FOUND, "unlinked file no longer open: " + path);
        return f;
    }

    @Override
    public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
        return run("fgetattr", path, () -> {
            OpenFile f = files.find(fi.fh.get());
            return fill(stat, f != null ? f.getattr() : attrOf(path));
        });
    }

    private int fill(FileStat s, FileAttr a) {
        stats.write(s, a);
        return 0;
    }

    @Override
    public int access(String path, int mask) {
        return run("access", path, () -> {
            fs.access(path, mask, caller());
            return 0;
        });
    }

    @Override
    public int statfs(String path, Statvfs st) {
        return run("statfs", path, () -> {
            FsStat s = fs.statfs(path);
            stats.write(st, s);
            return 0;
        });
    }

    // ---- directories ----

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        return run("opendir", path, () -> {
            DirHandle h = new DirHandle(path);
            h.snapshot = snapshot(path);
            fi.fh.set(dirs.add(h));
            return 0;
        });
    }

    private DirSnapshot snapshot(String path) throws Exception {
        return DirSnapshot.read(fs, path);
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
        return run("readdir", path, () -> {
            DirHandle h = dirs.get(fi.fh.get());
            DirSnapshot d;
            synchronized (h) {
                // rewinddir(3) must show changes made since opendir (libfuse rereads at offset 0).
                if (offset == 0 && h.served) h.snapshot = snapshot(h.path);
                h.served = true;
                d = h.snapshot;
            }
            FileStat st = direntStats.get();
            Pointer stMem = Struct.getMemory(st);
            for (int i = d.startIndex(offset); i < d.size(); i++) {
                st.st_ino.set(d.ino(i));
                st.st_mode.set(d.type(i));
                if (filter.apply(buf, ByteBuffer.wrap(d.nameZ(i)), stMem, d.nextOffset(i)) != 0) {
                    break; // buffer full: the kernel asks again from the last offset it got
                }
            }
            return 0;
        });
    }

    @Override
    public int releasedir(String path, FuseFileInfo fi) {
        return run("releasedir", path, () -> {
            dirs.remove(fi.fh.get());
            return 0;
        });
    }

    @Override
    public int fsyncdir(String path, FuseFileInfo fi) {
        return run("fsyncdir", path, () -> {
            dirs.get(fi.fh.get());
            return 0; // the core fsyncs directories as part of its own operations
        });
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return run("mkdir", path, () -> {
            fs.mkdir(path, (int) mode & 07777, caller());
            return 0;
        });
    }

    @Override
    public int rmdir(String path) {
        return run("rmdir", path, () -> {
            fs.rmdir(path);
            return 0;
        });
    }

    // ---- names ----

    @Override
    public int mknod(String path, @mode_t long mode, @dev_t long rdev) {
        return run("mknod", path, () -> {
            fs.mknod(path, (int) mode, rdev, caller());
            return 0;
        });
    }

    @Override
    public int unlink(String path) {
        return run("unlink", path, () -> {
            if (!hidden.isEmpty() && hidden.forget(path)) return 0; // last release of a hidden file
            fs.unlink(path);
            return 0;
        });
    }

    @Override
    public int rename(String oldpath, String newpath) {
        // libfuse 2 has no renameat2 flags: always a plain rename(2).
        return run("rename", oldpath, () -> {
            if (HiddenFiles.isHiddenName(newpath)) {
                // libfuse hiding an open file it was asked to unlink (or to rename over)?
                FileAttr a = fs.getattr(oldpath);
                if (!a.isDirectory() && openWithIno(a.ino()) != null) {
                    fs.unlink(oldpath);
                    hidden.hide(newpath, a.ino());
                    return 0;
                }
            }
            fs.rename(oldpath, newpath, 0, () -> { }); // libfuse 2 keeps its own paths under its tree locks
            return 0;
        });
    }

    @Override
    public int link(String oldpath, String newpath) {
        return run("link", newpath, () -> {
            fs.link(oldpath, newpath);
            return 0;
        });
    }

    @Override
    public int symlink(String target, String linkPath) {
        return run("symlink", linkPath, () -> {
            fs.symlink(target, linkPath, caller());
            return 0;
        });
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        return run("readlink", path, () -> {
            if (size <= 0) throw new FsException(ErrorKind.INVALID, "readlink: empty buffer");
            byte[] target = fs.readlink(path).getBytes(StandardCharsets.UTF_8);
            // libfuse wants a NUL-terminated string, truncated to fit (fuse.h readlink).
            int n = (int) Math.min(target.length, size - 1);
            buf.put(0, target, 0, n);
            buf.putByte(n, (byte) 0);
            return 0;
        });
    }

    // ---- metadata ----

    @Override
    public int chmod(String path, @mode_t long mode) {
        return run("chmod", path, () -> {
            if (!hidden.isEmpty() && openHidden(path) != null) return 0; // unlinked: nothing left to change
            fs.chmod(path, (int) mode & 07777);
            return 0;
        });
    }

    @Override
    public int chown(String path, @uid_t long uid, @gid_t long gid) {
        return run("chown", path, () -> {
            // (uid_t) -1 leaves the id unchanged (chown(2)); it arrives as 0xffffffff.
            if (!hidden.isEmpty() && openHidden(path) != null) return 0;
            int u = (int) uid;
            int g = (int) gid;
            fs.chown(path, u == -1 ? -1 : ids.uidToContainer(u), g == -1 ? -1 : ids.gidToContainer(g));
            return 0;
        });
    }

    @Override
    public int utimens(String path, Timespec[] timespec) {
        return run("utimens", path, () -> {
            if (!hidden.isEmpty() && openHidden(path) != null) return 0;
            fs.utimens(path, time(timespec[0]), time(timespec[1]));
            return 0;
        });
    }

    private static SetTime time(Timespec t) {
        long nsec = t.tv_nsec.longValue();
        if (nsec == NativeOs.UTIME_NOW) return SetTime.NOW;
        if (nsec == NativeOs.UTIME_OMIT) return SetTime.OMIT;
        return SetTime.of(t.tv_sec.get(), nsec);
    }

    @Override
    public int truncate(String path, @off_t long size) {
        return run("truncate", path, () -> {
            OpenFile h = hidden.isEmpty() ? null : openHidden(path);
            if (h != null) {
                h.truncate(size);
                return 0;
            }
            fs.truncate(path, size);
            return 0;
        });
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return run("ftruncate", path, () -> {
            OpenFile f = files.find(fi.fh.get());
            if (f != null) {
                f.truncate(size);
            } else {
                fs.truncate(path, size);
            }
            return 0;
        });
    }

    // ---- files ----

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return run("create", path, () -> {
            OpenFile f = fs.create(path, fi.flags.get(), (int) mode & 07777, caller());
            fi.fh.set(files.add(f));
            return 0;
        });
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        return run("open", path, () -> {
            OpenFile f = fs.open(path, fi.flags.get(), caller());
            fi.fh.set(files.add(f));
            return 0;
        });
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return run("read", path, () -> {
            OpenFile f = files.get(fi.fh.get());
            int want = (int) Math.min(size, Integer.MAX_VALUE - 8);
            long address = buf.address(); // libfuse's reply buffer: the core reads straight into it
            // Without direct_io the kernel takes a short read for end of file: fill all we can.
            int total = 0;
            while (total < want) {
                int n = f.readTo(address + total, want - total, offset + total);
                if (n <= 0) break;
                total += n;
            }
            return total;
        });
    }

    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        return run("write", path, () -> {
            OpenFile f = files.get(fi.fh.get());
            int len = (int) Math.min(size, Integer.MAX_VALUE - 8);
            long address = buf.address(); // the request's data, written from where it lies
            // A short write answer is an error to the writer; the core may write in pieces.
            int total = 0;
            while (total < len) {
                int n = f.writeFrom(address + total, len - total, offset + total);
                if (n <= 0) break;
                total += n;
            }
            return total;
        });
    }

    // No flush: data reaches the layer on write, so close(2) has nothing to push. Left out of
    // fuse_operations, libfuse answers the first FLUSH with ENOSYS and the kernel sends no more
    // (fs/fuse/file.c fuse_flush sets fc->no_flush): one round trip less per close(2).

    @Override
    public int fsync(String path, int isdatasync, FuseFileInfo fi) {
        return run("fsync", path, () -> {
            files.get(fi.fh.get()).fsync(isdatasync != 0);
            return 0;
        });
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        return run("release", path, () -> {
            OpenFile f = files.remove(fi.fh.get());
            if (f != null) f.close();
            return 0;
        });
    }

    @Override
    public int fallocate(String path, int mode, @off_t long off, @off_t long length, FuseFileInfo fi) {
        return run("fallocate", path, () -> {
            files.get(fi.fh.get()).fallocate(mode, off, length);
            return 0;
        });
    }

    // ---- extended attributes ----

    @Override
    public int setxattr(String path, String name, Pointer value, @size_t long size, int flags) {
        return run("setxattr", path, () -> {
            acls.check(name);
            byte[] v = new byte[(int) size];
            if (size > 0) value.get(0, v, 0, v.length);
            fs.setxattr(path, name, v, flags);
            return 0;
        });
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        return run("getxattr", path, () -> {
            acls.check(name);
            return answerSized(value, size, fs.getxattr(path, name));
        });
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        return run("listxattr", path, () -> answerSized(list, size, XattrListing.of(fs.listxattr(path), acls, caller())));
    }

    @Override
    public int removexattr(String path, String name) {
        return run("removexattr", path, () -> {
            acls.check(name);
            fs.removexattr(path, name);
            return 0;
        });
    }

    /** getxattr(2)/listxattr(2): size 0 asks for the size needed; a smaller buffer is ERANGE. */
    private static int answerSized(Pointer dst, long size, byte[] data) throws FsException {
        if (size == 0) return data.length;
        if (data.length > size) throw new FsException(ErrorKind.RANGE, "xattr buffer of " + size + " bytes, need " + data.length);
        dst.put(0, data, 0, data.length);
        return data.length;
    }

    // ---- helpers ----

    /** The requesting process as the core sees it: ids translated to stored ids, its umask and pid. */
    private Caller caller() {
        FuseContext c = getContext();
        return ids.caller((int) c.uid.get(), (int) c.gid.get(), (int) c.pid.get(), c.umask.intValue());
    }

    private static FileStat newNativeStat() {
        Runtime rt = Runtime.getSystemRuntime();
        return FileStat.of(Memory.allocateDirect(rt, Struct.size(new FileStat(rt))));
    }

    /** An open directory: its snapshot, replaced on rewind. Guarded by its own monitor. */
    private static final class DirHandle {
        final String path;
        DirSnapshot snapshot;
        boolean served;

        DirHandle(String path) {
            this.path = path;
        }
    }
}
