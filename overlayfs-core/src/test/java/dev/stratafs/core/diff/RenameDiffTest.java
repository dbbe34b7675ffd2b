package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** rename(2) on the merged view. */
class RenameDiffTest {
    /*
     * lower 0:  a/one "one"   a/two "two"
     * lower 1:  a/three "three"   m/x "mx"   m/sub/y "my"   p/q "pq"
     */
    private static LayerFixture fixture() {
        return LayerFixture.builder()
                .layer(l -> l.file("a/one", "one").file("a/two", "two"))
                .layer(l -> l.file("a/three", "three").file("m/x", "mx").file("m/sub/y", "my").file("p/q", "pq"))
                .build();
    }

    @Test
    void renameLowerFileOverLowerFile() {
        DiffHarness.run(Scenario.on(fixture())
                .then(rename("/a/one", "/a/three"), read("/a/three"), stat("/a/one"), list("/a"))
                .build());
    }

    @Test
    void renameLowerFileToNewNameInOtherDir() {
        DiffHarness.run(Scenario.on(fixture())
                .then(rename("/a/two", "/p/two"), list("/a"), list("/p"), read("/p/two"))
                .build());
    }

    @Test
    void renameUpperFileOntoWhitedOutName() {
        DiffHarness.run(Scenario.on(fixture())
                .then(unlink("/a/one"), create("/a/tmp", 0644), write("/a/tmp", 0, "tmp"), rename("/a/tmp", "/a/one"),
                        read("/a/one"), list("/a"))
                .build());
    }

    @Test
    void renameUpperOnlyDirectoryInsideUpperOnlyParent() {
        DiffHarness.run(Scenario.on(fixture())
                .then(mkdir("/u", 0755), mkdir("/u/n", 0755), create("/u/n/f", 0644), rename("/u/n", "/u/n2"),
                        list("/u/n2"), rename("/u/n2", "/u/n3"), list("/u"))
                .build());
    }

    /*
     * The kernel marks an upper-only directory opaque when it moves into a merged parent (fs/
     * overlayfs/dir.c ovl_rename: ovl_set_opaque_xerr when the new parent is merged), so the upper
     * stays correct whatever lower names exist at the destination.
     */
    @Test
    void upperDirRenamedIntoMergedParentIsMarkedOpaqueOnDisk() {
        DiffHarness.run(Scenario.on(fixture())
                .then(mkdir("/n", 0755), create("/n/f", 0644), rename("/n", "/p/n3"), list("/p/n3"))
                .build());
    }

    /*
     * The kernel without redirect_dir answers EXDEV to renaming a directory with lower parts
     * (overlayfs.rst "Renaming directories"); mv(1) then copies. The core must rename it. The kernel
     * side is brought to the same state with cp -a + rm -rf; the upper layouts differ by design
     * (the core copies the tree up), so the upper comparison leaves the two trees out, but the
     * kernel mounted on the core's upper must still show the renamed tree.
     */
    @Test
    void renameMergedDirectorySucceedsWhereKernelAnswersExdev() {
        DiffHarness.run(Scenario.on(fixture())
                .expectDifference(rename("/m", "/moved"), "CROSS_DEVICE", "OK",
                        "kernel without redirect_dir refuses to rename a lower directory",
                        k -> k.copyThenRemove("/m", "/moved"))
                .expectDifference(rename("/a", "/p/a"), "CROSS_DEVICE", "OK",
                        "a merged directory (parts in two layers)",
                        k -> k.copyThenRemove("/a", "/p/a"))
                .then(list("/moved"), read("/moved/sub/y"), stat("/m"), list("/p/a"), write("/moved/x", 0, "MX"))
                .skipUpper("/m", "/moved", "/a", "/p/a")
                .checkCore(view -> {
                    List<String> p = new ArrayList<>();
                    for (String must : List.of("moved/x", "moved/sub/y", "p/a/one", "p/a/three")) {
                        if (!view.nodes().containsKey(must)) p.add("/" + must + " missing after rename");
                    }
                    for (String gone : List.of("m", "a")) {
                        if (view.nodes().containsKey(gone)) p.add("/" + gone + " still there after rename");
                    }
                    return p;
                })
                .build());
    }

    /*
     * After rm -rf /m (lower dir, now a whiteout), an upper-only dir renamed to /m must not let
     * lower 1's m/x and m/sub show through: the kernel marks the moved dir opaque.
     */
    @Test
    void renameUpperDirOntoWhitedOutLowerDirHidesLowerContent() {
        DiffHarness.run(Scenario.on(fixture())
                .then(rmRf("/m"), mkdir("/n", 0755), create("/n/f", 0644), rename("/n", "/m"), list("/m"), stat("/m/x"))
                .build());
    }

    /*
     * The kernel marks /e1 opaque on disk before its failed renames (ovl_rename sets it ahead of
     * the checks that fail and does not undo it): bookkeeping of a failed call, left out.
     */
    /* Path resolution of the destination comes first: a file has no entries (ENOTDIR, not EINVAL). */
    @Test
    void renameOfFileBelowItselfIsNotADirectory() {
        DiffHarness.run(Scenario.on(fixture())
                .then(rename("/a/one", "/a/one/x"), rename("/a/one", "/a/one/x/y"))
                .build());
    }

    @Test
    void renameErrorsMatchTheKernel() {
        DiffHarness.run(Scenario.on(fixture())
                .skipUpper("/e1")
                .then(mkdir("/e1", 0755), mkdir("/e2", 0755), create("/e2/f", 0644), mkdir("/e3", 0755),
                        rename("/a/one", "/e1"), rename("/e1", "/a/one"), rename("/e1", "/e2"), rename("/e1", "/e1/inner"),
                        rename("/nope", "/x"), rename("/a/one", "/nope/x"), rename("/a/one", "/a/two/x"),
                        list("/"))
                .build());
    }

    /*
     * renameat2(2) RENAME_NOREPLACE: EEXIST over a lower or an upper target, else a plain rename.
     * Through a stratafs FUSE mount (-Dstratafs.diff.core=mount) the VFS still answers EEXIST (fs/
     * namei.c do_renameat2 checks before the filesystem), but a rename it would make fails with
     * EINVAL: FUSE passes rename flags only as FUSE_RENAME2, protocol 7.23, which libfuse 2 does
     * not speak (fs/fuse/dir.c fuse_rename2), so the core never sees the call. The libfuse 3
     * low-level engine passes them ({@link CoreMountFactory#passesRenameFlags()}).
     */
    @Test
    void renameNoReplaceRefusesExistingTargets() {
        Op move = renameNoReplace("/a/new", "/a/newer");
        Scenario.Builder s = Scenario.on(fixture())
                .then(create("/a/new", 0644), write("/a/new", 0, "new"), renameNoReplace("/a/new", "/a/one"),
                        renameNoReplace("/a/two", "/a/three"), renameNoReplace("/a/one", "/a/new"));
        if (!CoreSide.renameFlagsReachCore()) {
            s.expectDifference(move, "OK", "INVALID", "libfuse 2 cannot pass renameat2 flags",
                    k -> k.rename("/a/newer", "/a/new"));
        } else {
            s.then(move);
        }
        DiffHarness.run(s.then(list("/a"), read("/a/one"), read("/a/three"), stat("/a/new")).build());
    }

    /*
     * rename of an upper-only dir over an empty lower dir: the lower dir is replaced, and must
     * not show through afterwards (lower 1's p holds q, so the target is made empty first).
     */
    @Test
    void renameUpperDirOverEmptiedLowerDir() {
        DiffHarness.run(Scenario.on(fixture())
                .then(unlink("/p/q"), mkdir("/n", 0700), create("/n/f", 0644), rename("/n", "/p"), list("/p"), stat("/p"),
                        stat("/p/q"))
                .build());
    }
    /*
     * renameat2(2) looks up both parents before the source, and checks whether one name is an
     * ancestor of the other before the types (fs/namei.c do_renameat2): a rename onto the
     * source's own directory fails ENOTEMPTY, not EISDIR; a target below a file fails ENOTDIR
     * even when the source is missing. (Found by RandomScriptDiffTest seeds 117 and 118.)
     */
    @Test
    void renameErrorsComeInTheKernelsOrder() {
        DiffHarness.run(Scenario.on(fixture())
                .then(rename("/a/one", "/a"), rename("/missing", "/a/one/x"), rename("/a/one", "/a/one/x"),
                        rename("/missing", "/nodir/x"), stat("/a/one"))
                .build());
    }
}
