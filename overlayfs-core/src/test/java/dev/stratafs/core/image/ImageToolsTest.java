package dev.stratafs.core.image;

import dev.stratafs.core.nat.Natives;
import static dev.stratafs.core.image.Fixtures.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** history, which, diff, commit, export, rm and gc over images umoci builds. */
class ImageToolsTest {
    private final dev.stratafs.core.nat.NativeOs os = Natives.get();
    private Path tmp;
    private Path img;
    private ImageStore store;
    private Path mounted;

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "imgtools");
        store = ImageStore.open(tmp.resolve("store"), os);
        img = ImageStoreImportTest.umociLayout(tmp);
        store.importImage(img + ":base", "base");
        store.importImage(img + ":derived", "derived");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (mounted != null) {
            new ProcessBuilder("umount", mounted.toString()).inheritIO().start().waitFor();
        }
        Trees.delete(tmp);
    }

    @Test
    void historyIsNewestFirstWithLayerDigests() throws IOException {
        List<HistoryEntry> h = new ImageInspector(store).history("derived");
        StoredImage im = store.image("derived");
        assertEquals(2, h.size());
        assertEquals(im.layers().get(1).blob().digest(), h.get(0).layer());
        assertEquals(im.layers().get(0).blob().digest(), h.get(1).layer());
        assertEquals("umoci repack", h.get(0).createdBy());
        assertTrue(h.get(1).size() > 0);
    }

    /*
     * layer 0: etc/hello, d/sub/f, bin/tool      layer 1: etc/.wh.hello, d/ + d/.wh.sub + d/g, bin/tool (new)
     */
    @Test
    void whichNamesProviderDeleterAndShadowedLayers() throws IOException {
        ImageInspector in = new ImageInspector(store);
        WhichResult tool = in.which("derived", "bin/tool");
        assertEquals(1, tool.provider());
        assertEquals(List.of(0), tool.shadowed());
        WhichResult hello = in.which("derived", "/etc/hello");
        assertEquals(-1, hello.provider());
        assertEquals(1, hello.deletedBy());
        assertEquals(List.of(0), hello.shadowed());
        WhichResult d = in.which("derived", "d");
        assertEquals(1, d.provider());
        assertEquals(List.of(0), d.merged());
        WhichResult f = in.which("derived", "d/sub/f");
        assertEquals(-1, f.provider());
        assertEquals(1, f.deletedBy());
        WhichResult none = in.which("derived", "no/such");
        assertEquals(-1, none.provider());
        assertEquals(-1, none.deletedBy());
    }

    /** Mounts kernel overlayfs over base's layers, makes changes, returns the merged tree's description. */
    private Map<String, String> changeThroughKernelOverlay(Path upper) throws Exception {
        Path work = tmp.resolve("work");
        mounted = tmp.resolve("merged");
        Files.createDirectories(upper);
        Files.createDirectories(work);
        Files.createDirectories(mounted);
        String lower = String.join(":", store.lowerDirs("base").stream().map(Path::toString).toList());
        sh("mount", "-t", "overlay", "overlay", "-o", "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work,
                mounted.toString());
        Path m = mounted;
        Files.delete(m.resolve("etc/hello"));
        Files.writeString(m.resolve("bin/tool"), "changed\n");
        sh("rm", "-r", m.resolve("d").toString());
        Files.createDirectory(m.resolve("d"));
        Files.writeString(m.resolve("d/new"), "n\n");
        Files.createDirectories(m.resolve("added/deep"));
        Files.writeString(m.resolve("added/deep/a"), "a\n");
        Files.createLink(m.resolve("added/deep/a2"), m.resolve("added/deep/a"));
        sh("setfattr", "-n", "user.note", "-v", "kept", m.resolve("added/deep/a").toString());
        sh("setfattr", "-n", "user.bin", "-v", "0xff00fe80", m.resolve("d/new").toString());
        Map<String, String> tree = Fixtures.describeTree(m);
        sh("umount", m.toString());
        mounted = null;
        return tree;
    }

    @Test
    void diffOfKernelUpperListsAddedChangedDeleted() throws Exception {
        Path upper = tmp.resolve("upper");
        changeThroughKernelOverlay(upper);
        List<Path> lowerBottomUp = new ArrayList<>(store.lowerDirs("base"));
        Collections.reverse(lowerBottomUp);
        List<String> exact = new UpperDiff(os).diff(upper, lowerBottomUp).stream().map(Object::toString).toList();
        assertEquals(List.of("A /added", "A /added/deep", "A /added/deep/a", "A /added/deep/a2",
                "C /bin", "C /bin/tool", "C /d", "A /d/new", "D /d/sub", "C /etc", "D /etc/hello"), exact);
        List<String> alone = new UpperDiff(os).diff(upper).stream().map(Object::toString).toList();
        assertTrue(alone.contains("D /etc/hello") && alone.contains("A /added/deep/a"), alone.toString());
    }

    @Test
    void commitReappliedByUmociEqualsTheMergedMountAndIsReproducible() throws Exception {
        Path upper = tmp.resolve("upper");
        Map<String, String> expected = changeThroughKernelOverlay(upper);
        ImageCommitter c = new ImageCommitter(store);
        StoredImage one = c.commit("base", upper, "committed:1", ImageCommitter.Options.defaults());
        StoredImage two = c.commit("base", upper, "committed:2", ImageCommitter.Options.defaults());
        assertEquals(one.layers().get(1).blob().digest(), two.layers().get(1).blob().digest(), "same change, same digest");
        assertEquals(2, one.layers().size());

        Path out = tmp.resolve("out-oci");
        new ImageExporter(store).export("committed:1", out, ImageExporter.Format.OCI);
        String inspect = sh("skopeo", "inspect", "oci:" + out + ":1");
        assertTrue(inspect.contains(one.layers().get(1).blob().digest().toString()), inspect);
        Path bundle = tmp.resolve("reapplied");
        sh("umoci", "unpack", "--image", out + ":1", bundle.toString());
        assertEquals(expected, Fixtures.describeTree(bundle.resolve("rootfs")));
        assertEquals(expected, ImageStoreImportTest.merged(store, "committed:1"));
        assertEquals("kept", new String(os.getxattr(bundle.resolve("rootfs/added/deep/a"), "user.note")));
        byte[] bin = {(byte) 0xff, 0, (byte) 0xfe, (byte) 0x80};
        org.junit.jupiter.api.Assertions.assertArrayEquals(bin, os.getxattr(bundle.resolve("rootfs/d/new"), "user.bin"),
                "binary xattr survives commit and Go's archive/tar");
        org.junit.jupiter.api.Assertions.assertArrayEquals(bin,
                os.getxattr(store.lowerDirs("committed:1").get(0).resolve("d/new"), "user.bin"));
        assertEquals(os.lstat(bundle.resolve("rootfs/added/deep/a")).ino(),
                os.lstat(bundle.resolve("rootfs/added/deep/a2")).ino(), "hard link kept");
    }

    @Test
    void dockerArchiveExportIsReadBySkopeoAndReimportsToSameLayers() throws Exception {
        Path tar = tmp.resolve("derived.tar");
        new ImageExporter(store).export("derived", tar, ImageExporter.Format.DOCKER_ARCHIVE);
        String inspect = sh("skopeo", "inspect", "docker-archive:" + tar);
        assertTrue(inspect.contains("\"Layers\""), inspect);
        ImageStore other = ImageStore.open(tmp.resolve("store2"), os);
        StoredImage re = other.importImage(tar.toString(), "again");
        assertEquals(store.image("derived").layers().stream().map(StoredImage.Layer::diffId).toList(),
                re.layers().stream().map(StoredImage.Layer::diffId).toList());
    }

    @Test
    void rmKeepsLayersOtherImagesUseAndGcEmptiesTheStore() throws IOException {
        StoredImage derived = store.image("derived");
        Path top = store.layerDir(derived.layers().get(1).diffId());
        Path shared = store.layerDir(derived.layers().get(0).diffId());
        ImageStore.GcResult r = store.remove("derived");
        assertFalse(Files.exists(top));
        assertTrue(Files.isDirectory(shared));
        assertEquals(1, r.layers());
        store.remove("base");
        try (Stream<Path> l = Files.list(store.root().resolve("layers"));
             Stream<Path> b = Files.list(store.root().resolve("blobs/sha256"))) {
            assertEquals(0, l.count());
            assertEquals(0, b.count());
        }
        assertEquals(new ImageStore.GcResult(0, 0, 0), store.gc());
        assertNull(store.list().isEmpty() ? null : "not empty");
    }

    /* derived (2 layers, with whiteouts) squashed: one layer, same merged tree, umoci agrees */
    @Test
    void squashGivesOneLayerWithTheSameMergedTree() throws Exception {
        StoredImage sq = new ImageSquasher(store).squash("derived", "flat", java.time.Instant.EPOCH);
        assertEquals(1, sq.layers().size());
        Map<String, String> expected = ImageStoreImportTest.merged(store, "derived");
        assertEquals(expected, ImageStoreImportTest.merged(store, "flat"));
        Path out = tmp.resolve("flat-oci");
        new ImageExporter(store).export("flat", out, ImageExporter.Format.OCI);
        Path bundle = tmp.resolve("flat-bundle");
        sh("umoci", "unpack", "--image", out + ":latest", bundle.toString());
        assertEquals(expected, Fixtures.describeTree(bundle.resolve("rootfs")));
        assertEquals(1, new ImageInspector(store).history("flat").size());
    }

    /* upper/moved with trusted.overlay.redirect=/d : its content lives in a lower layer */
    @Test
    void commitRefusesUpperThatRedirectsIntoLowerLayers() throws Exception {
        Path upper = tmp.resolve("redirect-upper");
        Files.createDirectories(upper.resolve("moved"));
        sh("setfattr", "-n", "trusted.overlay.redirect", "-v", "/d", upper.resolve("moved").toString());
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.stratafs.core.error.FsException.class,
                () -> new ImageCommitter(store).commit("base", upper, "bad", ImageCommitter.Options.defaults()));
        assertEquals(dev.stratafs.core.error.ErrorKind.NOT_SUPPORTED, e.kind());
        assertFalse(store.list().stream().anyMatch(i -> i.name().equals("bad:latest")));
        try (Stream<Path> s = Files.list(store.root().resolve("tmp"))) {
            assertEquals(0, s.count(), "staging cleaned up");
        }
    }

    /*
     * upper/bin/tool: a metadata-only copy of the base's bin/tool (chmod 0700), as stratafs and
     * the kernel with metacopy=on leave it; upper/etc/renamed: one the kernel renamed, with a
     * redirect to /etc/hello. The layer gets their data from the base's layers.
     */
    @Test
    void commitTakesTheDataOfMetadataOnlyCopiesFromTheBaseLayers() throws Exception {
        Path base0 = store.lowerDirs("base").get(0);
        Path upper = tmp.resolve("marked-upper");
        Path tool = marked(upper.resolve("bin/tool"), Files.size(base0.resolve("bin/tool")));
        Files.setPosixFilePermissions(tool, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path renamed = marked(upper.resolve("etc/renamed"), Files.size(base0.resolve("etc/hello")));
        sh("setfattr", "-n", "trusted.overlay.redirect", "-v", "/etc/hello", renamed.toString());

        new ImageCommitter(store).commit("base", upper, "marked", ImageCommitter.Options.defaults());

        Path layer = store.lowerDirs("marked").get(0);
        assertArrayEquals(Files.readAllBytes(base0.resolve("bin/tool")), Files.readAllBytes(layer.resolve("bin/tool")));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(layer.resolve("bin/tool"))));
        assertArrayEquals(Files.readAllBytes(base0.resolve("etc/hello")), Files.readAllBytes(layer.resolve("etc/renamed")));
        assertNull(os.getxattr(layer.resolve("bin/tool"), "trusted.overlay.metacopy"));
    }

    /* upper/nothing: marked, but no layer of the base has /nothing */
    @Test
    void commitRefusesAMetadataOnlyCopyWhoseDataIsInNoBaseLayer() throws Exception {
        Path upper = tmp.resolve("orphan-upper");
        marked(upper.resolve("nothing"), 3);
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.stratafs.core.error.FsException.class,
                () -> new ImageCommitter(store).commit("base", upper, "bad", ImageCommitter.Options.defaults()));
        assertEquals(dev.stratafs.core.error.ErrorKind.NOT_SUPPORTED, e.kind());
        assertTrue(e.getMessage().contains("metadata-only copy"), e.getMessage());
        assertFalse(store.list().stream().anyMatch(i -> i.name().equals("bad:latest")));
    }

    /** An empty file of {@code size} bytes with the kernel's metacopy mark, as a metadata-only copy-up leaves it. */
    private Path marked(Path p, long size) throws Exception {
        Files.createDirectories(p.getParent());
        Files.createFile(p);
        sh("truncate", "-s", Long.toString(size), p.toString());
        sh("setfattr", "-n", "trusted.overlay.metacopy", p.toString());
        return p;
    }

    /* history: ENV (empty_layer), fixture layer 0, fixture layer 1 */
    @Test
    void emptyLayerHistoryEntriesHaveNoLayer() throws Exception {
        Path lay = tmp.resolve("hist");
        List<Digest> blobs = Fixtures.ociLayout(lay, "h", List.of(Fixtures.Layer.plain(new Fixtures.Tar().file("a", "a").bytes()),
                Fixtures.Layer.gzipped(new Fixtures.Tar().file("b", "bb").bytes())), true);
        store.importImage(lay + ":h", "hist");
        List<HistoryEntry> h = new ImageInspector(store).history("hist");
        assertEquals(3, h.size());
        assertEquals(blobs.get(1), h.get(0).layer());
        assertEquals(2, h.get(0).size());
        assertEquals(blobs.get(0), h.get(1).layer());
        assertNull(h.get(2).layer());
        assertEquals("ENV A=b", h.get(2).createdBy());
    }
}
