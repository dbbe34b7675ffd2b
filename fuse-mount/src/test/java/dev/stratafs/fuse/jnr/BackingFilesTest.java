package dev.stratafs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.stratafs.core.FileAttr;
import dev.stratafs.core.OpenFile;
import dev.stratafs.fuse.errno.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The per-node bookkeeping of passthrough opens against a recorded /dev/fuse, no kernel. Each
 * rule keeps an open(2) from failing with EIO in fs/fuse/iomode.c: one backing id per inode
 * while passthrough opens exist, no passthrough next to cached opens, and the id closed once
 * the last passthrough handle is released.
 *
 * <pre>
 * node 7: upper file, ino 70 (fd 30)     node 8: lower file, ino 80 (no stable fd)
 * node 9: upper file, ino 90 (fd 31)     node 7 again, another object: ino 71 (fd 32)
 * </pre>
 */
class BackingFilesTest {
    private static final int CACHED = FuseWire.FOPEN_NOFLUSH | FuseWire.FOPEN_KEEP_CACHE;
    private static final int PASSTHROUGH = FuseWire.FOPEN_NOFLUSH | FuseWire.FOPEN_PASSTHROUGH;
    private static final int DIRECT = FuseWire.FOPEN_NOFLUSH | FuseWire.FOPEN_DIRECT_IO;

    private final List<String> calls = new ArrayList<>();
    private int nextId = 1;
    private int failWith;
    private BackingFiles backing;

    private final OpenFile upper7 = file(70, 30);
    private final OpenFile lower8 = file(80, -1);
    private final OpenFile upper9 = file(90, 31);
    private final OpenFile other7 = file(71, 32);

    @BeforeEach
    void setUp() {
        backing = new BackingFiles(new BackingFiles.Device() {
            @Override
            public int open(int fd) {
                calls.add("open " + fd);
                return failWith != 0 ? -failWith : nextId++;
            }

            @Override
            public void close(int backingId) {
                calls.add("close " + backingId);
            }
        });
        backing.enable();
    }

    @Test
    void withoutPassthroughFromInitEveryOpenIsCachedAndNothingIsCounted() {
        BackingFiles off = new BackingFiles(new BackingFiles.Device() {
            @Override
            public int open(int fd) {
                throw new AssertionError("no ioctl without passthrough");
            }

            @Override
            public void close(int backingId) {
                throw new AssertionError("no ioctl without passthrough");
            }
        });
        assertEquals(new BackingFiles.Grant(CACHED, 0), off.open(7, 1, upper7, CACHED));
        off.release(1);
        assertEquals(0, off.trackedNodes());
    }

    @Test
    void upperFileOpenedTwiceSharesOneBackingIdClosedAfterTheLastRelease() {
        assertEquals(new BackingFiles.Grant(PASSTHROUGH, 1), backing.open(7, 1, upper7, CACHED));
        assertEquals(new BackingFiles.Grant(PASSTHROUGH, 1), backing.open(7, 2, upper7, CACHED));
        backing.release(1);
        assertEquals(List.of("open 30"), calls, "still open through handle 2");
        backing.release(2);
        assertEquals(List.of("open 30", "close 1"), calls);
        assertEquals(0, backing.trackedNodes());
    }

    @Test
    void lowerFileIsCachedAndKeepsItsNodeCachedAfterACopyUp() {
        assertEquals(new BackingFiles.Grant(CACHED, 0), backing.open(8, 1, lower8, CACHED));
        // Copied up while handle 1 is open: a passthrough open now would fail with ETXTBSY.
        OpenFile copiedUp = file(80, 33);
        assertEquals(new BackingFiles.Grant(CACHED, 0), backing.open(8, 2, copiedUp, CACHED));
        backing.release(1);
        backing.release(2);
        assertEquals(List.of(), calls);
        assertEquals(new BackingFiles.Grant(PASSTHROUGH, 1), backing.open(8, 3, copiedUp, CACHED),
                "once the cached handles are gone the node may pass through");
    }

    @Test
    void openThatFitsNeitherModeBypassesThePageCacheAndIsNotCounted() {
        backing.open(7, 1, upper7, CACHED);
        assertEquals(new BackingFiles.Grant(DIRECT, 0), backing.open(7, 2, other7, CACHED), "another object behind node 7");
        assertEquals(new BackingFiles.Grant(DIRECT, 0), backing.open(7, 3, lower8, CACHED), "a handle that may still move");
        backing.release(2);
        backing.release(3);
        assertEquals(List.of("open 30"), calls);
        backing.release(1);
        assertEquals(List.of("open 30", "close 1"), calls);
    }

    @Test
    void nodesAreIndependent() {
        assertEquals(new BackingFiles.Grant(PASSTHROUGH, 1), backing.open(7, 1, upper7, CACHED));
        assertEquals(new BackingFiles.Grant(CACHED, 0), backing.open(8, 2, lower8, CACHED));
        assertEquals(new BackingFiles.Grant(PASSTHROUGH, 2), backing.open(9, 3, upper9, CACHED));
        assertEquals(3, backing.trackedNodes());
        backing.release(3);
        backing.release(2);
        backing.release(1);
        assertEquals(List.of("open 30", "open 31", "close 2", "close 1"), calls);
        assertEquals(0, backing.trackedNodes());
    }

    @Test
    void fileTheKernelRefusesOnceIsOpenedWithoutKeepCacheAndTriedAgainOnItsNextOpen() {
        failWith = 24; // EMFILE: this open only
        assertEquals(new BackingFiles.Grant(FuseWire.FOPEN_NOFLUSH, 0), backing.open(7, 1, upper7, CACHED),
                "pages cached before earlier passthrough writes must go");
        backing.release(1);
        failWith = 0;
        assertEquals(new BackingFiles.Grant(PASSTHROUGH, 1), backing.open(7, 2, upper7, CACHED));
        assertEquals(List.of("open 30", "open 30"), calls);
    }

    @Test
    void layerOnAStackedFilesystemTurnsPassthroughOff() {
        failWith = Errno.ELOOP;
        assertEquals(new BackingFiles.Grant(CACHED, 0), backing.open(7, 1, upper7, CACHED));
        assertFalse(backing.enabled());
        assertEquals(new BackingFiles.Grant(CACHED, 0), backing.open(9, 2, upper9, CACHED));
        assertEquals(List.of("open 30"), calls, "no ioctl once refused");
        backing.release(1);
        backing.release(2);
        assertEquals(0, backing.trackedNodes());
    }

    @Test
    void permissionRefusalTurnsPassthroughOffForGoodButOpenHandlesStillRelease() {
        backing.open(7, 1, upper7, CACHED);
        failWith = Errno.EPERM;
        assertEquals(new BackingFiles.Grant(CACHED, 0), backing.open(9, 2, upper9, CACHED));
        assertFalse(backing.enabled());
        assertEquals(new BackingFiles.Grant(CACHED, 0), backing.open(9, 3, upper9, CACHED));
        assertEquals(new BackingFiles.Grant(DIRECT, 0), backing.open(7, 4, upper7, CACHED),
                "node 7 still passes through handle 1: a cached open would fail");
        assertEquals(List.of("open 30", "open 31"), calls, "no ioctl once refused");
        for (long fh = 1; fh <= 4; fh++) backing.release(fh);
        assertEquals(List.of("open 30", "open 31", "close 1"), calls);
        assertEquals(0, backing.trackedNodes());
    }

    @Test
    void releaseOfAnUnknownHandleChangesNothing() {
        backing.open(7, 1, upper7, CACHED);
        backing.release(42);
        assertEquals(1, backing.trackedNodes());
        assertEquals(List.of("open 30"), calls);
    }

    /** A handle with only what the bookkeeping reads. */
    private static OpenFile file(long ino, int stableFd) {
        return new OpenFile() {
            @Override public int stableFd() { return stableFd; }
            @Override public long ino() { return ino; }
            @Override public String path() { return "/f" + ino; }
            @Override public int read(ByteBuffer dst, long position) { throw new UnsupportedOperationException(); }
            @Override public int read(byte[] dst, int off, int len, long position) { throw new UnsupportedOperationException(); }
            @Override public int write(ByteBuffer src, long position) { throw new UnsupportedOperationException(); }
            @Override public int write(byte[] src, int off, int len, long position) { throw new UnsupportedOperationException(); }
            @Override public void truncate(long size) { throw new UnsupportedOperationException(); }
            @Override public void fsync(boolean dataOnly) { throw new UnsupportedOperationException(); }
            @Override public void fallocate(int mode, long offset, long length) { throw new UnsupportedOperationException(); }
            @Override public FileAttr getattr() { throw new UnsupportedOperationException(); }
            @Override public void close() {}
        };
    }
}
