package dev.stratafs.core;

/**
 * What the kernel asks of a caller before set-user-ID and set-group-ID bits survive a truncation
 * (fs/attr.c setattr_should_drop_suidgid). Asked only when a file with one of those bits is
 * truncated, so an implementation may look the answers up lazily.
 */
public interface SetIdRights {
    /** CAP_FSETID in the initial user namespace. */
    boolean fsetid();

    /** Whether {@code gid} (as stored) is the caller's filesystem gid or one of its supplementary groups. */
    boolean inGroup(int gid);

    /** Rights known from the ids alone: root has CAP_FSETID, and only the own gid counts as a group. */
    static SetIdRights ofIds(int uid, int gid) {
        return new SetIdRights() {
            @Override
            public boolean fsetid() {
                return uid == 0;
            }

            @Override
            public boolean inGroup(int g) {
                return g == gid;
            }
        };
    }
}
