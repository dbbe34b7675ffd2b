package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.fuse.Sh;
import java.nio.file.Path;

/** The two sides of a differential test: one script on a kernel overlay and on stratafs, and their upper trees. */
final class KernelPair {
    private KernelPair() {
    }

    /** Runs {@code script} with bash, the mount point as $1; it must succeed. Returns its output. */
    static String run(String script, Path mnt) throws Exception {
        Sh.Result r = Sh.run("bash", "-c", script, "bash", mnt.toString());
        assertEquals(0, r.exit(), r.err() + r.out());
        return r.out();
    }

    /** Type, mode, size and path of everything in an upper dir, sorted; find(1) walks deep trees. */
    static String upperTree(Path upper) throws Exception {
        return Sh.run("bash", "-c", "cd \"$1\" && find . -mindepth 1 -printf '%y %m %s %P\\n' | sort", "bash",
                upper.toString()).requireOk().out();
    }
}
