package dev.stratafs.core.image;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An OCI image layout directory (image-spec image-layout.md): index.json names manifests, the
 * tag is the org.opencontainers.image.ref.name annotation, blobs live at blobs/sha256/HEX.
 */
final class OciLayoutSource implements ImageSource {
    static final String REF_NAME = "org.opencontainers.image.ref.name";
    private final Path dir;
    private final byte[] manifest;
    private final String name;

    private OciLayoutSource(Path dir, byte[] manifest, String name) {
        this.dir = dir;
        this.manifest = manifest;
        this.name = name;
    }

    static boolean looksLike(Path dir) {
        return Files.isRegularFile(dir.resolve("index.json"));
    }

    static OciLayoutSource open(Path dir, String tag) throws IOException {
        JsonObject index = Json.object(Files.readAllBytes(dir.resolve("index.json")), "index.json");
        List<JsonObject> candidates = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        for (JsonElement e : Json.arr(index, "manifests")) {
            JsonObject m = e.getAsJsonObject();
            String ref = Json.string(Json.obj(m, "annotations"), REF_NAME);
            tags.add(ref);
            if (tag == null || tag.equals(ref)) {
                candidates.add(m);
            }
        }
        if (candidates.size() != 1) {
            throw new FsException(ErrorKind.INVALID, (candidates.isEmpty() ? "no manifest" : "several manifests")
                    + (tag == null ? "" : " tagged " + tag) + " in " + dir + " (tags: " + tags + "); name one as DIR:TAG");
        }
        JsonObject chosen = candidates.get(0);
        String ref = Json.string(Json.obj(chosen, "annotations"), REF_NAME);
        OciLayoutSource probe = new OciLayoutSource(dir, null, null);
        Descriptor d = Descriptor.from(chosen, "index.json");
        byte[] bytes = probe.readVerified(d);
        for (int depth = 0; isIndex(d.mediaType(), bytes) && depth < 4; depth++) {
            d = pickPlatform(Json.object(bytes, "image index " + d.digest()));
            bytes = probe.readVerified(d);
        }
        String fallback = dir.toAbsolutePath().normalize().getFileName() + (ref != null ? ":" + ref : "");
        return new OciLayoutSource(dir, bytes, fallback);
    }

    private static boolean isIndex(String mediaType, byte[] bytes) throws FsException {
        if (Descriptor.OCI_INDEX.equals(mediaType) || Descriptor.DOCKER_LIST.equals(mediaType)) {
            return true;
        }
        JsonObject o = Json.object(bytes, "manifest");
        return mediaType == null && o.has("manifests") && !o.has("layers");
    }

    /** The entry for this machine (linux + os.arch), else the first. */
    private static Descriptor pickPlatform(JsonObject index) throws FsException {
        String arch = switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> System.getProperty("os.arch");
        };
        JsonArray ms = Json.arr(index, "manifests");
        if (ms.isEmpty()) {
            throw new FsException(ErrorKind.INVALID, "empty image index");
        }
        for (JsonElement e : ms) {
            JsonObject p = Json.obj(e.getAsJsonObject(), "platform");
            if ("linux".equals(Json.string(p, "os")) && arch.equals(Json.string(p, "architecture"))) {
                return Descriptor.from(e.getAsJsonObject(), "image index");
            }
        }
        return Descriptor.from(ms.get(0).getAsJsonObject(), "image index");
    }

    private byte[] readVerified(Descriptor d) throws IOException {
        byte[] b;
        try (InputStream in = openBlob(d.digest())) {
            b = in.readNBytes(16 << 20); // manifests and indexes are small; refuse giant ones
        }
        Digest actual = Digest.of(b);
        if (!actual.equals(d.digest()) || (d.size() >= 0 && d.size() != b.length)) {
            throw new FsException(ErrorKind.INVALID, "digest mismatch for " + d.digest() + ": content is " + actual);
        }
        return b;
    }

    @Override
    public byte[] manifest() {
        return manifest;
    }

    @Override
    public String suggestedName() {
        return name;
    }

    @Override
    public InputStream openBlob(Digest d) throws IOException {
        Path p = dir.resolve("blobs").resolve("sha256").resolve(d.hex());
        try {
            return Files.newInputStream(p);
        } catch (NoSuchFileException e) {
            throw new FsException(ErrorKind.NOT_FOUND, "missing blob " + d + " in " + dir, e);
        }
    }
}
