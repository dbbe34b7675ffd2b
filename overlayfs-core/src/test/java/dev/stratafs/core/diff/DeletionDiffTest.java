package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import org.junit.jupiter.api.Test;

/** Removal on the merged view: whiteouts, opaque directories, emptiness judged on the merged view. */
class DeletionDiffTest {
    /*
     * lower 0:  d/x  "top x"          d/wh-y (whiteout of d/y)
     * lower 1:  d/y  "hidden y"       d/z "bottom z"     e/sub/deep "deep"   e/top "t"   f "file f"
     */
    private static LayerFixture twoLayers() {
        return LayerFixture.builder()
                .layer(l -> l.file("d/x", "top x").whiteout("d/y"))
                .layer(l -> l.file("d/y", "hidden y").file("d/z", "bottom z")
                        .file("e/sub/deep", "deep").file("e/top", "t").file("f", "file f"))
                .build();
    }

    @Test
    void deleteLowerFileLeavesWhiteout() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(unlink("/d/z"), stat("/d/z"), list("/d"), unlink("/f"), list("/"))
                .build());
    }

    @Test
    void deleteAndRecreateLowerFileShowsOnlyNewContent() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(unlink("/d/z"), create("/d/z", 0600), write("/d/z", 0, "new"), read("/d/z"), stat("/d/z"),
                        unlink("/f"), createExclusive("/f", 0644), read("/f"))
                .build());
    }

    @Test
    void recreatingWhitedOutLowerNameStartsEmpty() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(read("/d/y"), create("/d/y", 0644), read("/d/y"), list("/d"))
                .build());
    }

    @Test
    void unlinkOfUpperOnlyFileLeavesNoWhiteout() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(create("/d/new", 0644), unlink("/d/new"), list("/d"), mkdir("/fresh", 0755),
                        create("/fresh/a", 0644), unlink("/fresh/a"), rmdir("/fresh"), list("/"))
                .build());
    }

    @Test
    void rmdirOfDirEmptyOnlyInMergedViewSucceeds() {
        // e holds entries only in lower 1: deleting them leaves a merged dir of whiteouts.
        DiffHarness.run(Scenario.on(twoLayers())
                .then(rmdir("/e"), unlink("/e/top"), unlink("/e/sub/deep"), rmdir("/e/sub"), list("/e"), rmdir("/e"),
                        stat("/e"), list("/"))
                .build());
    }

    @Test
    void rmdirOfDirWithLowerEntriesIsNotEmpty() {
        // d's merged view: x (lower 0), z (lower 1); y is whited out and does not count.
        DiffHarness.run(Scenario.on(twoLayers())
                .then(rmdir("/d"), unlink("/d/x"), rmdir("/d"), unlink("/d/z"), rmdir("/d"), list("/"))
                .build());
    }

    @Test
    void rmRfOfLowerTreeRemovesEverything() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(rmRf("/e"), rmRf("/d"), list("/"), stat("/e/top"))
                .build());
    }

    @Test
    void recreatedDirAfterRmdirIsOpaque() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(rmRf("/e"), mkdir("/e", 0700), list("/e"), stat("/e/top"), create("/e/top", 0644), list("/e"))
                .build());
    }

    @Test
    void replaceLowerFileByDirectory() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(unlink("/f"), mkdir("/f", 0755), create("/f/inner", 0644), list("/f"), stat("/f"))
                .build());
    }

    @Test
    void replaceLowerDirectoryByFile() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(rmRf("/e"), create("/e", 0640), write("/e", 0, "now a file"), read("/e"), stat("/e"))
                .build());
    }

    @Test
    void removalErrorsMatchTheKernel() {
        DiffHarness.run(Scenario.on(twoLayers())
                .then(unlink("/d"), rmdir("/f"), unlink("/nope"), rmdir("/nope"), unlink("/f/x"), rmdir("/d/x/y"),
                        unlink("/d/y"), rmdir("/d/y"), mkdir("/d", 0755), mkdir("/d/x", 0755), mkdir("/nope/x", 0755),
                        createExclusive("/d/x", 0644), createExclusive("/f", 0644))
                .build());
    }
}
