package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What these tests need of the machine: they mount FUSE and tmpfs and switch users. */
final class Host {
    private Host() {}

    static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Skips (not fails) the test where root or /dev/fuse is missing, e.g. a non-root CI runner. */
    static void assumeRootAndFuse() {
        assumeTrue(isRoot(), "needs root (mounts, setpriv, chown)");
        assumeTrue(Files.exists(Path.of("/dev/fuse")), "needs /dev/fuse");
    }
}
