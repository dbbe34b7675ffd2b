package dev.stratafs.core;

/**
 * What the kernel would ask of a caller's credentials where the filesystem must decide for it:
 * whether set-ID bits survive a truncation (fs/attr.c setattr_should_drop_suidgid) and whether
 * trusted.* attribute names are listed (fs/overlayfs/xattrs.c ovl_can_list). Asked rarely (a
 * set-ID file truncated, a trusted.* name present), so an implementation may look up lazily.
 */
public interface CallerRights {
    /** CAP_FSETID in the initial user namespace. */
    boolean fsetid();

    /** CAP_SYS_ADMIN in the initial user namespace. */
    boolean sysAdmin();

    /** Whether {@code gid} (as stored) is the caller's filesystem gid or one of its supplementary groups. */
    boolean inGroup(int gid);

    /** Rights known from the ids alone: root has every capability, and only the own gid counts as a group. */
    static CallerRights ofIds(int uid, int gid) {
        return new CallerRights() {
            @Override
            public boolean fsetid() {
                return uid == 0;
            }

            @Override
            public boolean sysAdmin() {
                return uid == 0;
            }

            @Override
            public boolean inGroup(int g) {
                return g == gid;
            }
        };
    }
}
