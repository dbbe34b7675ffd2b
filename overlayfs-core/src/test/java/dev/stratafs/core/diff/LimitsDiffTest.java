package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import org.junit.jupiter.api.Test;

/** Name length limits: NAME_MAX is 255 bytes (path_resolution(7)). */
class LimitsDiffTest {
    /* lower 0:  d/f "f" */
    private static LayerFixture fixture() {
        return LayerFixture.builder().layer(l -> l.file("d/f", "f")).build();
    }

    @Test
    void nameOf255BytesWorksAnd256IsTooLong() {
        String ok = "n".repeat(255);
        String tooLong = "n".repeat(256);
        String utf8TooLong = "é".repeat(128); // 256 bytes in UTF-8
        DiffHarness.run(Scenario.on(fixture())
                .then(create("/d/" + ok, 0644), stat("/d/" + ok), mkdir("/d/" + ok + "x", 0755), create("/d/" + tooLong, 0644),
                        mkdir("/d/" + tooLong, 0755), stat("/d/" + tooLong), create("/d/" + utf8TooLong, 0644),
                        rename("/d/f", "/d/" + tooLong), symlink("t", "/d/" + tooLong), list("/d"))
                .build());
    }
}
