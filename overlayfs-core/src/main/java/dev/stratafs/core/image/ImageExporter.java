package dev.stratafs.core.image;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * `image export`: an OCI image layout directory (image-spec image-layout.md, blobs copied as
 * stored, tag in the ref.name annotation) or a docker-archive tar in the Docker 25 layout
 * (manifest.json naming blobs/sha256/HEX members, layers uncompressed so that each layer's
 * member digest is its diff_id, as `docker load` expects of this format).
 */
public final class ImageExporter {
    public enum Format { OCI, DOCKER_ARCHIVE }

    private final ImageStore store;

    public ImageExporter(ImageStore store) {
        this.store = store;
    }

    public void export(String ref, Path dest, Format format) throws IOException {
        export(ref, dest, format, Progress.NONE);
    }

    /**
     * {@link #export(String, Path, Format)}, reporting one "exporting" phase whose total is the
     * size of the stored blobs it reads (for docker-archive: the compressed layers, counted as
     * they are decompressed).
     */
    public void export(String ref, Path dest, Format format, Progress progress) throws IOException {
        store.locked(() -> {
            StoredImage im = store.image(ref);
            if (format == Format.OCI) {
                oci(im, dest, progress);
            } else {
                dockerArchive(im, dest, progress);
            }
            return null;
        });
    }

    private void oci(StoredImage im, Path dest, Progress progress) throws IOException {
        if (Files.exists(dest) && (!Files.isDirectory(dest) || !isEmpty(dest))) {
            throw FsException.of(ErrorKind.EXISTS, "export destination exists and is not an empty directory", dest);
        }
        Path blobs = dest.resolve("blobs/sha256");
        Files.createDirectories(blobs);
        List<Digest> all = new ArrayList<>(List.of(im.manifest(), im.config()));
        im.layers().forEach(l -> all.add(l.blob().digest()));
        long total = 0;
        for (Digest d : new java.util.LinkedHashSet<>(all)) {
            total += Files.size(store.blobPath(d));
        }
        progress.start("exporting " + im.name(), total);
        try {
            for (Digest d : all) {
                Path to = blobs.resolve(d.hex());
                if (!Files.exists(to)) {
                    try (InputStream in = Counting.in(Files.newInputStream(store.blobPath(d)), progress)) {
                        Files.copy(in, to);
                    }
                }
            }
        } finally {
            progress.done();
        }
        Files.writeString(dest.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        JsonObject desc = new Descriptor(Descriptor.OCI_MANIFEST, im.manifest(), Files.size(store.blobPath(im.manifest()))).toJson();
        JsonObject ann = new JsonObject();
        ann.addProperty(OciLayoutSource.REF_NAME, im.name().substring(im.name().lastIndexOf(':') + 1));
        desc.add("annotations", ann);
        JsonArray ms = new JsonArray();
        ms.add(desc);
        JsonObject index = new JsonObject();
        index.addProperty("schemaVersion", 2);
        index.addProperty("mediaType", Descriptor.OCI_INDEX);
        index.add("manifests", ms);
        Files.write(dest.resolve("index.json"), Json.bytes(index));
    }

    private void dockerArchive(StoredImage im, Path dest, Progress progress) throws IOException {
        if (Files.exists(dest)) {
            throw FsException.of(ErrorKind.EXISTS, "export destination exists", dest);
        }
        Path staging = store.newStaging("export");
        Path part = dest.resolveSibling(dest.getFileName() + ".part");
        long total = 0;
        java.util.Set<Digest> distinct = new java.util.HashSet<>();
        for (StoredImage.Layer l : im.layers()) {
            if (distinct.add(l.diffId())) {
                total += Files.size(store.blobPath(l.blob().digest()));
            }
        }
        progress.start("exporting " + im.name(), total);
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(part), 1 << 16);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            dir(tar, "blobs/");
            dir(tar, "blobs/sha256/");
            JsonArray layers = new JsonArray();
            for (StoredImage.Layer l : im.layers()) {
                String member = "blobs/sha256/" + l.diffId().hex();
                if (!layers.contains(new com.google.gson.JsonPrimitive(member))) {
                    Path raw = staging.resolve(l.diffId().hex());
                    try (InputStream in = Compression.decompress(
                            Counting.in(Files.newInputStream(store.blobPath(l.blob().digest())), progress))) {
                        Files.copy(in, raw);
                    }
                    file(tar, member, raw);
                }
                layers.add(member);
            }
            file(tar, "blobs/sha256/" + im.config().hex(), store.blobPath(im.config()));
            JsonObject entry = new JsonObject();
            entry.addProperty("Config", "blobs/sha256/" + im.config().hex());
            JsonArray tags = new JsonArray();
            tags.add(im.name());
            entry.add("RepoTags", tags);
            entry.add("Layers", layers);
            JsonArray manifest = new JsonArray();
            manifest.add(entry);
            byte[] mb = Json.bytes(manifest);
            TarArchiveEntry e = new TarArchiveEntry("manifest.json");
            e.setSize(mb.length);
            e.setModTime(FileTime.fromMillis(0));
            tar.putArchiveEntry(e);
            tar.write(mb);
            tar.closeArchiveEntry();
            tar.finish();
        } catch (IOException e) {
            Files.deleteIfExists(part);
            throw e;
        } finally {
            progress.done();
            Trees.delete(staging);
        }
        Files.move(part, dest, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    private static void dir(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setModTime(FileTime.fromMillis(0));
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, Path p) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(Files.size(p));
        e.setMode(0100444);
        e.setModTime(FileTime.fromMillis(0));
        tar.putArchiveEntry(e);
        Files.copy(p, tar);
        tar.closeArchiveEntry();
    }
}
