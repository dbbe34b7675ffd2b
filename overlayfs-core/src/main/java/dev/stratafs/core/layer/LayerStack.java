package dev.stratafs.core.layer;

import dev.stratafs.core.StackConfig;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The validated layers of one mount, and the mapping of layer inode numbers into one stable
 * inode space: objects on the n-th distinct device of the stack (upper first) get n in the top
 * 16 bits, the same scheme as overlayfs "xino" (overlayfs.rst "Inode properties").
 */
public final class LayerStack {
    /** More lowers than the kernel's limit (500) is refused: nothing in the wild needs them. */
    public static final int MAX_LOWERS = 500;
    private static final int XINO_SHIFT = 48;

    private final Layer upper;
    private final List<Layer> lowers;
    private final Path work;
    private final Map<Long, Integer> deviceIndex;

    private LayerStack(Layer upper, List<Layer> lowers, Path work, Map<Long, Integer> deviceIndex) {
        this.upper = upper;
        this.lowers = lowers;
        this.work = work;
        this.deviceIndex = deviceIndex;
    }

    /** Validates the configured directories and resolves their roots. */
    public static LayerStack open(StackConfig cfg, NativeOs os) throws FsException {
        if (cfg.lowers().size() > MAX_LOWERS) {
            throw new FsException(ErrorKind.INVALID, "too many lower layers: " + cfg.lowers().size() + " (at most " + MAX_LOWERS + ")");
        }
        Map<String, String> seen = new HashMap<>();
        Map<Long, Integer> devs = new HashMap<>();
        Layer upper = null;
        Path work = null;
        if (cfg.upper().isPresent()) {
            Path u = realDir(cfg.upper().get(), "upperdir", os);
            Path w = realDir(cfg.work().orElseThrow(), "workdir", os);
            StatInfo us = os.lstat(u);
            StatInfo ws = os.lstat(w);
            if (us.dev() != ws.dev()) {
                throw new FsException(ErrorKind.INVALID, "workdir " + w + " is not on the same filesystem as upperdir " + u);
            }
            if (w.startsWith(u) || u.startsWith(w)) {
                throw new FsException(ErrorKind.INVALID, "workdir " + w + " and upperdir " + u + " must not contain each other");
            }
            unique(seen, us, u, "upperdir");
            unique(seen, ws, w, "workdir");
            devs.putIfAbsent(us.dev(), devs.size());
            upper = new Layer(-1, u, true, us.dev());
            work = w;
        }
        List<Layer> lowers = new ArrayList<>();
        for (Path l : cfg.lowers()) {
            Path r = realDir(l, "lowerdir", os);
            StatInfo st = os.lstat(r);
            unique(seen, st, r, "lowerdir");
            devs.putIfAbsent(st.dev(), devs.size());
            lowers.add(new Layer(lowers.size(), r, false, st.dev()));
        }
        if (upper != null) {
            for (Layer lo : lowers) {
                if (lo.root().startsWith(upper.root()) || upper.root().startsWith(lo.root())
                        || lo.root().startsWith(work) || work.startsWith(lo.root())) {
                    throw new FsException(ErrorKind.INVALID, "lowerdir " + lo.root() + " overlaps upperdir or workdir");
                }
            }
        }
        return new LayerStack(upper, List.copyOf(lowers), work, Map.copyOf(devs));
    }

    private static void unique(Map<String, String> seen, StatInfo st, Path p, String what) throws FsException {
        String key = st.dev() + ":" + st.ino();
        String prev = seen.putIfAbsent(key, what + " " + p);
        if (prev != null) {
            throw new FsException(ErrorKind.INVALID, what + " " + p + " is the same directory as " + prev);
        }
    }

    private static Path realDir(Path p, String what, NativeOs os) throws FsException {
        Path real;
        try {
            // The root itself may be reached through a symlink (podman's l/ID links); resolve it once.
            real = p.toAbsolutePath().toRealPath();
        } catch (IOException e) {
            throw new FsException(ErrorKind.NOT_FOUND, what + " " + p + " does not exist");
        }
        if (!Files.isDirectory(real, LinkOption.NOFOLLOW_LINKS)) {
            throw new FsException(ErrorKind.NOT_DIRECTORY, what + " " + p + " is not a directory");
        }
        return real;
    }

    public boolean hasUpper() { return upper != null; }

    /** The upper layer, or null when read-only. */
    public Layer upper() { return upper; }

    public List<Layer> lowers() { return lowers; }

    public Layer lower(int i) { return lowers.get(i); }

    /** The workdir, or null when read-only. */
    public Path work() { return work; }

    /** Mount inode number of a layer object identified by (st_dev, st_ino). */
    public long ino(long dev, long ino) {
        Integer idx = deviceIndex.get(dev);
        if (idx == null || idx == 0) return ino;
        return ((long) idx << XINO_SHIFT) ^ ino;
    }
}
