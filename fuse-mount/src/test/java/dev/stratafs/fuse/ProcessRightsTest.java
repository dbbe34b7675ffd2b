package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading a requester's rights from a stand-in /proc.
 *
 * <pre>
 * proc/self-ns             -> "user:[1]"      the daemon's user namespace
 * proc/42/status           CapEff, Groups as written by each test
 * proc/42/ns/user          -> "user:[1]" or "user:[2]"
 * (no proc/43)             a requester that is gone
 * </pre>
 */
class ProcessRightsTest {
    private static final String ALL_CAPS = "000001ffffffffff";
    private static final String NO_FSETID = "000001ffffffffef"; // bit 4 clear
    @TempDir
    Path proc;

    @BeforeEach
    void setUp() throws Exception {
        Files.createSymbolicLink(proc.resolve("self-ns"), Path.of("user:[1]"));
        Files.createDirectories(proc.resolve("42/ns"));
    }

    private ProcessRights process(String capEff, String groups, String userNs) throws Exception {
        Files.writeString(proc.resolve("42/status"),
                "Name:\tsh\nUid:\t0\t0\t0\t0\nGroups:\t" + groups + "\nCapInh:\t0000000000000000\nCapEff:\t" + capEff + "\n");
        Files.createSymbolicLink(proc.resolve("42/ns/user"), Path.of(userNs));
        return new ProcessRights(proc, 42, proc.resolve("self-ns"), 100, stored -> stored + 1000);
    }

    @Test
    void capFsetidInTheDaemonsNamespaceCounts() throws Exception {
        assertTrue(process(ALL_CAPS, "", "user:[1]").fsetid());
    }

    @Test
    void capEffWithoutBit4IsNoCapFsetid() throws Exception {
        assertFalse(process(NO_FSETID, "", "user:[1]").fsetid());
    }

    @Test
    void capSysAdminIsBit21() throws Exception {
        ProcessRights admin = process("0000000000200000", "", "user:[1]");
        assertTrue(admin.sysAdmin());
        assertFalse(admin.fsetid());
    }

    @Test
    void capFsetidInAnotherUserNamespaceDoesNotCount() throws Exception {
        // The root of a rootless container: full CapEff in its own namespace only.
        ProcessRights nsRoot = process(ALL_CAPS, "", "user:[2]");
        assertFalse(nsRoot.fsetid());
        assertFalse(nsRoot.sysAdmin());
    }

    @Test
    void groupsAreTheRequestGidAndTheSupplementaryOnesInHostTerms() throws Exception {
        ProcessRights p = process(NO_FSETID, "7 1010 65534 ", "user:[1]");
        assertTrue(p.inGroup(-900), "stored -900 shows as host 100, the request's gid");
        assertTrue(p.inGroup(10), "stored 10 shows as host 1010, a supplementary group");
        assertFalse(p.inGroup(7), "stored 7 shows as host 1007, not one of its groups");
    }

    @Test
    void aRequesterThatIsGoneHasNoRights() {
        ProcessRights gone = new ProcessRights(proc, 43, proc.resolve("self-ns"), 100, stored -> stored);
        assertFalse(gone.fsetid());
        assertFalse(gone.inGroup(5));
        assertTrue(gone.inGroup(100), "the request's own gid needs no /proc");
    }
}
