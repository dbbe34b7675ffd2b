package dev.stratafs.fuse;

import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.fuse.mount.MountSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A lower/upper/work stack in a directory, mounted through FUSE, for mounted tests:
 *
 * <pre>
 * dir/lower0 .. lowerN-1   (lower0 is the topmost lower)
 * dir/upper  dir/work      (absent when read-only)
 * dir/mnt                  (the mountpoint)
 * </pre>
 *
 * Fill the layers, then {@link #mount}; always {@link #close} (in @AfterEach or finally): it
 * unmounts, closes the core, fails the test if anything is still mounted, and is idempotent.
 */
public final class MountedStack implements AutoCloseable {
    private final Path dir;
    private final List<Path> lowers = new ArrayList<>();
    private final Path upper;
    private final Path work;
    private final Path mnt;
    private OverlayFs fs;
    private MountSession session;

    private MountedStack(Path dir, int lowerCount, boolean withUpper) throws IOException {
        this.dir = dir;
        for (int i = 0; i < lowerCount; i++) lowers.add(Files.createDirectories(dir.resolve("lower" + i)));
        this.upper = withUpper ? Files.createDirectories(dir.resolve("upper")) : null;
        this.work = withUpper ? Files.createDirectories(dir.resolve("work")) : null;
        this.mnt = Files.createDirectories(dir.resolve("mnt"));
    }

    /** A writable stack with {@code lowerCount} lower layers under {@code dir}. */
    public static MountedStack create(Path dir, int lowerCount) throws IOException {
        return new MountedStack(dir, lowerCount, true);
    }

    /** A read-only stack (no upper) with {@code lowerCount} lower layers. */
    public static MountedStack readOnly(Path dir, int lowerCount) throws IOException {
        return new MountedStack(dir, lowerCount, false);
    }

    public Path dir() { return dir; }
    public Path lower(int i) { return lowers.get(i); }
    public Path upper() { return upper; }
    public Path work() { return work; }
    public Path mnt() { return mnt; }
    public OverlayFs fs() { return fs; }
    public MountSession session() { return session; }

    public StackConfig config() {
        StackConfig.Builder b = StackConfig.builder().lowers(lowers);
        if (upper != null) b.upper(upper, work);
        return b.build();
    }

    /** Mounts with attribute caching off, so tests may look at the layers behind the kernel. */
    public MountedStack mount() throws IOException {
        return mount(FuseOptions.builder().timeoutSeconds(0).build());
    }

    public MountedStack mount(FuseOptions options) throws IOException {
        if (session != null) throw new IllegalStateException("already mounted");
        fs = OverlayFs.open(config());
        try {
            session = MountSession.mount(fs, mnt, options);
        } catch (IOException | RuntimeException e) {
            fs.close();
            fs = null;
            throw e;
        }
        return this;
    }

    /** Unmounts and closes the core, then proves nothing is left mounted at {@link #mnt}; idempotent. */
    @Override
    public void close() throws IOException {
        try {
            if (session != null) session.close();
        } finally {
            session = null;
            if (fs != null) fs.close();
            fs = null;
        }
        if (fuseMountedAt(mnt)) throw new AssertionError("mount left behind at " + mnt);
    }

    /** Whether a FUSE filesystem is mounted at {@code p}: proc(5) mountinfo, field 5 and the type after " - ". */
    public static boolean fuseMountedAt(Path p) throws IOException {
        String real = p.toRealPath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = line.indexOf(" - ");
            if (f.length > 4 && f[4].equals(real) && dash > 0 && line.startsWith("fuse", dash + 3)) return true;
        }
        return false;
    }
}
