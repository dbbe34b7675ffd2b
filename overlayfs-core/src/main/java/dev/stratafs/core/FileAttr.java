package dev.stratafs.core;

import dev.stratafs.core.nat.StatInfo;

/**
 * Attributes of an object in the merged view, as getattr answers them: st_ino is the mount's
 * stable inode number, st_dev the mount's single device, everything else from the layer object
 * that is visible (with nlink adjusted for merged directories and copied-up hard links).
 */
public record FileAttr(
        long ino,
        int mode,
        long nlink,
        int uid,
        int gid,
        long rdev,
        long size,
        long blksize,
        long blocks,
        long atimeSec, long atimeNsec,
        long mtimeSec, long mtimeNsec,
        long ctimeSec, long ctimeNsec) {

    public int type() { return mode & StatInfo.S_IFMT; }
    public boolean isDirectory() { return type() == StatInfo.S_IFDIR; }
    public boolean isRegular() { return type() == StatInfo.S_IFREG; }
    public boolean isSymlink() { return type() == StatInfo.S_IFLNK; }

    static FileAttr of(StatInfo s, long ino, long nlink) {
        return new FileAttr(ino, s.mode(), nlink, s.uid(), s.gid(), s.rdev(), s.size(), s.blksize(), s.blocks(),
                s.atimeSec(), s.atimeNsec(), s.mtimeSec(), s.mtimeNsec(), s.ctimeSec(), s.ctimeNsec());
    }
}
