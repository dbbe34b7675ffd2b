package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.EnumMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The core reads every whiteout format (design notes §2); the kernel always mounts the KERNEL
 * rendering of the same logical stack, so the core on an AUFS or xattr-format copy must match it.
 */
class WhiteoutFormatDiffTest {
    /*
     * lower 0:  wh: gone     wh: dir/old     opq/ (opaque)  opq/new "new"    wh: tree
     *           mixed/top "t"
     * lower 1:  gone "g"   dir/old "o"   dir/keep "k"   opq/hidden "h"   tree/x/y "y"
     *           mixed/low "l"   wh: mixed/lower2
     * lower 2:  mixed/lower2 "l2"   opq/deeper "d"   tree/z "z"
     */
    static LayerFixture fixture() {
        return LayerFixture.builder()
                .layer(l -> l.whiteout("gone").whiteout("dir/old").opaque("opq").file("opq/new", "new")
                        .whiteout("tree").file("mixed/top", "t"))
                .layer(l -> l.file("gone", "g").file("dir/old", "o").file("dir/keep", "k").file("opq/hidden", "h")
                        .file("tree/x/y", "y").file("mixed/low", "l").whiteout("mixed/lower2"))
                .layer(l -> l.file("mixed/lower2", "l2").file("opq/deeper", "d").file("tree/z", "z"))
                .build();
    }

    private static Scenario.Builder script(WhiteoutFormat f) {
        return Scenario.on(fixture()).coreFormat(f)
                .then(list("/"), list("/dir"), list("/opq"), list("/mixed"), stat("/gone"), stat("/tree"),
                        create("/gone", 0644), mkdir("/tree", 0755), list("/tree"), unlink("/dir/keep"), list("/dir"),
                        rmdir("/dir"), create("/opq/hidden", 0644), list("/opq"), write("/mixed/low", 0, "L"));
    }

    @ParameterizedTest(name = "core on {0} lowers")
    @EnumSource(WhiteoutFormat.class)
    void coreOnAnyFormatMatchesKernelOnKernelFormat(WhiteoutFormat f) {
        DiffHarness.run(script(f).build());
    }

    @Test
    void coreMergedViewsAreEqualAcrossFormats() {
        long recent = java.time.Instant.now().getEpochSecond() - 2; // times set by the script compare as "now"
        Map<WhiteoutFormat, TreeSnapshot> views = new EnumMap<>(WhiteoutFormat.class);
        for (WhiteoutFormat f : WhiteoutFormat.values()) {
            views.put(f, DiffHarness.run(script(f).build()).coreView());
        }
        for (WhiteoutFormat f : List.of(WhiteoutFormat.AUFS, WhiteoutFormat.XATTR)) {
            assertEquals(List.of(), SnapshotDiff.diff(views.get(WhiteoutFormat.KERNEL), views.get(f),
                    SnapshotDiff.mergedView(recent)), "core view on KERNEL lowers vs on " + f + " lowers");
        }
    }

    /*
     * Checks the fixture builder: the kernel itself must show the same merged view for the
     * KERNEL and XATTR renderings (it reads both), with no core involved.
     */
    @Test
    void kernelReadsKernelAndXattrRenderingsAlike() {
        org.junit.jupiter.api.Assumptions.assumeTrue(KernelOverlay.available(), KernelOverlay::unavailableReason);
        assertEquals(List.of(), KernelOnly.compareRenderings(fixture(), WhiteoutFormat.KERNEL, WhiteoutFormat.XATTR));
    }
}
