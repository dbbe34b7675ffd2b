package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import org.junit.jupiter.api.Test;

/** Hard links and symbolic links. */
class LinkDiffTest {
    /*
     * lower 0:  h/a "shared"  h/b (hard link to h/a)   s/rel -> ../h/a   s/abs -> /etc/passwd
     *           s/dangling -> nowhere   plain "plain"
     */
    private static LayerFixture links() {
        return LayerFixture.builder()
                .layer(l -> l.file("h/a", "shared").hardlink("h/b", "h/a")
                        .symlink("s/rel", "../h/a").symlink("s/abs", "/etc/passwd").symlink("s/dangling", "nowhere")
                        .file("plain", "plain"))
                .build();
    }

    @Test
    void linkToLowerFileCopiesItUpAndLinksInUpper() {
        DiffHarness.run(Scenario.on(links())
                .then(link("/plain", "/plain2"), stat("/plain"), stat("/plain2"), write("/plain2", 0, "PL"),
                        read("/plain"))
                .build());
    }

    @Test
    void linkErrorsMatchTheKernel() {
        DiffHarness.run(Scenario.on(links())
                .then(link("/h", "/h2"), link("/nope", "/x"), link("/plain", "/h/a"), link("/plain", "/nope/x"))
                .build());
    }

    /* The VFS (do_linkat) looks the new name up before vfs_link refuses a directory source. */
    @Test
    void linkOfDirectoryReportsDestinationErrorsFirst() {
        DiffHarness.run(Scenario.on(links())
                .then(link("/h", "/plain"), link("/h", "/nope/x"), link("/s", "/plain"))
                .build());
    }

    /*
     * Lower hard-linked pair h/a == h/b; writing h/a. The kernel's default here is index=off,
     * where the copy-up breaks the pair (h/b keeps the old data). With index=on (overlayfs.rst
     * "Index") both names stay one file: new data under both, nlink 2, same inode. The core keeps
     * the pair linked (copyup index), so it is compared with the kernel mounted index=on; the
     * on-disk upper layout of index=on is kernel-private (work/index), so only merged views and
     * the kernel's reading of the core's upper count; in that reading h/b is left out, because a
     * fresh kernel mount has no index (neither the kernel's nor the core's) and sees h/b's lower
     * data and link count, exactly as it would on the kernel's own upper.
     */
    @Test
    void writingOneNameOfLowerHardLinkedPairShowsUnderBothNames() {
        DiffHarness.run(Scenario.on(links())
                .kernelOption("index=on")
                .skipUpper("/h")
                .skipRemount("/h/b")
                .then(write("/h/a", 0, "SHARED"), read("/h/b"), stat("/h/a"), stat("/h/b"), unlink("/h/a"),
                        stat("/h/b"), read("/h/b"))
                .build());
    }

    @Test
    void readlinkOfLowerSymlinksIncludingDangling() {
        DiffHarness.run(Scenario.on(links())
                .then(readlink("/s/rel"), readlink("/s/abs"), readlink("/s/dangling"), stat("/s/dangling"),
                        readlink("/plain"), readlink("/nope"))
                .build());
    }

    @Test
    void createSymlinksAndReplaceLowerSymlink() {
        DiffHarness.run(Scenario.on(links())
                .then(symlink("../plain", "/s/new"), symlink("x", "/s/rel"), unlink("/s/rel"), symlink("/abs/target", "/s/rel"),
                        readlink("/s/rel"), symlink("t", "/nope/x"), list("/s"))
                .build());
    }

    @Test
    void chownOfLowerSymlinkCopiesUpTheLinkItself() {
        DiffHarness.run(Scenario.on(links())
                .then(chown("/s/dangling", 123, 456), stat("/s/dangling"), readlink("/s/dangling"))
                .build());
    }
}
