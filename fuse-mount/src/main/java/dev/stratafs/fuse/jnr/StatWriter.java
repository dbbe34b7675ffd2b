package dev.stratafs.fuse.jnr;

import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.fuse.IdMapper;
import jnr.ffi.Pointer;
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

    /**
     * The same as a struct fuse_attr at {@code at} (fuse.h: ino, size, blocks, atime, mtime, ctime,
     * their nsecs, mode, nlink, uid, gid, rdev, blksize, flags), as libfuse's convert_stat fills it.
     */
    void writeFuseAttr(Pointer p, long at, FileAttr a) {
        p.putLong(at, a.ino());
        p.putLong(at + 8, a.size());
        p.putLong(at + 16, a.blocks());
        p.putLong(at + 24, a.atimeSec());
        p.putLong(at + 32, a.mtimeSec());
        p.putLong(at + 40, a.ctimeSec());
        p.putInt(at + 48, (int) a.atimeNsec());
        p.putInt(at + 52, (int) a.mtimeNsec());
        p.putInt(at + 56, (int) a.ctimeNsec());
        p.putInt(at + 60, a.mode());
        p.putInt(at + 64, (int) (staticNlink && a.isDirectory() ? 1 : a.nlink()));
        p.putInt(at + 68, ids.uidToHost(a.uid()));
        p.putInt(at + 72, ids.gidToHost(a.gid()));
        p.putInt(at + 76, (int) a.rdev());
        p.putInt(at + 80, (int) a.blksize());
        p.putInt(at + 84, 0);
    }

    void write(FileStat s, FileAttr a) {
        s.st_ino.set(a.ino());
        s.st_mode.set(a.mode());
        s.st_nlink.set(staticNlink && a.isDirectory() ? 1 : a.nlink());
        s.st_uid.set(Integer.toUnsignedLong(ids.uidToHost(a.uid())));
        s.st_gid.set(Integer.toUnsignedLong(ids.gidToHost(a.gid())));
        s.st_rdev.set(a.rdev());
        s.st_size.set(a.size());
        s.st_blksize.set(a.blksize());
        s.st_blocks.set(a.blocks());
        s.st_atim.tv_sec.set(a.atimeSec());
        s.st_atim.tv_nsec.set(a.atimeNsec());
        s.st_mtim.tv_sec.set(a.mtimeSec());
        s.st_mtim.tv_nsec.set(a.mtimeNsec());
        s.st_ctim.tv_sec.set(a.ctimeSec());
        s.st_ctim.tv_nsec.set(a.ctimeNsec());
    }
}
