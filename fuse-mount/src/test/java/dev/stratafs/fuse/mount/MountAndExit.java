package dev.stratafs.fuse.mount;

import dev.stratafs.fuse.DirBackend;
import dev.stratafs.fuse.FuseOptions;
import java.nio.file.Path;

/** Child JVM for {@link JvmExitIT}: mounts args[0] at args[1], says so, and ends main without closing. */
public final class MountAndExit {
    private MountAndExit() {}

    public static void main(String[] args) throws Exception {
        MountSession.mount(new DirBackend(Path.of(args[0])), Path.of(args[1]), FuseOptions.builder().build());
        System.out.println("mounted");
        System.out.flush();
        if (args.length > 2 && args[2].equals("wait")) {
            Thread.sleep(60_000); // killed by the test with SIGTERM
        }
    }
}
