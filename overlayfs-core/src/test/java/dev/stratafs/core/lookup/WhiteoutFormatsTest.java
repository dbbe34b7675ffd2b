package dev.stratafs.core.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.DirEntry;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every whiteout and opaque format read the same way. Fixture (top lower marks, bottom lower has):
 * <pre>
 *   top/                        bottom/
 *     [whiteout of "f"]           f
 *     d/  [opaque]   mine         d/theirs
 *                                 keep
 * </pre>
 */
class WhiteoutFormatsTest {
    private final NativeOs os = Natives.get();
    @TempDir Path tmp;

    private List<String> view(Path top, Path bottom, String dir) throws IOException {
        try (OverlayFs fs = OverlayFs.open(StackConfig.builder().lower(top).lower(bottom).build())) {
            return fs.readdir(dir).stream().map(DirEntry::name).collect(Collectors.toList());
        }
    }

    private Path bottom() throws IOException {
        Path b = Files.createDirectories(tmp.resolve("bottom"));
        Files.writeString(b.resolve("f"), "f");
        Files.createDirectories(b.resolve("d"));
        Files.writeString(b.resolve("d/theirs"), "t");
        Files.writeString(b.resolve("keep"), "k");
        return b;
    }

    @ParameterizedTest
    @ValueSource(strings = {"chardev", "aufs", "trusted-xattr", "user-xattr"})
    void whiteoutFormatHidesLowerFile(String format) throws IOException {
        Path b = bottom();
        Path t = Files.createDirectories(tmp.resolve("top"));
        switch (format) {
            case "chardev" -> os.mknod(t.resolve("f"), StatInfo.S_IFCHR, 0);
            case "aufs" -> Files.createFile(t.resolve(".wh.f"));
            case "trusted-xattr" -> {
                Files.createFile(t.resolve("f"));
                os.setxattr(t.resolve("f"), "trusted.overlay.whiteout", new byte[0], 0);
                os.setxattr(t, "trusted.overlay.opaque", new byte[] {'x'}, 0);
            }
            default -> {
                Files.createFile(t.resolve("f"));
                os.setxattr(t.resolve("f"), "user.overlay.whiteout", new byte[0], 0);
                os.setxattr(t, "user.overlay.opaque", new byte[] {'x'}, 0);
            }
        }
        assertEquals(List.of("d", "keep"), view(t, b, "/"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"trusted.overlay.opaque", "user.overlay.opaque", "user.fuseoverlayfs.opaque", "marker"})
    void opaqueFormatStopsTheMerge(String format) throws IOException {
        Path b = bottom();
        Path t = Files.createDirectories(tmp.resolve("top"));
        Path d = Files.createDirectories(t.resolve("d"));
        Files.writeString(d.resolve("mine"), "m");
        if (format.equals("marker")) {
            Files.createFile(d.resolve(".wh..wh..opq"));
        } else {
            os.setxattr(d, format, new byte[] {'y'}, 0);
        }
        assertEquals(List.of("mine"), view(t, b, "/d"));
    }

    @Test
    void opaqueValueXIsNotOpaque() throws IOException {
        Path b = bottom();
        Path t = Files.createDirectories(tmp.resolve("top"));
        Path d = Files.createDirectories(t.resolve("d"));
        os.setxattr(d, "trusted.overlay.opaque", new byte[] {'x'}, 0);
        assertEquals(List.of("theirs"), view(t, b, "/d"));
    }

    @Test
    void markerNamesAreNeverShown() throws IOException {
        Path b = bottom();
        Files.createFile(b.resolve(".wh.nothing"));
        Path t = Files.createDirectories(tmp.resolve("top"));
        assertEquals(List.of("d", "f", "keep"), view(t, b, "/"));
    }

    @Test
    void fileInUpperLayerEndsTheMergeOfADirectoryBelow() throws IOException {
        Path b = bottom();
        Path t = Files.createDirectories(tmp.resolve("top"));
        Files.writeString(t.resolve("d"), "now a file");
        try (OverlayFs fs = OverlayFs.open(StackConfig.builder().lower(t).lower(b).build())) {
            assertEquals(true, fs.getattr("/d").isRegular());
        }
    }

    @Test
    void fiveHundredLayerStackResolvesBottomName() throws IOException {
        StackConfig.Builder c = StackConfig.builder();
        for (int i = 0; i < 500; i++) {
            Path l = Files.createDirectories(tmp.resolve("L" + i + "/shared"));
            Files.writeString(l.resolve("f" + i), Integer.toString(i));
            c.lower(tmp.resolve("L" + i));
        }
        try (OverlayFs fs = OverlayFs.open(c.build())) {
            assertEquals(500, fs.readdir("/shared").size());
            assertEquals(3, fs.getattr("/shared/f499").size());
        }
    }

    @Test
    void whiteoutXattrCountsOnlyInADirectoryMarkedAsHoldingThem() throws IOException {
        // As the kernel: without overlay.opaque=x on the parent, the empty file is just a file.
        Path b = bottom();
        Path t = Files.createDirectories(tmp.resolve("top"));
        Files.createFile(t.resolve("f"));
        os.setxattr(t.resolve("f"), "trusted.overlay.whiteout", new byte[0], 0);
        try (OverlayFs fs = OverlayFs.open(StackConfig.builder().lower(t).lower(b).build())) {
            assertEquals(0, fs.getattr("/f").size());
        }
    }
}
