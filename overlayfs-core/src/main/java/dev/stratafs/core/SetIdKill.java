package dev.stratafs.core;

import dev.stratafs.core.nat.StatInfo;

/**
 * Which set-ID bits a truncation by a caller removes, as the kernel's setattr_should_drop_suidgid
 * (fs/attr.c) decides for truncate(2) and open(O_TRUNC): S_ISUID always, S_ISGID when the group
 * may execute or the caller is not in the file's group, neither for a caller with CAP_FSETID,
 * and only on regular files.
 *
 * <p>Needed for open(O_TRUNC) alone: with atomic_o_trunc the FUSE kernel leaves the truncation
 * to OPEN and drops the mode change it would otherwise send (fs/fuse/dir.c fuse_do_setattr,
 * ATTR_OPEN), so the filesystem must apply the rule itself.
 */
final class SetIdKill {
    static final int S_ISUID = 04000, S_ISGID = 02000, S_IXGRP = 00010;

    private SetIdKill() {
    }

    /** The bits of {@code mode} to clear; 0 when nothing changes. */
    static int onTruncate(int mode, int fileGid, Caller caller) {
        if ((mode & StatInfo.S_IFMT) != StatInfo.S_IFREG) return 0;
        int kill = mode & S_ISUID;
        if ((mode & S_ISGID) != 0 && ((mode & S_IXGRP) != 0 || !caller.rights().inGroup(fileGid))) kill |= S_ISGID;
        if (kill == 0 || caller.rights().fsetid()) return 0;
        return kill;
    }
}
