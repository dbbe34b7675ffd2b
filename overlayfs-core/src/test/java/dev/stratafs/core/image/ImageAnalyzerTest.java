package dev.stratafs.core.image;

import dev.stratafs.core.nat.Natives;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ImageAnalyzerTest {
    private Path tmp;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "analyze");
    }

    @AfterEach
    void tearDown() throws IOException {
        Trees.delete(tmp);
    }

    /*
     * layer 0: a (1000 B), d/x (500 B), d/y (300 B)
     * layer 1: a (1000 B, rewritten), .wh.d (deletes 800 B)
     * layer 2: b (100 B)
     * paths: a 2x 2000 (min 1000), d/x 500, d/y 300, d 800 (whiteout), b 100
     * efficiency = 2700 / 3700; wasted = 2000; user = 2900 - 1800 = 1100
     */
    @Test
    void rewrittenFileIsWasteAndWhiteoutOfDirectoryCountsWhatItDeletes() throws IOException {
        byte[] l0 = new Fixtures.Tar().file("a", "x".repeat(1000)).file("d/x", "x".repeat(500)).file("d/y", "y".repeat(300)).bytes();
        byte[] l1 = new Fixtures.Tar().file("a", "z".repeat(1000)).file(".wh.d", "").bytes();
        byte[] l2 = new Fixtures.Tar().file("b", "b".repeat(100)).bytes();
        Path lay = tmp.resolve("lay");
        Fixtures.ociLayout(lay, "v", List.of(Fixtures.Layer.gzipped(l0), Fixtures.Layer.gzipped(l1), Fixtures.Layer.plain(l2)));
        ImageStore store = ImageStore.open(tmp.resolve("store"), Natives.get());
        store.importImage(lay + ":v", "w");
        Analysis a = new ImageAnalyzer(store).analyze("w");
        assertEquals(2900, a.imageSize());
        assertEquals(1100, a.userSize());
        assertEquals(2700.0 / 3700, a.efficiency(), 1e-9);
        assertEquals(2000, a.wastedBytes());
        assertEquals(2000.0 / 1100, a.userWastedPercent(), 1e-9);
        assertEquals(List.of(new Analysis.Waste("/a", 2, 2000)), a.inefficiencies());
    }
}
