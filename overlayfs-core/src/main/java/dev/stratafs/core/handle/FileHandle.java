package dev.stratafs.core.handle;

import dev.stratafs.core.FileAttr;
import dev.stratafs.core.LongWork;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;

/**
 * An open file: a file descriptor on the layer object plus what is needed to move a read-only
 * handle of a lower file to the upper copy once another handle copied it up (the kernel overlay
 * keeps serving the stale lower file there; we own the handles and can do better).
 */
public final class FileHandle implements OpenFile {
    /** Finds the upper copy of a lower file a handle was opened on: a new fd, or -1 if none. */
    public interface Relocator {
        int reopenUpper(FileHandle h) throws FsException;
    }

    /** Answers getattr for an open handle. */
    public interface AttrSource {
        FileAttr attr(FileHandle h) throws FsException;
    }

    private final NativeOs os;
    private final String path;
    private final long ino;
    private final boolean writable;
    private final boolean fsyncEnabled;
    private final LongSupplier generation;
    private final Relocator relocator;
    private final AttrSource attrs;
    private final ReentrantReadWriteLock fdLock = new ReentrantReadWriteLock();
    private volatile int fd;
    private volatile boolean onLower;
    /** The size of the lower file the handle was opened on, or -1; counts only while {@link #onLower}. */
    private final long lowerSize;
    private volatile long seenGeneration;
    private boolean closed;

    /** {@code lowerSize}: the size of the lower file the handle is opened on, or -1 if unknown. */
    public FileHandle(NativeOs os, String path, long ino, int fd, boolean writable, boolean onLower, long lowerSize,
                      boolean fsyncEnabled, LongSupplier generation, Relocator relocator, AttrSource attrs) {
        this.lowerSize = lowerSize;
        this.os = os;
        this.path = path;
        this.ino = ino;
        this.fd = fd;
        this.writable = writable;
        this.onLower = onLower;
        this.fsyncEnabled = fsyncEnabled;
        this.generation = generation;
        this.relocator = relocator;
        this.attrs = attrs;
        this.seenGeneration = generation.getAsLong();
    }

    @Override
    public long ino() { return ino; }

    /** Current fd; valid only while the caller holds no expectations across calls (for fstat). */
    public int fd() { return fd; }

    @Override
    public String path() { return path; }

    /** True while reads come from a lower file (the file's, or the data of its metadata-only copy). */
    public boolean readsLower() {
        return onLower;
    }

    /** An upper handle never moves ({@link #followCopyUp} only moves lower ones). */
    @Override
    public int stableFd() {
        return onLower ? -1 : fd;
    }

    private void followCopyUp() throws FsException {
        if (!onLower) return;
        long g = generation.getAsLong();
        if (g == seenGeneration) return;
        fdLock.writeLock().lock();
        try {
            if (closed || !onLower) return;
            seenGeneration = g;
            int nfd = relocator.reopenUpper(this);
            if (nfd >= 0) {
                int old = fd;
                fd = nfd;
                onLower = false;
                os.close(old);
            }
        } finally {
            fdLock.writeLock().unlock();
        }
    }

    private int lockFd() throws FsException {
        fdLock.readLock().lock();
        if (closed) {
            fdLock.readLock().unlock();
            throw new FsException(ErrorKind.BAD_HANDLE, "file handle already released: " + path);
        }
        return fd;
    }

    /** One pread(2) or pwrite(2) call for the part of the request from {@code done} on. */
    private interface Io {
        int call(int fd, int done, int len, long position) throws FsException;
    }

    private interface FdUse {
        int apply(int fd) throws IOException;
    }

    /** Runs {@code use} on the current descriptor, which is neither closed nor relocated until it returns. */
    private int withFd(FdUse use) throws IOException {
        int f = lockFd();
        try {
            return use.apply(f);
        } finally {
            fdLock.readLock().unlock();
        }
    }

    /** Repeats a short read/write until done or at end of file: FUSE expects whole requests. */
    private int transfer(Io io, int len, long position) throws IOException {
        return transfer(io, len, position, -1);
    }

    /** As above, also done at {@code end} when it is known (&ge; 0): the size of a file that cannot change. */
    private int transfer(Io io, int len, long position, long end) throws IOException {
        return withFd(f -> {
            int total = 0;
            while (total < len) {
                int n = io.call(f, total, len - total, position + total);
                if (n <= 0) break;
                total += n;
                if (end >= 0 && position + total >= end) break;
            }
            return total;
        });
    }

    @Override
    public int read(byte[] dst, int off, int len, long position) throws IOException {
        followCopyUp();
        return transfer((f, done, n, pos) -> os.pread(f, dst, off + done, n, pos), len, position);
    }

    @Override
    public int readTo(long address, int len, long position) throws IOException {
        followCopyUp();
        // A lower file does not change while mounted (overlayfs.rst "Changes to underlying
        // filesystems"): its end is known, and no call is needed to find it (the kernel asks
        // whole pages, so a small file's READ always reaches past its end). The length asked is
        // left as it is, since O_DIRECT wants it aligned. Once the handle follows a copy-up, the
        // upper copy's own end counts.
        long size = onLower ? lowerSize : -1;
        if (size >= 0 && position >= size) return 0;
        return transfer((f, done, n, pos) -> readAt(f, address + done, n, pos), len, position, size);
    }

    /**
     * One read: a read that must wait for the disk is long work, so it is asked without waiting
     * first; a cached read then costs one syscall, and a miss is told before it blocks.
     */
    private int readAt(int f, long address, int len, long position) throws FsException {
        if (LongWork.listening()) {
            int got = os.preadNoWait(f, address, len, position);
            if (got >= 0) return got;
            LongWork.starting();
        }
        return os.preadAddress(f, address, len, position);
    }

    @Override
    public int lendReadFd(FdReader reader, int len, long position) throws IOException {
        followCopyUp();
        return withFd(f -> {
            announceWait(f, position + len - 1);
            return reader.read(f, len, position);
        });
    }

    /**
     * A read that must wait for the disk is long work. The last byte stands for the range: read-
     * ahead fills the page cache in order, so a range whose end is cached is cached throughout.
     */
    private void announceWait(int f, long last) {
        if (LongWork.listening() && !os.readsWithoutWaiting(f, Math.max(0, last))) LongWork.starting();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        byte[] tmp = new byte[dst.remaining()];
        int n = read(tmp, 0, tmp.length, position);
        dst.put(tmp, 0, n);
        return n;
    }

    @Override
    public int write(byte[] src, int off, int len, long position) throws IOException {
        requireWritable();
        return transfer((f, done, n, pos) -> os.pwrite(f, src, off + done, n, pos), len, position);
    }

    @Override
    public int writeFrom(long address, int len, long position) throws IOException {
        requireWritable();
        return transfer((f, done, n, pos) -> os.pwriteAddress(f, address + done, n, pos), len, position);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        byte[] tmp = new byte[src.remaining()];
        src.get(tmp);
        return write(tmp, 0, tmp.length, position);
    }

    private void requireWritable() throws FsException {
        if (!writable) throw new FsException(ErrorKind.BAD_HANDLE, "file not open for writing: " + path);
    }

    @Override
    public void truncate(long size) throws IOException {
        requireWritable();
        int f = lockFd();
        try {
            os.ftruncate(f, size);
        } finally {
            fdLock.readLock().unlock();
        }
    }

    @Override
    public void fsync(boolean dataOnly) throws IOException {
        if (!fsyncEnabled) return;
        LongWork.starting();
        int f = lockFd();
        try {
            os.fsync(f);
        } finally {
            fdLock.readLock().unlock();
        }
    }

    @Override
    public void fallocate(int mode, long offset, long length) throws IOException {
        requireWritable();
        int f = lockFd();
        try {
            os.fallocate(f, mode, offset, length);
        } finally {
            fdLock.readLock().unlock();
        }
    }

    @Override
    public FileAttr getattr() throws IOException {
        followCopyUp();
        fdLock.readLock().lock();
        try {
            if (closed) throw new FsException(ErrorKind.BAD_HANDLE, "file handle already released: " + path);
            return attrs.attr(this);
        } finally {
            fdLock.readLock().unlock();
        }
    }

    /**
     * A new handle on the file this one has open. One still on a lower file opens it for reading
     * only: with no name left to copy it up to, writing would change the lower layer (the kernel
     * overlay refuses too, with EEXIST from its copy-up).
     */
    @Override
    public FileHandle reopen(int flags) throws FsException {
        int f = lockFd();
        try {
            if (onLower && NativeOs.OpenFlags.writes(flags)) {
                throw new FsException(ErrorKind.EXISTS, "a removed lower file cannot be copied up to be written: " + path);
            }
            int nfd = os.reopen(f, flags & ~(NativeOs.OpenFlags.O_CREAT | NativeOs.OpenFlags.O_EXCL));
            return new FileHandle(os, path, ino, nfd, (flags & NativeOs.OpenFlags.O_ACCMODE) != NativeOs.OpenFlags.O_RDONLY,
                    onLower, lowerSize, fsyncEnabled, generation, relocator, attrs);
        } finally {
            fdLock.readLock().unlock();
        }
    }

    @Override
    public void close() {
        fdLock.writeLock().lock();
        try {
            if (closed) return;
            closed = true;
            os.close(fd);
        } finally {
            fdLock.writeLock().unlock();
        }
    }
}
