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
        store.locked(() -> {
            StoredImage im = store.image(ref);
            if (format == Format.OCI) {
                oci(im, dest);
            } else {
                dockerArchive(im, dest);
            }
            return null;
        });
    }

    private void oci(StoredImage im, Path dest) throws IOException {
        if (Files.exists(dest) && (!Files.isDirectory(dest) || !isEmpty(dest))) {
            throw FsException.of(ErrorKind.EXISTS, "export destination exists and is not an empty directory", dest);
        }
        Path blobs = dest.resolve("blobs/sha256");
        Files.createDirectories(blobs);
        List<Digest> all = new ArrayList<>(List.of(im.manifest(), im.config()));
        im.layers().forEach(l -> all.add(l.blob().digest()));
        for (Digest d : all) {
            Path to = blobs.resolve(d.hex());
            if (!Files.exists(to)) {
                Files.copy(store.blobPath(d), to);
            }
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

    private void dockerArchive(StoredImage im, Path dest) throws IOException {
        if (Files.exists(dest)) {
            throw FsException.of(ErrorKind.EXISTS, "export destination exists", dest);
        }
        Path staging = store.newStaging("export");
        Path part = dest.resolveSibling(dest.getFileName() + ".part");
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
                    try (InputStream in = Compression.decompress(Files.newInputStream(store.blobPath(l.blob().digest())))) {
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
