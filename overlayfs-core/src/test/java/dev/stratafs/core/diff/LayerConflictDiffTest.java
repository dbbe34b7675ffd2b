package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import org.junit.jupiter.api.Test;

/**
 * Names whose type differs between layers, and markers in middle layers: merging stops at the
 * first non-directory, and a whiteout or opaque dir hides only what is below it
 * (overlayfs.rst, "Directories" and "whiteouts and opaque directories").
 */
class LayerConflictDiffTest {
    /*
     * lower 0:  fileOverDir "file"        dirOverFile/a "a"     link -> dirOverFile
     *           mid/ (opaque)  mid/m "m"
     * lower 1:  fileOverDir/x "x"         dirOverFile "file"    link/y "y"
     *           wh: again                 mid/hiddenByOpaque "h"   wh: mid/ghost
     * lower 2:  again "back?"             dirOverFile/b "b"     mid/ghost "g"   mid/deeper "d"
     */
    private static LayerFixture fixture() {
        return LayerFixture.builder()
                .layer(l -> l.file("fileOverDir", "file").file("dirOverFile/a", "a").symlink("link", "dirOverFile")
                        .opaque("mid").file("mid/m", "m"))
                .layer(l -> l.file("fileOverDir/x", "x").file("dirOverFile", "file").file("link/y", "y")
                        .whiteout("again").file("mid/hiddenByOpaque", "h").whiteout("mid/ghost"))
                .layer(l -> l.file("again", "back?").file("dirOverFile/b", "b").file("mid/ghost", "g")
                        .file("mid/deeper", "d"))
                .build();
    }

    @Test
    void topmostTypeWinsAndMergingStopsAtNonDirectory() {
        DiffHarness.run(Scenario.on(fixture())
                .then(stat("/fileOverDir"), stat("/fileOverDir/x"), list("/dirOverFile"), stat("/dirOverFile/b"),
                        readlink("/link"), stat("/link"), stat("/again"), list("/mid"), list("/"))
                .build());
    }

    @Test
    void changesBelowAFileThatHidesADirectory() {
        DiffHarness.run(Scenario.on(fixture())
                .then(unlink("/fileOverDir"), stat("/fileOverDir"), mkdir("/fileOverDir", 0755), list("/fileOverDir"),
                        create("/dirOverFile/c", 0644), list("/dirOverFile"), rmRf("/dirOverFile"), list("/"),
                        create("/again", 0644), read("/again"))
                .build());
    }

    @Test
    void opaqueMiddleLayerDirKeepsHidingAfterChanges() {
        DiffHarness.run(Scenario.on(fixture())
                .then(create("/mid/new", 0644), unlink("/mid/m"), list("/mid"), rmdir("/mid"), create("/mid/ghost", 0644),
                        list("/mid"), rmRf("/mid"), mkdir("/mid", 0755), list("/mid"))
                .build());
    }

    /*
     * lower 0:  h/a "same"  h/b (hard link to h/a)
     * rename(2) between two names of one file "does nothing, and returns a success status".
     * The kernel does so with index=on (one overlay inode for both names); with index=off it
     * sees two files and replaces b. The core keeps lower hard links linked, so index=on is the
     * reference; where it keeps that state (work/index) is private, so uppers are not compared.
     */
    @Test
    void renameBetweenLowerHardLinksOfOneFile() {
        LayerFixture fx = LayerFixture.builder().layer(l -> l.file("h/a", "same").hardlink("h/b", "h/a")).build();
        DiffHarness.run(Scenario.on(fx)
                .kernelOption("index=on")
                .skipUpper("/h")
                .skipRemount("/h")
                .then(rename("/h/a", "/h/b"), list("/h"), stat("/h/b"), rename("/h/a", "/h/a"), list("/h"))
                .build());
    }
}
