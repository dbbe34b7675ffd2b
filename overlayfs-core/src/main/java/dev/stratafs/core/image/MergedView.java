package dev.stratafs.core.image;

import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a stack of unpacked layers shows when merged, computed by applying the layers bottom-up
 * with the overlayfs rules (kernel Documentation/filesystems/overlayfs.rst): a 0/0 character
 * device hides the name below, an opaque directory hides everything below it, a non-directory
 * hides a lower directory. Used by analysis, `diff --from` and tests; the mount has its own
 * lookup code.
 */
final class MergedView {
    /** A visible entry: which layer (0 = bottom) provides it and what lstat says of it there. */
    record Entry(int layer, Path file, StatInfo stat) {}

    private final TreeMap<String, Entry> entries = new TreeMap<>();

    /** Entries by path relative to the root ("a/b"), sorted. */
    Map<String, Entry> entries() {
        return entries;
    }

    static MergedView of(NativeOs os, List<Path> bottomUp) throws IOException {
        MergedView v = new MergedView();
        for (int i = 0; i < bottomUp.size(); i++) {
            v.add(os, i, bottomUp.get(i));
        }
        return v;
    }

    /** Stacks one more layer on top. */
    void add(NativeOs os, int layer, Path root) throws IOException {
        apply(os, layer, root, "");
    }

    /** Content bytes of the visible regular files at and below {@code path}. */
    long sizeBelow(String path) {
        long n = 0;
        Entry self = entries.get(path);
        if (self != null && self.stat().isRegular()) {
            n += self.stat().size();
        }
        for (Entry e : entries.subMap(path + "/", path + "0").values()) {
            if (e.stat().isRegular()) {
                n += e.stat().size();
            }
        }
        return n;
    }

    private void apply(NativeOs os, int layer, Path dir, String rel) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(children::add);
        }
        for (Path c : children) {
            String r = rel.isEmpty() ? c.getFileName().toString() : rel + "/" + c.getFileName();
            StatInfo st = os.lstatOrNull(c);
            if (st == null) {
                continue;
            }
            if (LayerUnpacker.isWhiteout(st)) {
                removeSubtree(r, true);
                continue;
            }
            Entry below = entries.get(r);
            if (!st.isDirectory() || below == null || !below.stat().isDirectory() || isOpaque(os, c)) {
                removeSubtree(r, false);
            }
            entries.put(r, new Entry(layer, c, st));
            if (st.isDirectory()) {
                apply(os, layer, c, r);
            }
        }
    }

    static boolean isOpaque(NativeOs os, Path dir) throws FsException {
        return new dev.stratafs.core.whiteout.WhiteoutCodec(os, false).isOpaque(dir);
    }

    private void removeSubtree(String r, boolean self) {
        if (self) {
            entries.remove(r);
        }
        entries.subMap(r + "/", r + "0").clear(); // '0' is the character after '/'
    }
}
