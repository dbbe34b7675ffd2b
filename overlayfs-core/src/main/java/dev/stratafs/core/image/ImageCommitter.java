package dev.stratafs.core.image;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * `image commit`: an upper directory becomes a new gzip layer on top of an existing image. The
 * layer tar is reproducible (see {@link LayerTarWriter}) and java.util.zip's gzip header carries
 * no name and a zero mtime, so the blob digest is reproducible too. The new image goes through
 * the same verified store path as an import, which also unpacks the layer for later mounts.
 */
public final class ImageCommitter {
    private final ImageStore store;

    public ImageCommitter(ImageStore store) {
        this.store = store;
    }

    /** What commit needs beyond the image and upper: history text and the fixed layer mtime. */
    public record Options(String createdBy, String comment, long layerMtime, Instant created) {
        public static Options defaults() {
            return new Options("stratafs image commit", null, 0, Instant.now());
        }
    }

    public StoredImage commit(String fromRef, Path upper, String newName, Options opt) throws IOException {
        return commit(fromRef, upper, newName, opt, Progress.NONE);
    }

    /**
     * Where the data of the upper's metadata-only copies (stratafs or the kernel with
     * {@code metacopy=on}) is: the base image's merged layers, computed at the first such file.
     */
    private LayerTarWriter.LowerData baseData(StoredImage base) {
        MergedView[] view = new MergedView[1];
        return rel -> {
            if (view[0] == null) {
                List<Path> bottomUp = base.layers().stream().map(l -> store.layerDir(l.diffId())).toList();
                view[0] = MergedView.of(store.os(), bottomUp);
            }
            MergedView.Entry e = view[0].entries().get(rel);
            return e == null ? null : e.file();
        };
    }

    /**
     * {@link #commit(String, Path, String, Options)}, reporting a "committing" phase (file
     * content bytes written into the layer tar) and then the store's phases for the new layer.
     */
    public StoredImage commit(String fromRef, Path upper, String newName, Options opt, Progress progress)
            throws IOException {
        if (!Files.isDirectory(upper)) {
            throw FsException.of(ErrorKind.NOT_DIRECTORY, "upper is not a directory", upper);
        }
        String name = ImageName.normalize(newName);
        return store.locked(() -> {
            StoredImage base = store.image(fromRef);
            Path staging = store.newStaging("commit");
            try {
                LayerTarWriter w = new LayerTarWriter(store.os(), opt.layerMtime(), progress, baseData(base));
                LayerTarWriter.GzLayer layer;
                try {
                    progress.start("committing " + upper.getFileName(), w.contentBytes(upper));
                    layer = LayerTarWriter.writeGzipped(staging, tar -> w.write(upper, tar));
                } finally {
                    progress.done();
                }
                Digest diffId = layer.diffId();
                Digest blobDigest = layer.blobDigest();
                Path named = layer.file();

                JsonObject config = store.config(base.config()).deepCopy();
                config.addProperty("created", opt.created().toString());
                JsonObject rootfs = Json.obj(config, "rootfs");
                if (rootfs == null) {
                    rootfs = new JsonObject();
                    rootfs.addProperty("type", "layers");
                    config.add("rootfs", rootfs);
                }
                JsonArray ids = Json.arr(rootfs, "diff_ids");
                ids.add(diffId.toString());
                rootfs.add("diff_ids", ids);
                JsonArray history = Json.arr(config, "history");
                JsonObject h = new JsonObject();
                h.addProperty("created", opt.created().toString());
                h.addProperty("created_by", opt.createdBy());
                if (opt.comment() != null) {
                    h.addProperty("comment", opt.comment());
                }
                history.add(h);
                config.add("history", history);
                byte[] configBytes = Json.bytes(config);
                Digest configDigest = Digest.of(configBytes);
                Files.write(staging.resolve(configDigest.hex()), configBytes);

                JsonObject manifest = store.manifest(base.manifest()).deepCopy();
                manifest.addProperty("schemaVersion", 2);
                manifest.addProperty("mediaType", Descriptor.OCI_MANIFEST);
                manifest.add("config", new Descriptor(Descriptor.OCI_CONFIG, configDigest, configBytes.length).toJson());
                JsonArray layers = Json.arr(manifest, "layers");
                layers.add(new Descriptor(Compression.GZIP.ociMediaType, blobDigest, Files.size(named)).toJson());
                manifest.add("layers", layers);

                Path work = staging.resolve("work");
                Files.createDirectory(work);
                return store.store(Json.bytes(manifest), name, d -> {
                    Path p = staging.resolve(d.hex());
                    return Files.newInputStream(Files.exists(p) ? p : store.blobPath(d));
                }, work, progress);
            } finally {
                Trees.delete(staging);
            }
        });
    }
}
