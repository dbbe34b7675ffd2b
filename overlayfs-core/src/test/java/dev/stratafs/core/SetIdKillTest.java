package dev.stratafs.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The bits a truncation clears, row by row against fs/attr.c setattr_should_drop_suidgid. */
class SetIdKillTest {
    private static final int REG = 0100000, DIR = 0040000;

    /** A caller of gid 100 that is also in group 200. */
    private static Caller caller(boolean fsetid) {
        return new Caller(1000, 100, 0, new CallerRights() {
            @Override
            public boolean fsetid() {
                return fsetid;
            }

            @Override
            public boolean sysAdmin() {
                return false;
            }

            @Override
            public boolean inGroup(int gid) {
                return gid == 100 || gid == 200;
            }
        });
    }

    @ParameterizedTest(name = "mode {0} group {1} fsetid {2} -> clears {3}")
    @CsvSource({
            // mode (octal perm), file gid, caller has CAP_FSETID, bits cleared (octal)
            "0755, 100, false, 0",         // no set-ID bit: nothing to do
            "4755, 100, false, 4000",      // S_ISUID always goes
            "4755, 100, true,  0",         // ... unless the caller has CAP_FSETID
            "2775, 100, false, 2000",      // S_ISGID with group execute goes, even in the group
            "2765, 300, false, 2000",      // S_ISGID without group execute, caller not in the group: goes
            "2765, 100, false, 0",         // ... in its own group: stays (mandatory-locking marker)
            "2765, 200, false, 0",         // ... in a supplementary group: stays
            "6775, 300, false, 6000",      // both go together
            "6775, 300, true,  0",         // CAP_FSETID keeps both
            "6765, 100, false, 4000",      // S_ISUID goes, the in-group S_ISGID without g+x stays
    })
    void clearsWhatTheKernelClearsOnARegularFile(String perm, int gid, boolean fsetid, String cleared) {
        int mode = REG | Integer.parseInt(perm, 8);
        assertEquals(Integer.parseInt(cleared, 8), SetIdKill.onTruncate(mode, gid, caller(fsetid)));
    }

    @ParameterizedTest(name = "type {0}")
    @CsvSource({"0040000", "0120000", "0020000", "0010000"})
    void leavesAnythingButARegularFileAlone(String type) {
        assertEquals(0, SetIdKill.onTruncate(Integer.parseInt(type, 8) | 06777, 300, caller(false)));
    }

    @Test
    void callersBuiltFromIdsAloneTreatRootAsPrivileged() {
        assertEquals(0, SetIdKill.onTruncate(REG | 06775, 5, Caller.of(0, 0)));
        assertEquals(06000, SetIdKill.onTruncate(REG | 06775, 5, Caller.of(1000, 1000)));
        assertEquals(0, SetIdKill.onTruncate(DIR | 06775, 5, Caller.of(1000, 1000)));
    }
}
