package dev.stratafs.core.image;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The content-addressed image store:
 * <pre>
 *   blobs/sha256/HEX        manifests, configs, layer blobs as imported (verified on entry)
 *   layers/DIFFHEX/         a layer unpacked in kernel overlayfs format (usable as a lowerdir)
 *   layers/DIFFHEX.json     what unpacking counted (size, entries)
 *   images/NAME             the manifest digest of a named image (NAME URL-encoded)
 *   tmp/                    staging: everything is built here and renamed into place when whole
 *   lock                    flock(2) serialising writers (and readers, for a consistent view)
 * </pre>
 * A failed operation leaves only its tmp/ directory behind, which it deletes itself.
 */
public final class ImageStore {
    /** Configs and manifests are small; a bigger one is an attack on memory, not an image. */
    static final long MAX_JSON = 16L << 20;
    private final Path root;
    private final NativeOs os;

    private ImageStore(Path root, NativeOs os) {
        this.root = root;
        this.os = os;
    }

    /** Opens (creating if needed) the store at {@code root}. */
    public static ImageStore open(Path root, NativeOs os) throws IOException {
        for (String d : List.of("blobs/sha256", "layers", "images", "tmp")) {
            Files.createDirectories(root.resolve(d));
        }
        return new ImageStore(root.toAbsolutePath(), os);
    }

    /** $STRATAFS_STORE, else /var/lib/stratafs for root, else ~/.local/share/stratafs. */
    public static Path defaultRoot(NativeOs os) {
        String env = System.getenv("STRATAFS_STORE");
        if (env != null && !env.isEmpty()) {
            return Path.of(env);
        }
        return os.geteuid() == 0 ? Path.of("/var/lib/stratafs")
                : Path.of(System.getProperty("user.home"), ".local/share/stratafs");
    }

    public Path root() {
        return root;
    }

    NativeOs os() {
        return os;
    }

    Path blobPath(Digest d) {
        return root.resolve("blobs/sha256").resolve(d.hex());
    }

    /** The unpacked directory of a layer, named by its diff_id. */
    public Path layerDir(Digest diffId) {
        return root.resolve("layers").resolve(diffId.hex());
    }

    private Path layerMeta(Digest diffId) {
        return root.resolve("layers").resolve(diffId.hex() + ".json");
    }

    boolean hasLayer(Digest diffId) {
        return Files.isDirectory(layerDir(diffId)) && Files.isRegularFile(layerMeta(diffId));
    }

    /** Runs {@code body} holding the store's lock. */
    <T> T locked(IoSupplier<T> body) throws IOException {
        try (FileChannel ch = FileChannel.open(root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            return body.get();
        }
    }

    interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** A fresh staging directory under tmp/. */
    Path newStaging(String what) throws IOException {
        Path p = root.resolve("tmp").resolve(what + "-" + UUID.randomUUID());
        Files.createDirectory(p);
        return p;
    }

    // ---------------------------------------------------------------- import

    /**
     * Imports an OCI layout directory (DIR or DIR:TAG) or a docker-archive tar (FILE or
     * FILE:NAME) under {@code name} (else the name the source carries).
     */
    public StoredImage importImage(String source, String name) throws IOException {
        return importImage(source, name, Progress.NONE);
    }

    /** {@link #importImage(String, String)}, reporting each layer's copy and unpack to {@code progress}. */
    public StoredImage importImage(String source, String name, Progress progress) throws IOException {
        return locked(() -> {
            Path staging = newStaging("import");
            try {
                Path src = Path.of(source);
                String tag = null;
                if (!Files.exists(src)) {
                    int colon = source.lastIndexOf(':');
                    if (colon > 0) {
                        src = Path.of(source.substring(0, colon));
                        tag = source.substring(colon + 1);
                    }
                }
                if (!Files.exists(src)) {
                    throw FsException.of(ErrorKind.NOT_FOUND, "no such image source", source);
                }
                ImageSource is;
                if (Files.isDirectory(src) && OciLayoutSource.looksLike(src)) {
                    is = OciLayoutSource.open(src, tag);
                } else if (Files.isRegularFile(src)) {
                    Path work = staging.resolve("source");
                    Files.createDirectory(work);
                    is = DockerArchiveSource.open(src, tag, work);
                } else {
                    throw new FsException(ErrorKind.INVALID, source + " is neither an OCI layout nor a docker archive");
                }
                try (is) {
                    String n = name != null ? name : is.suggestedName();
                    if (n == null) {
                        throw new FsException(ErrorKind.INVALID, "the source names no image; give --tag NAME");
                    }
                    return store(is.manifest(), ImageName.normalize(n), is::openBlob, staging, progress);
                }
            } catch (IllegalStateException | UnsupportedOperationException | ClassCastException
                     | IllegalArgumentException e) {
                // Gson's getAs* on JSON of the wrong shape: the image metadata is malformed
                throw new FsException(ErrorKind.INVALID, "malformed image metadata in " + source + ": " + e.getMessage(), e);
            } finally {
                Trees.delete(staging);
            }
        });
    }

    interface BlobOpener {
        InputStream open(Digest d) throws IOException;
    }

    /**
     * Verifies and stores a manifest with its config and layers, then points {@code name} at it.
     * Everything new goes to {@code staging} first; only when every digest has checked out is it
     * renamed into place, so a bad image leaves the store as it was.
     */
    StoredImage store(byte[] manifestBytes, String name, BlobOpener blobs, Path staging) throws IOException {
        return store(manifestBytes, name, blobs, staging, Progress.NONE);
    }

    /**
     * {@link #store(byte[], String, BlobOpener, Path)} reporting, per layer, a "copying" phase
     * (source bytes read and hashed) when the blob is new and an "unpacking" phase (blob bytes
     * read, before decompression) when the layer is new; each phase's total is the blob's size.
     */
    StoredImage store(byte[] manifestBytes, String name, BlobOpener blobs, Path staging, Progress progress)
            throws IOException {
        Path sb = staging.resolve("blobs");
        Path sl = staging.resolve("layers");
        Files.createDirectories(sb);
        Files.createDirectories(sl);
        JsonObject m = Json.object(manifestBytes, "manifest");
        Descriptor configDesc = Descriptor.from(Json.obj(m, "config"), "manifest config");
        List<Descriptor> layerDescs = new ArrayList<>();
        for (JsonElement e : Json.arr(m, "layers")) {
            layerDescs.add(Descriptor.from(e.getAsJsonObject(), "manifest layer"));
        }
        if (configDesc.size() > MAX_JSON) {
            throw new FsException(ErrorKind.INVALID, "image config of " + configDesc.size() + " bytes is implausibly large");
        }
        Path configFile = fetch(configDesc, blobs, sb, Progress.NONE, null);
        JsonObject config = Json.object(Files.readAllBytes(configFile), "image config");
        List<Digest> diffIds = diffIds(config);
        if (diffIds.size() != layerDescs.size()) {
            throw new FsException(ErrorKind.INVALID, "manifest has " + layerDescs.size()
                    + " layers but config has " + diffIds.size() + " diff_ids");
        }
        LayerUnpacker unpacker = new LayerUnpacker(os);
        for (int i = 0; i < layerDescs.size(); i++) {
            Descriptor ld = layerDescs.get(i);
            Digest diffId = diffIds.get(i);
            Path blob = fetch(ld, blobs, sb, progress, Progress.layer(i, layerDescs.size(), ld.digest(), "copying"));
            if (hasLayer(diffId) || Files.exists(sl.resolve(diffId.hex()))) {
                continue; // same content already unpacked: layers are shared, never unpacked twice
            }
            Path dest = sl.resolve(diffId.hex());
            os.mkdir(dest, 0755);
            MessageDigest md = Digest.newSha256();
            UnpackStats stats;
            progress.start(Progress.layer(i, layerDescs.size(), ld.digest(), "unpacking"), Files.size(blob));
            try (InputStream raw = Counting.in(Files.newInputStream(blob), progress);
                 DigestInputStream in = new DigestInputStream(Compression.decompress(raw), md)) {
                stats = unpacker.unpack(in, dest);
                in.transferTo(OutputStream.nullOutputStream()); // tar padding counts in the diff_id
            } catch (FsException e) {
                throw e;
            } catch (IOException e) {
                throw new FsException(ErrorKind.INVALID, "corrupt layer " + ld.digest() + ": " + e.getMessage(), e);
            } finally {
                progress.done();
            }
            Digest actual = Digest.of(md);
            if (!actual.equals(diffId)) {
                throw new FsException(ErrorKind.INVALID, "diff_id mismatch for layer " + ld.digest()
                        + ": config says " + diffId + ", content is " + actual);
            }
            JsonObject meta = new JsonObject();
            meta.addProperty("size", stats.contentBytes());
            meta.addProperty("entries", stats.entries());
            meta.addProperty("whiteouts", stats.whiteouts());
            meta.addProperty("opaqueDirs", stats.opaqueDirs());
            Files.write(sl.resolve(diffId.hex() + ".json"), Json.bytes(meta));
        }
        Digest manifestDigest = Digest.of(manifestBytes);
        Path mf = sb.resolve(manifestDigest.hex());
        if (!Files.exists(blobPath(manifestDigest))) {
            Files.write(mf, manifestBytes);
        }
        // all verified: move into place (layer directories before their .json: hasLayer needs both)
        try (Stream<Path> s = Files.list(sb)) {
            for (Path p : s.toList()) {
                moveIfAbsent(p, root.resolve("blobs/sha256").resolve(p.getFileName()));
            }
        }
        try (Stream<Path> s = Files.list(sl)) {
            List<Path> all = s.sorted((a, b) -> Boolean.compare(a.toString().endsWith(".json"), b.toString().endsWith(".json"))).toList();
            for (Path p : all) {
                moveIfAbsent(p, root.resolve("layers").resolve(p.getFileName()));
            }
        }
        writeRef(name, manifestDigest);
        return image(name);
    }

    private static void moveIfAbsent(Path from, Path to) throws IOException {
        if (!Files.exists(to, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** Copies a blob into staging while checking its digest and size; an existing store blob is reused. */
    private Path fetch(Descriptor d, BlobOpener blobs, Path sb, Progress progress, String phase) throws IOException {
        Path have = blobPath(d.digest());
        if (Files.isRegularFile(have)) {
            return have;
        }
        Path dest = sb.resolve(d.digest().hex());
        if (Files.exists(dest)) {
            return dest;
        }
        MessageDigest md = Digest.newSha256();
        long n;
        progress.start(phase, d.size());
        try (InputStream in = new DigestInputStream(Counting.in(blobs.open(d.digest()), progress), md)) {
            n = Files.copy(in, dest);
        } catch (NoSuchFileException e) {
            throw new FsException(ErrorKind.NOT_FOUND, "missing blob " + d.digest(), e);
        } finally {
            progress.done();
        }
        Digest actual = Digest.of(md);
        if (!actual.equals(d.digest()) || (d.size() >= 0 && n != d.size())) {
            throw new FsException(ErrorKind.INVALID, "digest mismatch for blob " + d.digest()
                    + ": content is " + actual + " (" + n + " bytes, descriptor says " + d.size() + ")");
        }
        return dest;
    }

    static List<Digest> diffIds(JsonObject config) throws FsException {
        List<Digest> out = new ArrayList<>();
        for (JsonElement e : Json.arr(Json.obj(config, "rootfs"), "diff_ids")) {
            out.add(Digest.parse(e.getAsString()));
        }
        return out;
    }

    private void writeRef(String name, Digest manifest) throws IOException {
        Path dir = root.resolve("images");
        Path tmp = dir.resolve(".tmp-" + UUID.randomUUID());
        Files.writeString(tmp, manifest + "\n");
        Files.move(tmp, dir.resolve(ImageName.fileName(name)), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    // ---------------------------------------------------------------- reading

    /** The image named {@code ref} (":latest" implied); NOT_FOUND when absent. */
    public StoredImage image(String ref) throws IOException {
        String name = ImageName.normalize(ref);
        Path f = root.resolve("images").resolve(ImageName.fileName(name));
        if (!Files.isRegularFile(f)) {
            throw FsException.of(ErrorKind.NOT_FOUND, "no such image", name);
        }
        Digest md = Digest.parse(Files.readString(f).trim());
        JsonObject m = manifest(md);
        Descriptor cd = Descriptor.from(Json.obj(m, "config"), "manifest config");
        JsonObject config = config(cd.digest());
        List<Digest> ids = diffIds(config);
        List<StoredImage.Layer> layers = new ArrayList<>();
        int i = 0;
        for (JsonElement e : Json.arr(m, "layers")) {
            Digest id = ids.get(i++);
            layers.add(new StoredImage.Layer(id, Descriptor.from(e.getAsJsonObject(), "layer"), layerSize(id)));
        }
        return new StoredImage(name, md, cd.digest(), layers, Json.string(config, "created"));
    }

    JsonObject manifest(Digest d) throws IOException {
        return Json.object(readBlob(d), "manifest " + d);
    }

    JsonObject config(Digest d) throws IOException {
        return Json.object(readBlob(d), "config " + d);
    }

    byte[] readBlob(Digest d) throws IOException {
        try {
            return Files.readAllBytes(blobPath(d));
        } catch (NoSuchFileException e) {
            throw new FsException(ErrorKind.NOT_FOUND, "store lacks blob " + d, e);
        }
    }

    private long layerSize(Digest diffId) {
        try {
            return Json.object(Files.readAllBytes(layerMeta(diffId)), "layer meta").get("size").getAsLong();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Every named image, by name. */
    public List<StoredImage> list() throws IOException {
        return locked(() -> {
            List<StoredImage> out = new ArrayList<>();
            try (Stream<Path> s = Files.list(root.resolve("images"))) {
                for (Path p : s.sorted().toList()) {
                    String f = p.getFileName().toString();
                    if (!f.startsWith(".")) {
                        out.add(image(ImageName.fromFileName(f)));
                    }
                }
            }
            return out;
        });
    }

    /** Layer directories of {@code ref}, top layer first (the order of overlayfs lowerdir=). */
    public List<Path> lowerDirs(String ref) throws IOException {
        List<Path> out = new ArrayList<>();
        for (StoredImage.Layer l : image(ref).layers()) {
            out.add(0, layerDir(l.diffId()));
        }
        return out;
    }

    // ---------------------------------------------------------------- removal

    /** Removes the name, then every blob and layer no remaining image uses. */
    public GcResult remove(String ref) throws IOException {
        return locked(() -> {
            String name = ImageName.normalize(ref);
            Path f = root.resolve("images").resolve(ImageName.fileName(name));
            if (!Files.isRegularFile(f)) {
                throw FsException.of(ErrorKind.NOT_FOUND, "no such image", name);
            }
            Files.delete(f);
            return collect();
        });
    }

    /** Deletes unreferenced blobs and layers and leftover staging directories. */
    public GcResult gc() throws IOException {
        return locked(this::collect);
    }

    /** What a collection removed. */
    public record GcResult(int blobs, int layers, int staging) {}

    private GcResult collect() throws IOException {
        Set<String> liveBlobs = new HashSet<>();
        Set<String> liveLayers = new HashSet<>();
        try (Stream<Path> s = Files.list(root.resolve("images"))) {
            for (Path p : s.toList()) {
                String f = p.getFileName().toString();
                if (f.startsWith(".")) {
                    continue;
                }
                StoredImage im = image(ImageName.fromFileName(f));
                liveBlobs.add(im.manifest().hex());
                liveBlobs.add(im.config().hex());
                for (StoredImage.Layer l : im.layers()) {
                    liveBlobs.add(l.blob().digest().hex());
                    liveLayers.add(l.diffId().hex());
                }
            }
        }
        int blobs = 0;
        int layers = 0;
        int staging = 0;
        try (Stream<Path> s = Files.list(root.resolve("blobs/sha256"))) {
            for (Path p : s.toList()) {
                if (!liveBlobs.contains(p.getFileName().toString())) {
                    Files.delete(p);
                    blobs++;
                }
            }
        }
        try (Stream<Path> s = Files.list(root.resolve("layers"))) {
            for (Path p : s.toList()) {
                String f = p.getFileName().toString();
                String hex = f.endsWith(".json") ? f.substring(0, f.length() - 5) : f;
                if (!liveLayers.contains(hex)) {
                    // meta first: a half-deleted layer then no longer counts as present
                    if (!f.endsWith(".json")) {
                        Files.deleteIfExists(root.resolve("layers").resolve(hex + ".json"));
                        Trees.delete(p);
                        layers++;
                    } else {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
        try (Stream<Path> s = Files.list(root.resolve("tmp"))) {
            for (Path p : s.toList()) {
                Trees.delete(p);
                staging++;
            }
        }
        return new GcResult(blobs, layers, staging);
    }
}
