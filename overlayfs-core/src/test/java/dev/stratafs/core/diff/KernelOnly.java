package dev.stratafs.core.diff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Kernel-only checks of the harness's own building blocks. */
final class KernelOnly {
    private KernelOnly() {}

    /** Read-only kernel mounts of two renderings of one fixture; their merged-view differences. */
    static List<String> compareRenderings(LayerFixture fx, WhiteoutFormat a, WhiteoutFormat b) {
        Path base;
        try {
            base = Files.createTempDirectory(Path.of("/tmp"), "stratafs-render-");
            Files.createDirectory(base.resolve("ma"));
            Files.createDirectory(base.resolve("mb"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            List<Path> la = fx.build(base.resolve("a"), a);
            List<Path> lb = fx.build(base.resolve("b"), b);
            // Two lowers at least for a read-only overlay: add an empty bottom layer.
            try (KernelOverlay ma = KernelOverlay.mount(base, withEmpty(base, la, "ea"), null, null, base.resolve("ma"), List.of());
                 KernelOverlay mb = KernelOverlay.mount(base, withEmpty(base, lb, "eb"), null, null, base.resolve("mb"), List.of())) {
                return SnapshotDiff.diff(HostWalker.snapshot(a.name(), ma.mountPoint()),
                        HostWalker.snapshot(b.name(), mb.mountPoint()), SnapshotDiff.mergedView(Long.MAX_VALUE));
            }
        } finally {
            if (!KernelOverlay.anythingMountedUnder(base)) CoreSide.delete(base);
        }
    }

    private static List<Path> withEmpty(Path base, List<Path> lowers, String name) {
        try {
            Path e = Files.createDirectory(base.resolve(name));
            List<Path> l = new java.util.ArrayList<>(lowers);
            l.add(e);
            return l;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
