package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import dev.stratafs.core.SetTime;
import org.junit.jupiter.api.Test;

/** A stack without upper layer: reads merge, every change is EROFS. */
class ReadOnlyDiffTest {
    /*
     * lower 0:  d/top "top"   wh: d/gone   f "f"
     * lower 1:  d/gone "gone" d/low "low"  s -> f
     * (two lowers: the kernel mounts no stack of one lower without an upper)
     */
    @Test
    void readOnlyStackMergesAndRefusesEveryChange() {
        LayerFixture fx = LayerFixture.builder()
                .layer(l -> l.file("d/top", "top").whiteout("d/gone").file("f", "f"))
                .layer(l -> l.file("d/gone", "gone").file("d/low", "low").symlink("s", "f"))
                .build();
        DiffHarness.run(Scenario.on(fx).readOnly()
                .then(list("/d"), read("/d/low"), readlink("/s"), write("/f", 0, "x"), overwrite("/f", "x"),
                        append("/f", "x"), create("/new", 0644), truncate("/f", 0), chmod("/f", 0600), chown("/f", 1, 1),
                        utimens("/f", SetTime.NOW, SetTime.NOW), unlink("/f"), mkdir("/d2", 0755), rmdir("/d"),
                        rename("/f", "/g"), link("/f", "/g"), symlink("f", "/g"), mkfifo("/p", 0644),
                        setxattr("/f", "user.a", "b"), removexattr("/f", "user.a"), unlink("/nope"), read("/f"))
                .build());
    }
}
