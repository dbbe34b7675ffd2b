package dev.stratafs.core;

/**
 * Who asks: the uid/gid new objects belong to, the umask applied to their mode, and its rights
 * over set-ID bits. The FUSE edge fills it from the request context; library users pass their
 * own ids.
 */
public record Caller(int uid, int gid, int umask, SetIdRights rights) {
    public Caller(int uid, int gid, int umask) {
        this(uid, gid, umask, SetIdRights.ofIds(uid, gid));
    }

    public static Caller of(int uid, int gid) {
        return new Caller(uid, gid, 0);
    }
}
