package dev.stratafs.fuse.jnr;

import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.fuse.IdMapper;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * Writes the core's attributes into a native struct stat for either engine: stored ids shown as
 * host ids through the mount's mapping, and st_nlink 1 for directories under {@code static_nlink}.
 * The caller clears the struct first where libfuse does not (a reply struct it fills itself).
 */
final class StatWriter {
    private final IdMapper ids;
    private final boolean staticNlink;

    StatWriter(IdMapper ids, boolean staticNlink) {
        this.ids = ids;
        this.staticNlink = staticNlink;
    }

    /** statfs(2) answers: f_favail is f_ffree (no blocks or inodes reserved for root here). */
    void write(Statvfs st, FsStat s) {
        st.f_bsize.set(s.bsize());
        st.f_frsize.set(s.frsize());
        st.f_blocks.set(s.blocks());
        st.f_bfree.set(s.bfree());
        st.f_bavail.set(s.bavail());
        st.f_files.set(s.files());
        st.f_ffree.set(s.ffree());
        st.f_favail.set(s.ffree());
        st.f_namemax.set(s.namemax());
    }

    /** Offsets in struct fuse_attr (fuse_kernel.h) of its inode number and mode. */
    private static final int FUSE_ATTR_INO = 0, FUSE_ATTR_MODE = 60, FUSE_ATTR_SIZE = 88;

    /** A struct fuse_attr at {@code at} with only the inode number and the type bits of {@code mode}. */
    static void writeFuseAttrType(Pointer p, long at, long ino, int mode) {
        p.setMemory(at, FUSE_ATTR_SIZE, (byte) 0);
        p.putLong(at + FUSE_ATTR_INO, ino);
        p.putInt(at + FUSE_ATTR_MODE, mode);
    }

    /**
     * The same as a struct fuse_attr at {@code at} (fuse.h: ino, size, blocks, atime, mtime, ctime,
     * their nsecs, mode, nlink, uid, gid, rdev, blksize, flags), as libfuse's convert_stat fills it.
     */
    void writeFuseAttr(Pointer p, long at, FileAttr a) {
        p.putLong(at + FUSE_ATTR_INO, a.ino());
        p.putLong(at + 8, a.size());
        p.putLong(at + 16, a.blocks());
        p.putLong(at + 24, a.atimeSec());
        p.putLong(at + 32, a.mtimeSec());
        p.putLong(at + 40, a.ctimeSec());
        p.putInt(at + 48, (int) a.atimeNsec());
        p.putInt(at + 52, (int) a.mtimeNsec());
        p.putInt(at + 56, (int) a.ctimeNsec());
        p.putInt(at + FUSE_ATTR_MODE, a.mode());
        p.putInt(at + 64, (int) (staticNlink && a.isDirectory() ? 1 : a.nlink()));
        p.putInt(at + 68, ids.uidToHost(a.uid()));
        p.putInt(at + 72, ids.gidToHost(a.gid()));
        p.putInt(at + 76, (int) a.rdev());
        p.putInt(at + 80, (int) a.blksize());
        p.putInt(at + 84, 0);
    }

    /** The struct stat {@code s} is a view of (its other fields left as they are). */
    void write(FileStat s, FileAttr a) {
        write(Struct.getMemory(s), 0, a);
    }

    /**
     * A struct stat at {@code base} in {@code p}, written straight into memory: jnr's struct
     * fields take a boxed Number each (15 Longs per entry of a READDIRPLUS).
     */
    void write(Pointer p, long base, FileAttr a) {
        StatLayout l = StatLayout.INSTANCE;
        l.put(p, base, StatLayout.INO, a.ino());
        l.put(p, base, StatLayout.MODE, a.mode());
        l.put(p, base, StatLayout.NLINK, staticNlink && a.isDirectory() ? 1 : a.nlink());
        l.put(p, base, StatLayout.UID, Integer.toUnsignedLong(ids.uidToHost(a.uid())));
        l.put(p, base, StatLayout.GID, Integer.toUnsignedLong(ids.gidToHost(a.gid())));
        l.put(p, base, StatLayout.RDEV, a.rdev());
        l.put(p, base, StatLayout.SIZE, a.size());
        l.put(p, base, StatLayout.BLKSIZE, a.blksize());
        l.put(p, base, StatLayout.BLOCKS, a.blocks());
        l.put(p, base, StatLayout.ATIME, a.atimeSec());
        l.put(p, base, StatLayout.ATIME_NSEC, a.atimeNsec());
        l.put(p, base, StatLayout.MTIME, a.mtimeSec());
        l.put(p, base, StatLayout.MTIME_NSEC, a.mtimeNsec());
        l.put(p, base, StatLayout.CTIME, a.ctimeSec());
        l.put(p, base, StatLayout.CTIME_NSEC, a.ctimeNsec());
    }

    /**
     * Offsets and widths of struct stat's fields on this platform (they differ between x86_64 and
     * aarch64: st_nlink, st_blksize), read once from jnr-fuse's FileStat by setting each field to
     * all ones in zeroed memory and seeing which bytes change.
     */
    static final class StatLayout {
        static final int INO = 0, MODE = 1, NLINK = 2, UID = 3, GID = 4, RDEV = 5, SIZE = 6, BLKSIZE = 7,
                BLOCKS = 8, ATIME = 9, ATIME_NSEC = 10, MTIME = 11, MTIME_NSEC = 12, CTIME = 13, CTIME_NSEC = 14;
        static final StatLayout INSTANCE = new StatLayout(jnr.ffi.Runtime.getSystemRuntime());

        final long[] offset = new long[15];
        final int[] width = new int[15];

        StatLayout(jnr.ffi.Runtime rt) {
            int size = Struct.size(new FileStat(rt));
            Pointer m = Memory.allocateDirect(rt, size, true);
            FileStat s = FileStat.of(m);
            Struct.NumberField[] fields = {s.st_ino, s.st_mode, s.st_nlink, s.st_uid, s.st_gid, s.st_rdev, s.st_size,
                s.st_blksize, s.st_blocks, s.st_atim.tv_sec, s.st_atim.tv_nsec, s.st_mtim.tv_sec, s.st_mtim.tv_nsec,
                s.st_ctim.tv_sec, s.st_ctim.tv_nsec};
            for (int i = 0; i < fields.length; i++) {
                m.setMemory(0, size, (byte) 0);
                fields[i].set(-1L);
                long first = -1;
                long last = -1;
                for (long b = 0; b < size; b++) {
                    if (m.getByte(b) != 0) {
                        if (first < 0) first = b;
                        last = b;
                    }
                }
                int w = (int) (last - first + 1);
                if (first < 0 || (w != 4 && w != 8)) {
                    throw new IllegalStateException("struct stat field " + i + " is " + w + " bytes at " + first);
                }
                offset[i] = first;
                width[i] = w;
            }
        }

        void put(Pointer p, long base, int field, long value) {
            if (width[field] == 8) {
                p.putLong(base + offset[field], value);
            } else {
                p.putInt(base + offset[field], (int) value);
            }
        }
    }
}
