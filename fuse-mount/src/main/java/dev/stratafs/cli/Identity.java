package dev.stratafs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Who we run as, read without native code: /proc/self is owned by the process's effective uid. */
final class Identity {
    private Identity() {}

    static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | ClassCastException e) {
            return "root".equals(System.getProperty("user.name")) ? 0 : -1;
        }
    }

    static boolean isRoot() {
        return uid() == 0;
    }
}
