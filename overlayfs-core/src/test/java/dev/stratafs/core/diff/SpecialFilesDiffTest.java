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
}
