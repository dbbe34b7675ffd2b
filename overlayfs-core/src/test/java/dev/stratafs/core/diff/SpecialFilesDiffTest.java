package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import dev.stratafs.core.SetTime;
import dev.stratafs.core.diff.LayerFixture.Meta;
import org.junit.jupiter.api.Test;

/** FIFOs, and a setuid file, through copy-up. */
class SpecialFilesDiffTest {
    /*
     * lower 0:  p/fifo (fifo 0640 5:6)   bin/suid "#!" 4755
     */
    private static LayerFixture fixture() {
        return LayerFixture.builder()
                .layer(l -> l.fifo("p/fifo", Meta.file().mode(0640).owner(5, 6))
                        .file("bin/suid", "#!", Meta.file().mode(04755)))
                .build();
    }

    @Test
    void mkfifoCreatesFifoInUpper() {
        DiffHarness.run(Scenario.on(fixture())
                .then(mkfifo("/p/new", 0644), stat("/p/new"), mkfifo("/p/fifo", 0644), mkfifo("/nope/f", 0644))
                .build());
    }

    @Test
    void mknodOfAWhiteoutDeviceIsRefusedAndOfAnyOtherDeviceWorks() {
        // ovl_mknod(): char 0/0 is the upper's whiteout; it would vanish as it was made.
        DiffHarness.run(Scenario.on(fixture())
                .then(mknodChar("/p/w", 0644, 0, 0), list("/p"), mknodChar("/p/null", 0666, 1, 3), stat("/p/null"),
                        mknodChar("/p/fifo", 0644, 0, 0))
                .build());
    }

    @Test
    void chmodAndUtimensOfLowerFifoCopyItUp() {
        DiffHarness.run(Scenario.on(fixture())
                .then(chmod("/p/fifo", 0600), utimens("/p/fifo", SetTime.OMIT, SetTime.of(1_500_000_000L, 7)),
                        stat("/p/fifo"))
                .build());
    }

    @Test
    void unlinkOfLowerFifoLeavesWhiteout() {
        DiffHarness.run(Scenario.on(fixture())
                .then(unlink("/p/fifo"), list("/p"))
                .build());
    }

    @Test
    void writeToSetuidLowerFileKeepsModeAsRootDoes() {
        // Written by root (CAP_FSETID): the set-user-ID bit stays (write(2), "Notes").
        DiffHarness.run(Scenario.on(fixture())
                .then(append("/bin/suid", "sh"), stat("/bin/suid"), chown("/bin/suid", 1, 1), stat("/bin/suid"))
                .build());
    }

    /*
     * lower 0:  shared/ 02775 0:50   shared/old "o"
     * A set-group-ID directory passes its group (and, to directories, the bit) to new entries
     * (mkdir(2), open(2) "O_CREAT"); the copied-up directory must keep doing so.
     */
    @Test
    void setgidLowerDirPassesGroupToNewEntries() {
        LayerFixture fx = LayerFixture.builder()
                .layer(l -> l.dir("shared", Meta.dir().mode(02775).owner(0, 50)).file("shared/old", "o"))
                .build();
        DiffHarness.run(Scenario.on(fx)
                .then(create("/shared/new", 0644), mkdir("/shared/sub", 0755), mkfifo("/shared/p", 0644),
                        symlink("x", "/shared/l"), stat("/shared/new"), stat("/shared/sub"), stat("/shared"))
                .build());
    }
}
