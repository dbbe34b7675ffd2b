package dev.stratafs.fuse;

import dev.stratafs.core.Caller;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The listxattr(2) reply a caller gets, for both engines: NUL-terminated names, without the ACL
 * names under {@code noacl}, and with trusted.* names for callers with CAP_SYS_ADMIN only, as the
 * kernel overlay lists them (fs/overlayfs/xattrs.c ovl_can_list; xattr(7) "Trusted extended
 * attributes"). The daemon itself reads them as root, so it has to leave them out.
 */
public final class XattrListing {
    private static final String TRUSTED = "trusted.";

    private XattrListing() {
    }

    public static byte[] of(List<String> names, AclNames acls, Caller caller) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int admin = -1; // asked once, and only when a trusted.* name is there
        for (String n : names) {
            if (!acls.listed(n)) continue;
            if (n.startsWith(TRUSTED)) {
                if (admin < 0) admin = caller.rights().sysAdmin() ? 1 : 0;
                if (admin == 0) continue;
            }
            out.writeBytes(n.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
        return out.toByteArray();
    }
}
