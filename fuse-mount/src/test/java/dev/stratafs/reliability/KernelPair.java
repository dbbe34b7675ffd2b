package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.MountedStack;
import dev.stratafs.fuse.Sh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The two sides of a differential test: the same layers under a kernel overlay and under
 * stratafs, side by side in a temp directory of their own, one script run on both, and their
 * upper trees.
 *
 * <pre>
 * base/            0755, so that other users can walk down to both mount points
 *   [within/]kernel/    lower0..lowerN-1, upper, work, mnt   (mount -t overlay)
 *   [within/]stratafs/  lower0..lowerN-1, upper, work, mnt   (a {@link MountedStack})
 * </pre>
 *
 * {@link #close} unmounts whatever is still mounted and removes the temp directory, so a test
 * that fails half-way leaves nothing.
 */
final class KernelPair implements AutoCloseable {
    /** Writes one side's lower layers (the same for both); the directories exist already. */
    interface Layers {
        void write(Path root) throws Exception;
    }

    private final Path base;
    private final Path kernel;
    private final MountedStack stratafs;
    private boolean kernelMounted;

    private KernelPair(Path base, Path kernel, MountedStack stratafs) {
        this.base = base;
        this.kernel = kernel;
        this.stratafs = stratafs;
    }

    /**
     * Builds both sides in a new temp directory named after {@code prefix}, below {@code within}
     * (a relative path, "" for none), with {@code lowers} layers written by {@code layers}, and
     * mounts them.
     */
    static KernelPair mount(String prefix, String within, int lowers, Layers layers, FuseOptions options) throws Exception {
        Path base = Files.createTempDirectory(prefix);
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path parent = base.resolve(within);
        Path k = parent.resolve("kernel");
        MountedStack s = MountedStack.create(parent.resolve("stratafs"), lowers);
        MountedStack.create(k, lowers); // the same directory layout, never mounted through stratafs
        KernelPair pair = new KernelPair(base, k, s);
        try {
            layers.write(k);
            layers.write(s.dir());
            List<String> lowerDirs = new ArrayList<>();
            for (int i = 0; i < lowers; i++) lowerDirs.add(k.resolve("lower" + i).toString());
            Sh.run("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + String.join(":", lowerDirs)
                    + ",upperdir=" + k.resolve("upper") + ",workdir=" + k.resolve("work"), pair.kernelMnt().toString())
                    .requireOk();
            pair.kernelMounted = true;
            s.mount(options);
        } catch (Exception | Error e) {
            pair.close();
            throw e;
        }
        return pair;
    }

    Path kernelMnt() {
        return kernel.resolve("mnt");
    }

    Path stratafsMnt() {
        return stratafs.mnt();
    }

    /** Runs {@code script} with bash, the mount point as $1; it must succeed. Returns its output. */
    static String run(String script, Path mnt) throws Exception {
        Sh.Result r = Sh.run("bash", "-c", script, "bash", mnt.toString());
        assertEquals(0, r.exit(), r.err() + r.out());
        return r.out();
    }

    /** Unmounts both sides and compares their upper trees (type, mode, size and path of everything). */
    void assertSameUpperTrees() throws Exception {
        unmount();
        assertEquals(upperTree(kernel.resolve("upper")), upperTree(stratafs.upper()));
    }

    private static String upperTree(Path upper) throws Exception {
        // find(1): it walks trees deeper than PATH_MAX.
        return Sh.run("bash", "-c", "cd \"$1\" && find . -mindepth 1 -printf '%y %m %s %P\\n' | sort", "bash",
                upper.toString()).requireOk().out();
    }

    /** Unmounts what is still mounted; stratafs's side proves it left no mount. Idempotent. */
    private void unmount() throws Exception {
        try {
            stratafs.close();
        } finally {
            if (kernelMounted) Sh.run("umount", kernelMnt().toString()).requireOk();
            kernelMounted = false;
        }
    }

    /** Unmounts both sides, then removes the temp directory (with rm(1): java.nio cannot delete trees deeper than PATH_MAX). */
    @Override
    public void close() throws Exception {
        try {
            unmount();
        } finally {
            Sh.run("rm", "-rf", "--", base.toString()).requireOk();
        }
    }
}
