package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.MountedStack;
import dev.stratafs.fuse.Sh;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The two sides of a differential test: the same layers under a kernel overlay and under
 * stratafs, side by side in one parent directory, one script run on both, and their upper trees.
 *
 * <pre>
 * parent/kernel/   lower0..lowerN-1, upper, work, mnt   (mount -t overlay)
 * parent/stratafs/ lower0..lowerN-1, upper, work, mnt   (a {@link MountedStack})
 * </pre>
 *
 * {@link #close} unmounts whatever is still mounted, so a test that fails half-way leaves nothing.
 */
final class KernelPair implements AutoCloseable {
    /** Writes one side's lower layers (the same for both); the directories exist already. */
    interface Layers {
        void write(Path root) throws Exception;
    }

    private final Path kernel;
    private final MountedStack stratafs;
    private boolean kernelMounted;

    private KernelPair(Path kernel, MountedStack stratafs) {
        this.kernel = kernel;
        this.stratafs = stratafs;
    }

    /** Builds both sides under {@code parent} with {@code lowers} layers written by {@code layers}, and mounts them. */
    static KernelPair mount(Path parent, int lowers, Layers layers, FuseOptions options) throws Exception {
        Path k = parent.resolve("kernel");
        MountedStack s = MountedStack.create(parent.resolve("stratafs"), lowers);
        MountedStack.create(k, lowers); // the same directory layout, never mounted through stratafs
        layers.write(k);
        layers.write(s.dir());
        KernelPair pair = new KernelPair(k, s);
        try {
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
        close();
        assertEquals(upperTree(kernel.resolve("upper")), upperTree(stratafs.upper()));
    }

    private static String upperTree(Path upper) throws Exception {
        // find(1): it walks trees deeper than PATH_MAX.
        return Sh.run("bash", "-c", "cd \"$1\" && find . -mindepth 1 -printf '%y %m %s %P\\n' | sort", "bash",
                upper.toString()).requireOk().out();
    }

    /** Unmounts what is still mounted; stratafs's side proves it left no mount. Idempotent. */
    @Override
    public void close() throws Exception {
        try {
            stratafs.close();
        } finally {
            if (kernelMounted) Sh.run("umount", kernelMnt().toString()).requireOk();
            kernelMounted = false;
        }
    }
}
