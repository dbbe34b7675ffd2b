package dev.stratafs.fuse;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.nio.file.Path;
import java.util.List;

/**
 * Translates owner ids between what the layers store ("container" ids) and what the kernel sees
 * ("host" ids), as fuse-overlayfs' uidmapping=/gidmapping= and squash_to_uid=/squash_to_gid=.
 * A range C:H:S says container ids [C, C+S) are host ids [H, H+S). With no ranges ids pass
 * unchanged. Ids outside every range show as the overflow id 65534 (as the kernel shows unmapped
 * ids in a user namespace, see user_namespaces(7)) and cannot be stored (EINVAL, as chown(2) in a
 * user namespace). A squash id replaces every owner reported, whatever the mapping.
 */
public final class IdMapper {
    /** /proc/sys/kernel/overflowuid and overflowgid default. */
    public static final int OVERFLOW_ID = 65534;
    private static final Path PROC = Path.of("/proc");
    private static final Path SELF_USER_NS = PROC.resolve("self/ns/user");

    private final List<FuseOptions.IdRange> uids;
    private final List<FuseOptions.IdRange> gids;
    private final Integer squashUid;
    private final Integer squashGid;

    public IdMapper(List<FuseOptions.IdRange> uids, List<FuseOptions.IdRange> gids, Integer squashUid, Integer squashGid) {
        this.uids = List.copyOf(uids);
        this.gids = List.copyOf(gids);
        this.squashUid = squashUid;
        this.squashGid = squashGid;
    }

    public static IdMapper of(FuseOptions o) {
        return new IdMapper(o.uidMap(), o.gidMap(), o.squashUid(), o.squashGid());
    }

    /** True when every translation is the identity (lets callers skip work on the hot path). */
    public boolean isIdentity() {
        return uids.isEmpty() && gids.isEmpty() && squashUid == null && squashGid == null;
    }

    /** The owner uid getattr reports for a stored uid. */
    public int uidToHost(int stored) {
        if (squashUid != null) return squashUid;
        return toHost(uids, stored);
    }

    public int gidToHost(int stored) {
        if (squashGid != null) return squashGid;
        return toHost(gids, stored);
    }

    /** The uid to store for a host uid (the caller's, or a chown argument). */
    public int uidToContainer(int host) throws FsException {
        return toContainer(uids, host, "uid");
    }

    public int gidToContainer(int host) throws FsException {
        return toContainer(gids, host, "gid");
    }

    /** Like {@link #uidToContainer} but answers the overflow id instead of failing (for new objects). */
    public int uidToContainerOrOverflow(int host) {
        long v = lookup(uids, host, false);
        return v < 0 ? OVERFLOW_ID : (int) v;
    }

    public int gidToContainerOrOverflow(int host) {
        long v = lookup(gids, host, false);
        return v < 0 ? OVERFLOW_ID : (int) v;
    }

    private static int toHost(List<FuseOptions.IdRange> ranges, int stored) {
        long v = lookup(ranges, stored, true);
        return v < 0 ? OVERFLOW_ID : (int) v;
    }

    private static int toContainer(List<FuseOptions.IdRange> ranges, int host, String what) throws FsException {
        long v = lookup(ranges, host, false);
        if (v < 0) throw new FsException(ErrorKind.INVALID, what + " " + Integer.toUnsignedString(host) + " is not mapped");
        return (int) v;
    }

    /** -1 when unmapped; ids are unsigned 32-bit values. */
    private static long lookup(List<FuseOptions.IdRange> ranges, int id, boolean containerToHost) {
        long u = Integer.toUnsignedLong(id);
        if (ranges.isEmpty()) return u;
        for (FuseOptions.IdRange r : ranges) {
            long from = containerToHost ? r.container() : r.host();
            long to = containerToHost ? r.host() : r.container();
            if (u >= from && u - from < r.size()) return to + (u - from);
        }
        return -1;
    }

    /**
     * The requesting process as the core sees it: host ids of the request turned into stored ids,
     * its umask, and its rights over set-ID bits (read from /proc/[pid] only if asked).
     */
    public dev.stratafs.core.Caller caller(int hostUid, int hostGid, int pid, int umask) {
        int uid = hostUid;
        int gid = hostGid;
        if (!isIdentity()) {
            uid = uidToContainerOrOverflow(uid);
            gid = gidToContainerOrOverflow(gid);
        }
        ProcessRights rights = new ProcessRights(PROC, pid, SELF_USER_NS, hostGid, this::gidToHost);
        return new dev.stratafs.core.Caller(uid, gid, umask & 0777, rights);
    }
}
