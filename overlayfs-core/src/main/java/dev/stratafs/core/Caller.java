package dev.stratafs.core;

/**
 * Who asks: the uid/gid new objects belong to, the umask applied to their mode, and the rights
 * the kernel would check for it ({@link CallerRights}). The FUSE edge fills it from the request context; library users pass their
 * own ids.
 */
public record Caller(int uid, int gid, int umask, CallerRights rights) {
    public Caller(int uid, int gid, int umask) {
        this(uid, gid, umask, CallerRights.ofIds(uid, gid));
    }

    public static Caller of(int uid, int gid) {
        return new Caller(uid, gid, 0);
    }
}
