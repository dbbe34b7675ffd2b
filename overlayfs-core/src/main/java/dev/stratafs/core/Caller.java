package dev.stratafs.core;

/**
 * Who asks: the uid/gid new objects belong to, and the umask applied to their mode. The FUSE
 * edge fills it from the request context; library users pass their own ids.
 */
public record Caller(int uid, int gid, int umask) {
    public static Caller of(int uid, int gid) {
        return new Caller(uid, gid, 0);
    }
}
