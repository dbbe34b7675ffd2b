package dev.stratafs.core.diff;

import dev.stratafs.core.Caller;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The side under test: the core opened on its own copy of the fixture. With
 * {@code -Dstratafs.diff.core=kernel} it is a second kernel overlay instead, which checks the
 * harness itself (kernel against kernel must show no difference but the expected ones). With
 * {@code -Dstratafs.diff.core=mount} it is the core mounted by the {@link CoreMountFactory} named
 * in {@code -Dstratafs.diff.mountFactory} (fuse-mount's ITs: a stratafs FUSE mount), driven
 * through java.nio on the mountpoint exactly as the kernel side is.
 */
final class CoreSide implements AutoCloseable {
    static final String PROPERTY = "stratafs.diff.core";
    static final String FACTORY_PROPERTY = "stratafs.diff.mountFactory";

    private final MergedFs fs;
    private final AutoCloseable resource;

    private CoreSide(MergedFs fs, AutoCloseable resource) {
        this.fs = fs;
        this.resource = resource;
    }

    static boolean kernelStub() {
        return "kernel".equals(System.getProperty(PROPERTY));
    }

    /** The core reached through a mount of its own rather than through the facade. */
    static boolean mounted() {
        return "mount".equals(System.getProperty(PROPERTY));
    }

    /** renameat2(2) flags reach the core (always, unless a mount in between drops them). */
    static boolean renameFlagsReachCore() {
        return !mounted() || factory().passesRenameFlags();
    }

    /** {@code metacopy}: metadata-only copy-ups (the kernel stub gets {@code metacopy=on}). */
    static CoreSide open(Path base, List<Path> lowers, Path upper, Path work, String mountName, boolean metacopy)
            throws IOException {
        StackConfig.Builder b = StackConfig.builder().lowers(lowers).metacopy(metacopy);
        if (upper != null) b.upper(upper, work);
        StackConfig cfg = b.build();
        if (mounted()) {
            Path mnt = base.resolve(mountName);
            Files.createDirectories(mnt);
            AutoCloseable m = factory().mount(cfg, mnt);
            return new CoreSide(new KernelFs("core(mounted)", mnt), m);
        }
        if (kernelStub()) {
            Path mnt = base.resolve(mountName);
            Files.createDirectories(mnt);
            KernelOverlay k = KernelOverlay.mount(base, lowers, upper, work, mnt, metacopy ? List.of("metacopy=on") : List.of());
            return new CoreSide(new KernelFs("core(kernel stub)", mnt), k);
        }
        OverlayFs ofs = OverlayFs.open(cfg);
        return new CoreSide(new CoreFs(ofs, new Caller(0, 0, umask())), ofs);
    }

    private static CoreMountFactory factory() {
        String name = System.getProperty(FACTORY_PROPERTY);
        if (name == null || name.isBlank()) {
            throw new IllegalStateException("-D" + PROPERTY + "=mount needs -D" + FACTORY_PROPERTY + "=<class>");
        }
        try {
            return Class.forName(name).asSubclass(CoreMountFactory.class).getConstructor().newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("cannot create the mount factory " + name, e);
        }
    }

    MergedFs fs() {
        return fs;
    }

    @Override
    public void close() {
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot close the core side", e);
        }
    }

    private static Integer umask;

    /** The test JVM's umask, which the kernel side's creates get; the core's Caller gets the same. */
    static synchronized int umask() {
        if (umask == null) {
            Cmd.Result r = Cmd.run(List.of("sh", "-c", "umask")).orThrow();
            umask = Integer.parseInt(r.out().strip(), 8);
        }
        return umask;
    }

    static void delete(Path p) {
        if (!Cmd.run(List.of("rm", "-rf", "--", p.toString())).ok()) {
            throw new UncheckedIOException(new IOException("cannot delete " + p));
        }
    }
}
