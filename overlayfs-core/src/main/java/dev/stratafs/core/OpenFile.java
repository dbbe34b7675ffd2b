package dev.stratafs.core;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeMemory;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An open file of the merged view. Reads of a file that another handle has since copied up see
 * the upper copy. Thread-safe: the FUSE loop may call from several threads.
 */
public interface OpenFile extends Closeable {
    /** Reads up to dst.remaining() bytes at position; returns bytes read, 0 at end of file. */
    int read(ByteBuffer dst, long position) throws IOException;

    /** Reads into a heap array, the shape the FUSE adapter has at hand. */
    int read(byte[] dst, int off, int len, long position) throws IOException;

    /** Writes at position (ignored when opened with O_APPEND: appends). Returns bytes written. */
    int write(ByteBuffer src, long position) throws IOException;

    int write(byte[] src, int off, int len, long position) throws IOException;

    /**
     * Reads up to {@code len} bytes at position into native memory at {@code address} (the FUSE
     * adapter's reply buffer); returns bytes read, fewer only at end of file. The default stages
     * through a heap array; {@link dev.stratafs.core.handle.FileHandle} reads in place.
     */
    default int readTo(long address, int len, long position) throws IOException {
        byte[] tmp = new byte[len];
        int n = read(tmp, 0, len, position);
        if (n > 0) NativeMemory.put(address, tmp, 0, n);
        return n;
    }

    /** Reads from a file descriptor itself (the FUSE adapter splicing file pages to the kernel). */
    interface FdReader {
        /** Reads up to {@code len} bytes of {@code fd} at {@code position}; returns a result &ge; 0. */
        int read(int fd, int len, long position) throws IOException;
    }

    /**
     * Lends the descriptor reads come from (after following another handle's copy-up) to
     * {@code reader}, holding it open until the reader returns, and returns what the reader
     * returned; -1 without calling it when this handle has no descriptor to lend.
     */
    default int lendReadFd(FdReader reader, int len, long position) throws IOException {
        return -1;
    }

    /**
     * Another handle on this very file, opened with {@code flags}: how a file that lost its last
     * name while open is opened again (open(2) of /proc/pid/fd/N).
     */
    default OpenFile reopen(int flags) throws IOException {
        throw new FsException(ErrorKind.NOT_SUPPORTED, "cannot open this file again: " + path());
    }

    /** Writes {@code len} bytes from native memory at {@code address}, as {@link #write(byte[], int, int, long)}. */
    default int writeFrom(long address, int len, long position) throws IOException {
        byte[] tmp = new byte[len];
        NativeMemory.get(address, tmp, 0, len);
        return write(tmp, 0, len, position);
    }

    /**
     * The descriptor of the file this handle reads and writes, for a caller that hands the I/O
     * to the kernel (FUSE passthrough), or -1 when the handle may still move to another file:
     * a handle on a lower file follows a later copy-up, so it never qualifies. Valid until
     * {@link #close}.
     */
    default int stableFd() {
        return -1;
    }

    void truncate(long size) throws IOException;

    /** fsync(2)/fdatasync(2); a no-op when the stack is volatile. */
    void fsync(boolean dataOnly) throws IOException;

    /** fallocate(2) with its mode bits. */
    void fallocate(int mode, long offset, long length) throws IOException;

    FileAttr getattr() throws IOException;

    /** The mount's inode number of the file this handle was opened on (what getattr reports). */
    long ino();

    /** The merged-view path this handle was opened at (informational; renames do not update it). */
    String path();

    /** Releases the handle. Idempotent. */
    @Override
    void close() throws IOException;
}
