package dev.stratafs.fuse;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;

/**
 * Which extended attributes the mount serves under {@code noacl}: the two POSIX ACL names
 * (acl(5): system.posix_acl_access, system.posix_acl_default) are then neither listed nor
 * readable nor settable, as fuse-overlayfs does with the same option. Shared by both engines.
 */
public final class AclNames {
    private static final String ACL_ACCESS = "system.posix_acl_access";
    private static final String ACL_DEFAULT = "system.posix_acl_default";

    private final boolean off;

    public AclNames(boolean aclsOff) {
        this.off = aclsOff;
    }

    /** Refuses a get/set/remove of an ACL attribute when ACLs are off (EOPNOTSUPP). */
    public void check(String name) throws FsException {
        if (off && isAcl(name)) throw new FsException(ErrorKind.NOT_SUPPORTED, "ACLs are off (noacl): " + name);
    }

    /** Whether listxattr shows this name. */
    public boolean listed(String name) {
        return !(off && isAcl(name));
    }

    private static boolean isAcl(String name) {
        return ACL_ACCESS.equals(name) || ACL_DEFAULT.equals(name);
    }
}
