package dev.stratafs.reliability;

import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.mount.MountSession;
import java.nio.file.Path;

/**
 * Test-only stand-in for {@code stratafs -f}: a separate JVM that mounts one writable stack and
 * serves until unmounted, so that crash tests can kill -9 a real daemon.
 * Usage: {@code StackDaemon LOWER UPPER WORK MNT [volatile]}. Prints "mounted" once live; on a
 * refused mount prints {@code stratafs: MESSAGE} on stderr and exits 1, as the command line does.
 */
public final class StackDaemon {
    private StackDaemon() {}

    public static void main(String[] args) throws Exception {
        boolean volatileMode = args.length > 4 && args[4].equals("volatile");
        StackConfig cfg = StackConfig.builder().lower(Path.of(args[0]))
                .upper(Path.of(args[1]), Path.of(args[2])).fsync(!volatileMode).build();
        OverlayFs fs;
        try {
            fs = OverlayFs.open(cfg);
        } catch (java.io.IOException e) {
            System.err.println("stratafs: " + e.getMessage());
            System.exit(1);
            return;
        }
        MountSession s = MountSession.mount(fs, Path.of(args[3]), FuseOptions.builder().timeoutSeconds(0).build());
        System.out.println("mounted");
        System.out.flush();
        s.awaitUnmounted();
        s.close();
        fs.close();
    }
}
