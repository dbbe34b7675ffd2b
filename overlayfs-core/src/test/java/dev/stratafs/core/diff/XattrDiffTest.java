package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import org.junit.jupiter.api.Test;

/** Extended attributes: copy-up on change, overlay-private names hidden. */
class XattrDiffTest {
    /*
     * lower 0:  x/f "f" [user.color=blue, trusted.mine=1]   x/g "g"
     *           o/ (opaque)  o/in "in"
     * lower 1:  o/hidden "hidden"
     */
    private static LayerFixture fixture() {
        return LayerFixture.builder()
                .layer(l -> l.file("x/f", "f").xattr("x/f", "user.color", "blue").xattr("x/f", "trusted.mine", "1")
                        .file("x/g", "g").opaque("o").file("o/in", "in"))
                .layer(l -> l.file("o/hidden", "hidden"))
                .build();
    }

    @Test
    void setxattrOnLowerFileCopiesUpWithExistingXattrs() {
        DiffHarness.run(Scenario.on(fixture())
                .then(setxattr("/x/f", "user.size", "big"), getxattr("/x/f", "user.color"), getxattr("/x/f", "trusted.mine"),
                        getxattr("/x/f", "user.size"), setxattr("/x/g", "trusted.t", "v"), setxattr("/x", "user.d", "dir"))
                .build());
    }

    @Test
    void removexattrOfLowerXattrCopiesUp() {
        DiffHarness.run(Scenario.on(fixture())
                .then(removexattr("/x/f", "user.color"), getxattr("/x/f", "user.color"), removexattr("/x/g", "user.none"),
                        read("/x/f"))
                .build());
    }

    @Test
    void overlayPrivateXattrsAreHiddenFromListings() {
        // /o is opaque in lower 0 and its merged listxattr is compared: neither side may show it.
        DiffHarness.run(Scenario.on(fixture())
                .then(list("/o"), getxattr("/x/f", "user.none"), setxattr("/nope", "user.a", "b"))
                .build());
    }

    /*
     * Kernels since 6.7 "escape" trusted.overlay.* names written through the mount (stored as
     * trusted.overlay.overlay.*, for nested overlays) and answer ENODATA for the hidden ones;
     * older kernels (Debian 12's 6.1) answer EOPNOTSUPP for all of them, as the core does. The
     * kernel side's successful set is undone so the trees stay comparable.
     */
    @Test
    void overlayPrivateXattrNamesAreRefusedLikePre67Kernels() {
        String why = "core refuses trusted.overlay.* like kernels before 6.7 (no xattr escaping)";
        DiffHarness.run(Scenario.on(fixture())
                .expectDifference(getxattr("/o", "trusted.overlay.opaque"), "NO_ATTRIBUTE", "NOT_SUPPORTED", why, null)
                .expectDifference(setxattr("/x/g", "trusted.overlay.opaque", "y"), "OK", "NOT_SUPPORTED", why,
                        k -> k.removexattr("/x/g", "trusted.overlay.opaque"))
                .expectDifference(removexattr("/o", "trusted.overlay.opaque"), "NO_ATTRIBUTE", "NOT_SUPPORTED", why, null)
                // the kernel copied /x/g up for its set; the core refused before copying
                .skipUpper("/x")
                .build());
    }

    /*
     * lower 0:  x/f "f" ...   s -> x/f   (plus the fixture above)
     * user.* xattrs are for regular files and directories only (xattr(7)): EPERM on a symlink,
     * decided by the VFS before overlayfs could copy anything up.
     */
    @Test
    void userXattrOnLowerSymlinkIsRefusedWithoutCopyUp() {
        LayerFixture fx = LayerFixture.builder().layer(l -> l.file("x/f", "f").symlink("x/s", "f")).build();
        DiffHarness.run(Scenario.on(fx)
                .then(setxattr("/x/s", "user.k", "v"), removexattr("/x/s", "user.k"), list("/x"))
                .build());
    }
}
