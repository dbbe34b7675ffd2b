package dev.stratafs.core.image;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * `image squash`: an image's merged tree as one reproducible gzip layer (no whiteouts left: what
 * the stack hides is simply absent). Keeps the runtime config (env, entrypoint...) and replaces
 * the history with one entry.
 */
public final class ImageSquasher {
    private final ImageStore store;

    public ImageSquasher(ImageStore store) {
        this.store = store;
    }

    public StoredImage squash(String ref, String newName, Instant created) throws IOException {
        return squash(ref, newName, created, Progress.NONE);
    }

    /**
     * {@link #squash(String, String, Instant)}, reporting a "squashing" phase (file content bytes
     * written into the tar) and then the store's phases for the new layer.
     */
    public StoredImage squash(String ref, String newName, Instant created, Progress progress) throws IOException {
        String name = ImageName.normalize(newName);
        return store.locked(() -> {
            StoredImage im = store.image(ref);
            List<Path> bottomUp = new ArrayList<>(store.lowerDirs(ref));
            Collections.reverse(bottomUp);
            MergedView view = MergedView.of(store.os(), bottomUp);
            Path staging = store.newStaging("squash");
            try {
                LayerTarWriter.GzLayer layer;
                try {
                    progress.start("squashing " + im.layers().size() + " layers",
                            LayerTarWriter.contentBytes(view.entries()));
                    LayerTarWriter w = new LayerTarWriter(store.os(), 0, progress);
                    layer = LayerTarWriter.writeGzipped(staging, tar -> w.writeMerged(view.entries(), tar));
                } finally {
                    progress.done();
                }
                Digest diffId = layer.diffId();
                Digest blobDigest = layer.blobDigest();
                Path named = layer.file();

                JsonObject config = store.config(im.config()).deepCopy();
                config.addProperty("created", created.toString());
                JsonObject rootfs = new JsonObject();
                rootfs.addProperty("type", "layers");
                JsonArray ids = new JsonArray();
                ids.add(diffId.toString());
                rootfs.add("diff_ids", ids);
                config.add("rootfs", rootfs);
                JsonArray history = new JsonArray();
                JsonObject h = new JsonObject();
                h.addProperty("created", created.toString());
                h.addProperty("created_by", "stratafs image squash " + im.name());
                h.addProperty("comment", "squashed " + im.layers().size() + " layers");
                history.add(h);
                config.add("history", history);
                byte[] configBytes = Json.bytes(config);
                Digest configDigest = Digest.of(configBytes);
                Files.write(staging.resolve(configDigest.hex()), configBytes);

                JsonObject manifest = new JsonObject();
                manifest.addProperty("schemaVersion", 2);
                manifest.addProperty("mediaType", Descriptor.OCI_MANIFEST);
                manifest.add("config", new Descriptor(Descriptor.OCI_CONFIG, configDigest, configBytes.length).toJson());
                JsonArray layers = new JsonArray();
                layers.add(new Descriptor(Compression.GZIP.ociMediaType, blobDigest, Files.size(named)).toJson());
                manifest.add("layers", layers);

                Path work = staging.resolve("work");
                Files.createDirectory(work);
                return store.store(Json.bytes(manifest), name, d -> Files.newInputStream(staging.resolve(d.hex())), work, progress);
            } finally {
                Trees.delete(staging);
            }
        });
    }
}
