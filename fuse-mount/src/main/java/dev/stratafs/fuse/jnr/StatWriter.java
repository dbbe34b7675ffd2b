package dev.stratafs.fuse.jnr;

import dev.stratafs.core.FileAttr;
import dev.stratafs.core.FsStat;
import dev.stratafs.fuse.IdMapper;
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
