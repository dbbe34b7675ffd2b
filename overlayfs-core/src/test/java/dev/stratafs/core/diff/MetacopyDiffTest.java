package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import dev.stratafs.core.SetTime;
import dev.stratafs.core.diff.LayerFixture.Meta;
import org.junit.jupiter.api.Test;

/**
 * Metadata-only copy-up against the kernel's {@code metacopy=on} (overlayfs.rst "Metadata only
 * copy up"): the same merged view, the same upper files (size, mode, the metacopy mark, no data),
 * and each side reading the other's upper.
 */
class MetacopyDiffTest {
    /*
     * lower 0:  a/
     *           a/f      "hello lower"  0640 1000:1001 mtime 2001
     *           a/g      "untouched"
     *           a/empty  ""
     *           a/h1, a/h2  one file "linked" (two names)
     * lower 1:  a/f      "older f" (hidden by lower 0's)
     *           a/deep   "from below"
     */
    private static LayerFixture fixture() {
        return LayerFixture.builder()
                .layer(l -> l.dir("a", Meta.dir().mode(0755))
                        .file("a/f", "hello lower", Meta.file().mode(0640).owner(1000, 1001).mtime(1_000_000_123L, 456_789_000L))
                        .file("a/g", "untouched")
                        .file("a/empty", "")
                        .file("a/h1", "linked")
                        .hardlink("a/h2", "a/h1"))
                .layer(l -> l.file("a/f", "older f").file("a/deep", "from below"))
                .build();
    }

    @Test
    void attributeChangesCopyUpWithoutDataAndReadsStillSeeTheLowerData() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .then(chmod("/a/f", 0604), chown("/a/g", 7, 8),
                        utimens("/a/deep", SetTime.of(1_111_111_111L, 1), SetTime.of(1_222_222_222L, 3)),
                        stat("/a/f"), read("/a/f"), stat("/a/g"), read("/a/g"), stat("/a/deep"), read("/a/deep"))
                .build());
    }

    @Test
    void xattrChangesCopyUpWithoutData() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .then(setxattr("/a/f", "user.note", "one"), getxattr("/a/f", "user.note"), read("/a/f"),
                        setxattr("/a/g", "user.gone", "x"), removexattr("/a/g", "user.gone"), read("/a/g"))
                .build());
    }

    @Test
    void writeAfterChmodBringsTheDataUpAndKeepsTheNewMode() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .then(chmod("/a/f", 0600), write("/a/f", 6, "UPPER"), read("/a/f"), stat("/a/f"),
                        chmod("/a/deep", 0444), append("/a/deep", "+"), read("/a/deep"), stat("/a/deep"))
                .build());
    }

    @Test
    void truncatesAfterChmodShrinkGrowAndEmpty() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .then(chmod("/a/f", 0600), truncate("/a/f", 5), read("/a/f"), stat("/a/f"),
                        chmod("/a/g", 0600), truncate("/a/g", 20), read("/a/g"),
                        chmod("/a/deep", 0600), truncate("/a/deep", 0), read("/a/deep"), stat("/a/deep"))
                .build());
    }

    @Test
    void overwriteWithTruncateAfterChmodDropsTheLowerData() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .then(chown("/a/f", 1, 2), overwrite("/a/f", "new"), read("/a/f"), stat("/a/f"))
                .build());
    }

    @Test
    void removingAMetadataOnlyCopyLeavesAWhiteout() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .then(chmod("/a/f", 0600), unlink("/a/f"), stat("/a/f"), list("/a"))
                .build());
    }

    @Test
    void anEmptyFileGetsTheMarkToo() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .then(chmod("/a/empty", 0600), stat("/a/empty"), read("/a/empty"), append("/a/empty", "x"), read("/a/empty"))
                .build());
    }

    /*
     * A lower hard-linked pair a/h1 == a/h2 stays one file after a chmod of one name, compared
     * with the kernel mounted index=on as in LinkDiffTest (whose reasons for the skips hold here):
     * the core copies it up whole into its index, the kernel's index=on layout is its own.
     */
    @Test
    void aHardLinkedFileCopiesUpWholeAndStaysLinked() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .kernelOption("index=on")
                .skipUpper("/a/h1", "/a/h2")
                .skipRemount("/a/h2")
                .then(chmod("/a/h1", 0600), stat("/a/h1"), stat("/a/h2"), read("/a/h2"))
                .build());
    }

    @Test
    void handleOpenedBeforeAChangeReadsOnThroughTheDataCopyUp() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                .then(readViaHandleAcross("/a/f", chmod("/a/f", 0600)),
                        readViaHandleAcross("/a/f", write("/a/f", 0, "HELLO")),
                        readViaHandleAcross("/a/deep", overwrite("/a/deep", "replaced")))
                .build());
    }

    @Test
    void renameAndLinkOfAMetadataOnlyCopyKeepItsData() {
        DiffHarness.run(Scenario.on(fixture()).metacopy()
                // The kernel keeps a renamed metadata-only copy and records where its data is
                // (a redirect xattr); the core brings the data up first, which any overlay reads.
                .skipUpper("/a/moved")
                // The kernel links the metadata-only copy as it is; the core gives it its data
                // first, since a second name could not find the data by its own path.
                .skipUpper("/a/g", "/a/g2")
                .then(chmod("/a/f", 0600), rename("/a/f", "/a/moved"), read("/a/moved"), stat("/a/moved"), list("/a"),
                        chmod("/a/g", 0600), link("/a/g", "/a/g2"), read("/a/g2"), stat("/a/g"))
                .build());
    }
}
