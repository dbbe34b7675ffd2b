package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import dev.stratafs.core.SetTime;
import dev.stratafs.core.diff.LayerFixture.Meta;
import org.junit.jupiter.api.Test;

/** Copy-up on first change of a lower object: data and metadata operations. */
class CopyUpDiffTest {
    /*
     * lower 0:  a/
     *           a/f  "hello lower"  0640 1000:1001 mtime 2001
     *           a/g  "untouched"
     */
    private static LayerFixture oneLowerFile() {
        return LayerFixture.builder()
                .layer(l -> l.dir("a", Meta.dir().mode(0750).owner(7, 8))
                        .file("a/f", "hello lower", Meta.file().mode(0640).owner(1000, 1001).mtime(1_000_000_123L, 456_789_000L))
                        .file("a/g", "untouched"))
                .build();
    }

    @Test
    void writeToLowerFileCopiesUpKeepingOwnerAndMode() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(write("/a/f", 6, "UPPER"), read("/a/f"), stat("/a/f"), stat("/a"))
                .build());
    }

    @Test
    void overwriteWithTruncateReplacesLowerContent() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(overwrite("/a/f", "new"), read("/a/f"), stat("/a/f"))
                .build());
    }

    @Test
    void appendToLowerFileKeepsLowerData() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(append("/a/f", " + more"), append("/a/f", "!"), read("/a/f"))
                .build());
    }

    @Test
    void truncateLowerFileShrinksExtendsAndEmpties() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(truncate("/a/f", 5), read("/a/f"), truncate("/a/f", 20), read("/a/f"), stat("/a/f"),
                        truncate("/a/g", 0), read("/a/g"))
                .build());
    }

    @Test
    void chmodOfLowerFileCopiesUpMetadataOnly() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(chmod("/a/f", 0604), stat("/a/f"), read("/a/f"), chmod("/a", 0700), stat("/a"))
                .build());
    }

    @Test
    void chownOfLowerFileAndDirCopiesUp() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(chown("/a/f", 2000, 2001), chown("/a/g", -1, 55), chown("/a", 9, -1), stat("/a/f"), stat("/a/g"),
                        stat("/a"))
                .build());
    }

    /*
     * lower 0:  s/suid  "x"  04755 1:1    s/sgid  "y"  02755 1:1
     * A copy-up made for a chown takes it before its rename: the set-ID bits must still go as
     * chown(2) drops them.
     */
    @Test
    void chownOfLowerSetIdFilesClearsTheirSetIdBits() {
        LayerFixture fx = LayerFixture.builder()
                .layer(l -> l.file("s/suid", "x", Meta.file().mode(04755).owner(1, 1))
                        .file("s/sgid", "y", Meta.file().mode(02755).owner(1, 1)))
                .build();
        DiffHarness.run(Scenario.on(fx)
                .then(chown("/s/suid", 2, -1), chown("/s/sgid", -1, 3), stat("/s/suid"), stat("/s/sgid"))
                .build());
        DiffHarness.run(Scenario.on(fx).metacopy()
                .then(chown("/s/suid", 2, -1), chown("/s/sgid", -1, 3), stat("/s/suid"), stat("/s/sgid"))
                .build());
    }

    @Test
    void utimensOfLowerFileSetsExactTimesAndOmitLeavesMtime() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(utimens("/a/f", SetTime.of(1_111_111_111L, 1), SetTime.of(1_222_222_222L, 123_456_789L)),
                        utimens("/a/g", SetTime.of(1_300_000_000L, 0), SetTime.OMIT),
                        read("/a/f"))
                .build());
    }

    @Test
    void operationsOnMissingPathsFailAlike() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(write("/a/nope", 0, "x"), truncate("/a/nope", 1), chmod("/nope", 0644), chown("/a/nope", 1, 1),
                        utimens("/a/nope", SetTime.NOW, SetTime.NOW), read("/a/f/x"), write("/a", 0, "x"),
                        truncate("/a", 0), stat("/a/f/x"))
                .build());
    }

    /*
     * lower 0:  big  3 MiB + 5 bytes of a byte pattern (copy_file_range/clone path, several chunks)
     */
    @Test
    void bigLowerFileCopiesUpEveryByte() {
        byte[] big = new byte[3 * 1024 * 1024 + 5];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31 + (i >>> 12));
        LayerFixture fx = LayerFixture.builder().layer(l -> l.file("big", big, Meta.file())).build();
        DiffHarness.run(Scenario.on(fx)
                .then(write("/big", 1_500_000, "MIDDLE"), append("/big", "END"), read("/big"), stat("/big"))
                .build());
    }

    @Test
    void handleOpenedBeforeCopyUpReadsTheUpperCopy() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(readViaHandleAcross("/a/f", write("/a/f", 0, "HELLO")),
                        readViaHandleAcross("/a/g", overwrite("/a/g", "replaced")))
                .build());
    }

    @Test
    void unlinkedOpenLowerFileStaysWritableThroughItsHandle() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(writeViaHandleAfterUnlink("/a/f", "still here"), stat("/a/f"), list("/a"))
                .build());
    }

    /*
     * lower 0:  m/ 0700 3:4   m/top "top"
     * lower 1:  m/ 0755       m/low "low"
     */
    @Test
    void chmodAndChownOfMergedDirCopyUpTheDirOnly() {
        LayerFixture fx = LayerFixture.builder()
                .layer(l -> l.dir("m", Meta.dir().mode(0700).owner(3, 4)).file("m/top", "top"))
                .layer(l -> l.file("m/low", "low"))
                .build();
        DiffHarness.run(Scenario.on(fx)
                .then(chmod("/m", 0751), chown("/m", 30, 40), stat("/m"), list("/m"), read("/m/low"))
                .build());
    }

    @Test
    void utimensOfLowerDirSetsItsTimes() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(mtime("/a"), utimens("/a", SetTime.of(1_400_000_000L, 5), SetTime.of(1_400_000_001L, 999_999_999L)),
                        mtime("/a"), utimens("/a", SetTime.OMIT, SetTime.OMIT), mtime("/a"))
                .build());
    }

    @Test
    void newObjectsGetRequestedModeLessUmask() {
        DiffHarness.run(Scenario.on(oneLowerFile())
                .then(create("/a/all", 0777), mkdir("/a/dir", 0777), mkfifo("/a/fifo", 0666), create("/a/none", 0),
                        stat("/a/all"), stat("/a/dir"), stat("/a/fifo"), stat("/a/none"))
                .build());
    }
}
