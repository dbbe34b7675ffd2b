package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.Caller;
import dev.stratafs.core.CallerRights;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What listxattr shows whom: trusted.* to CAP_SYS_ADMIN only (ovl_can_list), ACL names not under noacl. */
class XattrListingTest {
    private static final List<String> NAMES =
            List.of("user.a", "trusted.b", "security.selinux", "system.posix_acl_access", "trusted.c");

    /** A caller whose CAP_SYS_ADMIN is {@code admin}; counts how often it is asked. */
    private static Caller caller(boolean admin, AtomicInteger asked) {
        return new Caller(1000, 1000, 0, new CallerRights() {
            @Override
            public boolean fsetid() {
                return false;
            }

            @Override
            public boolean sysAdmin() {
                asked.incrementAndGet();
                return admin;
            }

            @Override
            public boolean inGroup(int gid) {
                return false;
            }
        });
    }

    private static String listed(List<String> names, boolean aclsOff, Caller c) {
        return new String(XattrListing.of(names, new AclNames(aclsOff), c), StandardCharsets.UTF_8).replace('\0', ',');
    }

    @Test
    void trustedNamesAreListedToAnAdministratorOnly() {
        AtomicInteger asked = new AtomicInteger();
        assertEquals("user.a,trusted.b,security.selinux,system.posix_acl_access,trusted.c,", listed(NAMES, false, caller(true, asked)));
        assertEquals("user.a,security.selinux,system.posix_acl_access,", listed(NAMES, false, caller(false, asked)));
        assertEquals(2, asked.get(), "asked once per listing, not once per name");
    }

    @Test
    void withoutTrustedNamesTheCallerIsNotAsked() {
        AtomicInteger asked = new AtomicInteger();
        assertEquals("user.a,", listed(List.of("user.a", "system.posix_acl_access"), true, caller(false, asked)));
        assertEquals(0, asked.get());
    }
}
