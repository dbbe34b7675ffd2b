package dev.stratafs.core.image;

import dev.stratafs.core.nat.Natives;
import static dev.stratafs.core.image.Fixtures.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Import into the store from layouts umoci and skopeo make, and from hand-made hostile ones. */
class ImageStoreImportTest {
    private final dev.stratafs.core.nat.NativeOs os = Natives.get();
    private Path tmp;
    private ImageStore store;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "imgstore");
        store = ImageStore.open(tmp.resolve("store"), os);
    }

    @AfterEach
    void tearDown() throws IOException {
        Trees.delete(tmp);
    }

    /*
     * img:base     etc/hello, d/sub/f, bin/tool (0755), bin/ln -> tool, bin/hard (= bin/tool), bin/fifo
     * img:derived  base + layer: rm etc/hello, rm -r d; mkdir d; d/g, bin/tool rewritten, new/x
     */
    static Path umociLayout(Path tmp) throws Exception {
        Path img = tmp.resolve("img");
        sh("umoci", "init", "--layout", img.toString());
        sh("umoci", "new", "--image", img + ":base");
        Path b1 = tmp.resolve("b1");
        sh("umoci", "unpack", "--image", img + ":base", b1.toString());
        Path r = b1.resolve("rootfs");
        Files.createDirectories(r.resolve("etc"));
        Files.createDirectories(r.resolve("d/sub"));
        Files.createDirectories(r.resolve("bin"));
        Files.writeString(r.resolve("etc/hello"), "hi\n");
        Files.writeString(r.resolve("d/sub/f"), "f\n");
        Files.writeString(r.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
        Files.setAttribute(r.resolve("bin/tool"), "unix:mode", 0755);
        Files.createSymbolicLink(r.resolve("bin/ln"), Path.of("tool"));
        Files.createLink(r.resolve("bin/hard"), r.resolve("bin/tool"));
        sh("mkfifo", r.resolve("bin/fifo").toString());
        sh("umoci", "repack", "--image", img + ":base", b1.toString());
        sh("umoci", "tag", "--image", img + ":base", "derived");
        Path b2 = tmp.resolve("b2");
        sh("umoci", "unpack", "--image", img + ":derived", b2.toString());
        r = b2.resolve("rootfs");
        Files.delete(r.resolve("etc/hello"));
        Trees.delete(r.resolve("d"));
        Files.createDirectory(r.resolve("d"));
        Files.writeString(r.resolve("d/g"), "g\n");
        Files.delete(r.resolve("bin/tool"));
        Files.writeString(r.resolve("bin/tool"), "#!/bin/sh\necho v2\n");
        Files.createDirectories(r.resolve("new"));
        Files.writeString(r.resolve("new/x"), "x\n");
        sh("umoci", "repack", "--image", img + ":derived", b2.toString());
        return img;
    }

    static Map<String, String> merged(ImageStore store, String ref) throws IOException {
        List<Path> top = store.lowerDirs(ref);
        List<Path> bottomUp = new java.util.ArrayList<>(top);
        java.util.Collections.reverse(bottomUp);
        dev.stratafs.core.nat.NativeOs os = Natives.get();
        Map<String, String> out = new TreeMap<>();
        for (var e : MergedView.of(os, bottomUp).entries().entrySet()) {
            out.put(e.getKey(), Fixtures.describe(os, e.getValue().file()));
        }
        return out;
    }

    Map<String, String> umociRootfs(Path img, String tag) throws Exception {
        Path b = tmp.resolve("check-" + tag);
        sh("umoci", "unpack", "--image", img + ":" + tag, b.toString());
        return Fixtures.describeTree(b.resolve("rootfs"));
    }

    @Test
    void umociImageMergesToWhatUmociUnpacksAndSharesTheBaseLayer() throws Exception {
        Path img = umociLayout(tmp);
        StoredImage base = store.importImage(img + ":base", "base");
        Path baseLayer = store.layerDir(base.layers().get(0).diffId());
        long inoBefore = os.lstat(baseLayer).ino();
        StoredImage derived = store.importImage(img + ":derived", "test/derived:1");

        assertEquals(2, derived.layers().size());
        assertEquals(base.layers().get(0).diffId(), derived.layers().get(0).diffId());
        assertEquals(inoBefore, os.lstat(baseLayer).ino(), "shared layer was not unpacked again");
        try (Stream<Path> s = Files.list(store.root().resolve("layers"))) {
            assertEquals(2, s.filter(Files::isDirectory).count(), "base layer stored once");
        }
        assertEquals(umociRootfs(img, "base"), merged(store, "base"));
        Map<String, String> m = merged(store, "test/derived:1");
        assertEquals(umociRootfs(img, "derived"), m);
        assertTrue(!m.containsKey("etc/hello") && !m.containsKey("d/sub") && m.containsKey("d/g"));
        assertEquals(List.of("base:latest", "test/derived:1"), store.list().stream().map(StoredImage::name).toList());
    }

    @Test
    void dockerArchiveWrittenBySkopeoImportsToTheSameTree() throws Exception {
        Path img = umociLayout(tmp);
        Path archive = tmp.resolve("d.tar");
        sh("skopeo", "copy", "oci:" + img + ":derived", "docker-archive:" + archive + ":foo/derived:v1");
        StoredImage im = store.importImage(archive.toString(), null);
        assertEquals("docker.io/foo/derived:v1", im.name(), "the name the archive's RepoTags give");
        assertEquals(umociRootfs(img, "derived"), merged(store, im.name()));
    }

    /* one zstd layer: z/file */
    @Test
    void zstdAndPlainTarLayersAreDetectedByMagic() throws Exception {
        byte[] t1 = new Fixtures.Tar().dir("p", 0755).file("p/plain", "plain").bytes();
        byte[] t2 = new Fixtures.Tar().dir("z", 0755).file("z/file", "zstd").bytes();
        Path lay = tmp.resolve("lay");
        Fixtures.ociLayout(lay, "v", List.of(Fixtures.Layer.plain(t1),
                new Fixtures.Layer(Fixtures.zstd(t2), Digest.of(t2), Compression.ZSTD.ociMediaType)));
        store.importImage(lay + ":v", "z");
        assertEquals("zstd", Files.readString(store.lowerDirs("z").get(0).resolve("z/file")));
        assertEquals("plain", Files.readString(store.lowerDirs("z").get(1).resolve("p/plain")));
    }

    // ---------------------------------------------------------------- hostile input

    private Map<String, Long> snapshot() throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(store.root())) {
            for (Path p : s.toList()) {
                if (!p.getFileName().toString().equals("lock")) {
                    out.put(store.root().relativize(p).toString(), Files.isRegularFile(p) ? Files.size(p) : -1);
                }
            }
        }
        return out;
    }

    /** Imports a good image first, then checks the hostile one fails and changes nothing. */
    private FsException assertRejected(List<Fixtures.Layer> layers, java.util.function.Consumer<Path> tamper)
            throws Exception {
        Path good = tmp.resolve("good");
        Fixtures.ociLayout(good, "v", List.of(Fixtures.Layer.gzipped(new Fixtures.Tar().file("ok", "ok").bytes())));
        store.importImage(good + ":v", "good");
        Map<String, Long> before = snapshot();
        Path bad = tmp.resolve("bad");
        List<Digest> blobs = Fixtures.ociLayout(bad, "v", layers);
        tamper.accept(bad.resolve("blobs/sha256").resolve(blobs.get(blobs.size() - 1).hex()));
        FsException e = assertThrows(FsException.class, () -> store.importImage(bad + ":v", "bad"));
        assertEquals(before, snapshot(), "store unchanged after: " + e.getMessage());
        return e;
    }

    private static byte[] okTar() throws IOException {
        return new Fixtures.Tar().file("fine", "fine").bytes();
    }

    @Test
    void blobWhoseContentDoesNotMatchItsDigestIsRejected() throws Exception {
        FsException e = assertRejected(List.of(Fixtures.Layer.gzipped(okTar())), p -> rewrite(p, b -> {
            b[b.length - 1] ^= 1;
            return b;
        }));
        assertTrue(e.getMessage().contains("digest mismatch"), e.getMessage());
    }

    @Test
    void layerWhoseDiffIdDoesNotMatchConfigIsRejected() throws Exception {
        byte[] gz = Fixtures.gzip(okTar());
        FsException e = assertRejected(List.of(Fixtures.Layer.gzipped(okTar()),
                new Fixtures.Layer(gz, Digest.of(new byte[] {1}), Compression.GZIP.ociMediaType)), p -> {});
        assertTrue(e.getMessage().contains("diff_id mismatch"), e.getMessage());
    }

    @Test
    void missingBlobIsRejected() throws Exception {
        FsException e = assertRejected(List.of(Fixtures.Layer.gzipped(okTar())), p -> rewrite(p, null));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
    }

    @Test
    void truncatedGzipLayerIsRejectedAndEarlierLayersOfTheImageAreNotKept() throws Exception {
        byte[] full = new Fixtures.Tar().file("big", "y".repeat(100_000)).bytes();
        byte[] gz = Fixtures.gzip(full);
        byte[] cut = Arrays.copyOf(gz, gz.length / 2);
        assertRejected(List.of(Fixtures.Layer.plain(new Fixtures.Tar().file("first", "1").bytes()),
                new Fixtures.Layer(cut, Digest.of(full), Compression.GZIP.ociMediaType)), p -> {});
    }

    @Test
    void layerWithDotDotEntryIsRejected() throws Exception {
        byte[] t = new Fixtures.Tar().file("x/../../../escape", "e").bytes();
        FsException e = assertRejected(List.of(Fixtures.Layer.plain(t)), p -> {});
        assertEquals(ErrorKind.INVALID, e.kind());
        assertTrue(!Files.exists(tmp.resolve("escape")) && !Files.exists(store.root().resolve("escape")));
    }

    @Test
    void layerPlantingThroughItsOwnSymlinkIsRejected() throws Exception {
        Path outside = tmp.resolve("outside");
        Files.createDirectory(outside);
        byte[] t = new Fixtures.Tar().entry("evil", org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK,
                outside.toString()).file("evil/planted", "p").bytes();
        assertRejected(List.of(Fixtures.Layer.plain(t)), p -> {});
        assertTrue(!Files.exists(outside.resolve("planted")));
    }

    @Test
    void reimportOfSameImageChangesNothing() throws Exception {
        Path lay = tmp.resolve("lay");
        Fixtures.ociLayout(lay, "v", List.of(Fixtures.Layer.gzipped(okTar())));
        StoredImage a = store.importImage(lay + ":v", "same");
        Map<String, Long> before = snapshot();
        StoredImage b = store.importImage(lay.toString(), "same");
        assertEquals(a, b);
        assertEquals(before, snapshot());
        assertNotEquals(0, before.size());
    }

    private static void rewrite(Path p, java.util.function.UnaryOperator<byte[]> f) {
        try {
            if (f == null) {
                Files.delete(p);
            } else {
                Files.write(p, f.apply(Files.readAllBytes(p)));
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /* index -> manifest {"layers":[1]}: a number where a descriptor belongs */
    @Test
    void manifestOfWrongShapeIsAnInvalidImageNotACrash() throws Exception {
        Path lay = tmp.resolve("shape");
        Files.createDirectories(lay.resolve("blobs/sha256"));
        byte[] m = "{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:%s\",\"size\":2},\"layers\":[1]}"
                .formatted(Digest.of("{}".getBytes()).hex()).getBytes();
        Files.write(lay.resolve("blobs/sha256").resolve(Digest.of("{}".getBytes()).hex()), "{}".getBytes());
        Files.write(lay.resolve("blobs/sha256").resolve(Digest.of(m).hex()), m);
        Files.writeString(lay.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\""
                + Digest.of(m) + "\",\"size\":" + m.length + "}]}");
        Map<String, Long> before = snapshot();
        FsException e = assertThrows(FsException.class, () -> store.importImage(lay.toString(), "shape"));
        assertEquals(ErrorKind.INVALID, e.kind());
        assertEquals(before, snapshot());
    }

    /* index.json -> image index {arm64 manifest (absent blob), amd64 manifest} : the machine's platform is chosen */
    @Test
    void nestedImageIndexPicksThisMachinesPlatform() throws Exception {
        Path lay = tmp.resolve("multi");
        Fixtures.ociLayout(lay, "v", List.of(Fixtures.Layer.plain(okTar())));
        var index = Json.object(Files.readAllBytes(lay.resolve("index.json")), "index");
        var real = index.getAsJsonArray("manifests").get(0).getAsJsonObject();
        real.remove("annotations");
        String arch = System.getProperty("os.arch").equals("aarch64") ? "arm64" : "amd64";
        String other = arch.equals("amd64") ? "arm64" : "amd64";
        var platform = new com.google.gson.JsonObject();
        platform.addProperty("os", "linux");
        platform.addProperty("architecture", arch);
        real.add("platform", platform);
        var decoy = new Descriptor(Descriptor.OCI_MANIFEST, Digest.of(new byte[] {9}), 1).toJson();
        var p2 = new com.google.gson.JsonObject();
        p2.addProperty("os", "linux");
        p2.addProperty("architecture", other);
        decoy.add("platform", p2);
        var nested = new com.google.gson.JsonObject();
        nested.addProperty("schemaVersion", 2);
        nested.addProperty("mediaType", Descriptor.OCI_INDEX);
        var ms = new com.google.gson.JsonArray();
        ms.add(decoy);
        ms.add(real);
        nested.add("manifests", ms);
        byte[] nb = Json.bytes(nested);
        Files.write(lay.resolve("blobs/sha256").resolve(Digest.of(nb).hex()), nb);
        var top = new Descriptor(Descriptor.OCI_INDEX, Digest.of(nb), nb.length).toJson();
        var ann = new com.google.gson.JsonObject();
        ann.addProperty(OciLayoutSource.REF_NAME, "multi");
        top.add("annotations", ann);
        var outer = new com.google.gson.JsonObject();
        outer.addProperty("schemaVersion", 2);
        var tops = new com.google.gson.JsonArray();
        tops.add(top);
        outer.add("manifests", tops);
        Files.write(lay.resolve("index.json"), Json.bytes(outer));
        StoredImage im = store.importImage(lay + ":multi", null);
        assertEquals("multi:multi", im.name());
        assertEquals("fine", Files.readString(store.lowerDirs("multi:multi").get(0).resolve("fine")));
    }

    /* docker archive: manifest.json -> Layers ["l/layer.tar"], l/layer.tar -> ../../../etc/passwd (member symlink) */
    @Test
    void dockerArchiveMemberLinkLeavingTheArchiveIsRejected() throws Exception {
        byte[] cfg = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}".getBytes();
        String manifest = "[{\"Config\":\"c.json\",\"RepoTags\":[\"x:1\"],\"Layers\":[\"l/layer.tar\"]}]";
        byte[] archive = new Fixtures.Tar().file("manifest.json", manifest).file("c.json", new String(cfg))
                .entry("l/layer.tar", org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK, "../../../etc/passwd")
                .bytes();
        Path f = tmp.resolve("evil.tar");
        Files.write(f, archive);
        Map<String, Long> before = snapshot();
        FsException e = assertThrows(FsException.class, () -> store.importImage(f.toString(), null));
        assertTrue(e.getMessage().contains("leaves the archive"), e.getMessage());
        assertEquals(before, snapshot());
    }
}
