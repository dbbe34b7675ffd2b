package dev.stratafs.core.image;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Read-only questions about a stored image: history and which layer provides a path. */
public final class ImageInspector {
    private final ImageStore store;

    public ImageInspector(ImageStore store) {
        this.store = store;
    }

    /**
     * History newest first, like `docker history`. Entries without empty_layer consume layers
     * bottom-up; when the history has fewer such entries than there are layers, the remaining
     * layers get entries of their own.
     */
    public List<HistoryEntry> history(String ref) throws IOException {
        StoredImage im = store.image(ref);
        JsonObject config = store.config(im.config());
        List<HistoryEntry> out = new ArrayList<>();
        int layer = 0;
        for (JsonElement e : Json.arr(config, "history")) {
            JsonObject h = e.getAsJsonObject();
            boolean empty = h.has("empty_layer") && h.get("empty_layer").getAsBoolean();
            StoredImage.Layer l = !empty && layer < im.layers().size() ? im.layers().get(layer++) : null;
            out.add(new HistoryEntry(l == null ? null : l.blob().digest(), Json.string(h, "created"),
                    Json.string(h, "created_by"), Json.string(h, "comment"), l == null ? 0 : l.size()));
        }
        for (; layer < im.layers().size(); layer++) {
            StoredImage.Layer l = im.layers().get(layer);
            out.add(new HistoryEntry(l.blob().digest(), null, null, null, l.size()));
        }
        java.util.Collections.reverse(out);
        return out;
    }

    /**
     * Walks the layers top-down with the overlayfs lookup rules: the first layer holding PATH
     * provides it unless a whiteout there deletes it; a non-directory or an opaque directory ends
     * the search for lower layers, whose entries it then shadows; a non-opaque directory merges
     * with lower directories. An ancestor that is a non-directory, whiteout or opaque directory in
     * some layer likewise hides everything of lower layers.
     */
    public WhichResult which(String ref, String path) throws IOException {
        List<String> comps = TarPaths.components(path.replaceFirst("^/+", "")); // container paths are absolute
        StoredImage im = store.image(ref);
        NativeOs os = store.os();
        int provider = -1;
        int deletedBy = -1;
        boolean providerIsDir = false;
        List<Integer> shadowed = new ArrayList<>();
        List<Integer> merged = new ArrayList<>();
        boolean hiddenBelow = false;
        for (int i = im.layers().size() - 1; i >= 0; i--) {
            Path root = store.layerDir(im.layers().get(i).diffId());
            Path cur = root;
            boolean blocked = false; // an ancestor here hides lower layers
            boolean reachable = true;
            for (int c = 0; c < comps.size() - 1 && reachable; c++) {
                cur = cur.resolve(comps.get(c));
                StatInfo st = os.lstatOrNull(cur);
                if (st == null) {
                    reachable = false;
                } else if (!st.isDirectory()) {
                    reachable = false;
                    blocked = true;
                } else if (MergedView.isOpaque(os, cur)) {
                    blocked = true;
                }
            }
            StatInfo st = null;
            Path p = comps.isEmpty() ? root : cur.resolve(comps.get(comps.size() - 1));
            if (reachable) {
                st = os.lstatOrNull(p);
            }
            if (st != null) {
                if (hiddenBelow) {
                    if (!LayerUnpacker.isWhiteout(st)) {
                        shadowed.add(i);
                    }
                } else if (LayerUnpacker.isWhiteout(st)) {
                    if (provider < 0) {
                        deletedBy = i;
                    }
                    hiddenBelow = true;
                } else if (provider < 0) {
                    provider = i;
                    providerIsDir = st.isDirectory();
                    if (!providerIsDir || MergedView.isOpaque(os, p)) {
                        hiddenBelow = true;
                    }
                } else if (providerIsDir && st.isDirectory()) {
                    merged.add(i);
                    if (MergedView.isOpaque(os, p)) {
                        hiddenBelow = true;
                    }
                } else {
                    shadowed.add(i);
                    hiddenBelow = true;
                }
            }
            if (blocked && !hiddenBelow) {
                if (provider < 0 && deletedBy < 0) {
                    deletedBy = i;
                }
                hiddenBelow = true;
            }
        }
        return new WhichResult(TarPaths.join(comps), provider, deletedBy, shadowed, merged);
    }
}
