package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Deep stacks: resolution through many layers, whiteouts and opaque dirs at depth. */
class DeepStackDiffTest {
    /*
     * n lower layers, i = 0 (top) .. n-1:
     *   every layer i:  common "layer i"   f<i> "from i"   d/e<i> "e i"
     *   i % 7 == 3:     whiteout of f<i+1> (hides the next layer's file)
     *   i == n/2:       d/ opaque (hides d/e<j> for j > n/2)
     *   i == n-1:       deep/a/b/c/leaf "leaf"   link -> deep/a/b/c/leaf
     */
    static LayerFixture stack(int n) {
        LayerFixture.Builder b = LayerFixture.builder();
        for (int i = 0; i < n; i++) {
            final int k = i;
            b.layer(l -> {
                l.file("common", "layer " + k).file("f" + k, "from " + k).file("d/e" + k, "e " + k);
                if (k % 7 == 3 && k + 1 < n) l.whiteout("f" + (k + 1));
                if (k == n / 2) l.opaque("d");
                if (k == n - 1) l.file("deep/a/b/c/leaf", "leaf").symlink("link", "deep/a/b/c/leaf");
            });
        }
        return b.build();
    }

    // 500 is the kernel's limit of lower layers (OVL_MAX_STACK).
    @ParameterizedTest(name = "{0} lower layers")
    @ValueSource(ints = {33, 120, 500})
    void deepStackResolvesTopmostAndHonoursWhiteoutsAndOpaqueDirs(int n) {
        int last = n - 1;
        DiffHarness.run(Scenario.on(stack(n))
                .then(read("/common"), read("/f" + last), stat("/f4"), list("/d"), read("/d/e" + (n / 2)),
                        stat("/d/e" + (n / 2 + 1)), readlink("/link"), read("/deep/a/b/c/leaf"),
                        write("/deep/a/b/c/leaf", 0, "LEAF"), unlink("/f" + last), rename("/f" + (last - 1), "/moved"),
                        rmdir("/d"), rmRf("/d"), mkdir("/d", 0755), list("/d"), overwrite("/common", "top"), list("/"))
                .build());
    }
}
