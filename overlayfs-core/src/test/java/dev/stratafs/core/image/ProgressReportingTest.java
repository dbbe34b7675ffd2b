package dev.stratafs.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.Natives;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The long image operations report phases whose advanced bytes add up to their totals. */
class ProgressReportingTest {
    private final NativeOs os = Natives.get();
    private Path tmp;
    private ImageStore store;

    /** One reported phase: what start() said, what advance() added up to, whether done() came. */
    static final class Phase {
        final String name;
        final long total;
        long advanced;
        boolean done;

        Phase(String name, long total) {
            this.name = name;
            this.total = total;
        }

        @Override
        public String toString() {
            return name + " " + advanced + "/" + total + (done ? " done" : "");
        }
    }

    /** Records phases and fails on misuse: advance outside a phase, a phase begun inside another. */
    static final class Recording implements Progress {
        final List<Phase> phases = new ArrayList<>();

        private Phase open() {
            return phases.isEmpty() || phases.get(phases.size() - 1).done ? null : phases.get(phases.size() - 1);
        }

        @Override
        public void start(String phase, long totalBytes) {
            assertEquals(null, open(), "phase " + phase + " begun while another is open");
            phases.add(new Phase(phase, totalBytes));
        }

        @Override
        public void advance(long bytes) {
            assertTrue(bytes > 0, "advance by " + bytes);
            Phase p = open();
            assertTrue(p != null, "advance outside a phase");
            p.advanced += bytes;
        }

        @Override
        public void done() {
            Phase p = open();
            assertTrue(p != null, "done outside a phase");
            p.done = true;
        }

        List<Phase> named(String part) {
            return phases.stream().filter(p -> p.name.contains(part)).toList();
        }

        void assertAllAddUp() {
            assertFalse(phases.isEmpty());
            for (Phase p : phases) {
                assertTrue(p.done, p.toString());
                assertEquals(p.total, p.advanced, p.toString());
            }
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "progress");
        store = ImageStore.open(tmp.resolve("store"), os);
    }

    @AfterEach
    void tearDown() throws Exception {
        Trees.delete(tmp);
    }

    /* img:base is one layer, img:derived is base + one layer (see ImageStoreImportTest.umociLayout) */
    @Test
    void importReportsEachNewLayerWithBytesEqualToItsBlobSize() throws Exception {
        Path img = ImageStoreImportTest.umociLayout(tmp);
        Recording base = new Recording();
        store.importImage(img + ":base", "base", base);
        Recording derived = new Recording();
        StoredImage im = store.importImage(img + ":derived", "derived", derived);

        base.assertAllAddUp();
        derived.assertAllAddUp();
        long layer0 = im.layers().get(0).blob().size();
        long layer1 = im.layers().get(1).blob().size();
        assertEquals(List.of(layer0), base.named("unpacking").stream().map(p -> p.total).toList());
        assertEquals(List.of(layer0), base.named("copying").stream().map(p -> p.total).toList());
        // the shared base layer is already stored: neither copied nor unpacked again
        assertEquals(List.of(layer1), derived.named("unpacking").stream().map(p -> p.total).toList());
        assertEquals(List.of(layer1), derived.named("copying").stream().map(p -> p.total).toList());
        assertEquals("layer 2/2 sha256:" + im.layers().get(1).blob().digest().shortHex() + " unpacking",
                derived.named("unpacking").get(0).name);
    }

    /*
     * upper/ a (1000 bytes), b/c (5000 bytes), b/c2 (hard link to b/c), ln -> a, empty/
     */
    @Test
    void commitCountsFileContentOnceAndThenTheNewLayersImport() throws Exception {
        Path img = ImageStoreImportTest.umociLayout(tmp);
        store.importImage(img + ":base", "base");
        Path upper = tmp.resolve("upper");
        Files.createDirectories(upper.resolve("b"));
        Files.createDirectories(upper.resolve("empty"));
        Files.write(upper.resolve("a"), new byte[1000]);
        Files.write(upper.resolve("b/c"), new byte[5000]);
        Files.createLink(upper.resolve("b/c2"), upper.resolve("b/c"));
        Files.createSymbolicLink(upper.resolve("ln"), Path.of("a"));

        Recording r = new Recording();
        StoredImage im = new ImageCommitter(store).commit("base", upper, "c", ImageCommitter.Options.defaults(), r);

        r.assertAllAddUp();
        assertEquals(6000, r.named("committing").get(0).total);
        long newBlob = im.layers().get(1).blob().size();
        assertEquals(List.of(newBlob), r.named("unpacking").stream().map(p -> p.total).toList());
    }

    @Test
    void squashExportAndAnalyzeReportPhasesThatAddUp() throws Exception {
        Path img = ImageStoreImportTest.umociLayout(tmp);
        store.importImage(img + ":derived", "derived");
        StoredImage im = store.image("derived");

        Recording squash = new Recording();
        new ImageSquasher(store).squash("derived", "flat", Instant.EPOCH, squash);
        squash.assertAllAddUp();
        assertEquals(1, squash.named("squashing 2 layers").size());

        Recording oci = new Recording();
        new ImageExporter(store).export("derived", tmp.resolve("out"), ImageExporter.Format.OCI, oci);
        oci.assertAllAddUp();
        Recording docker = new Recording();
        new ImageExporter(store).export("derived", tmp.resolve("out.tar"), ImageExporter.Format.DOCKER_ARCHIVE, docker);
        docker.assertAllAddUp();
        // Distinct blobs by digest: two different layers may well have the same size.
        java.util.Map<Digest, Long> blobSizes = new java.util.LinkedHashMap<>();
        im.layers().forEach(l -> blobSizes.put(l.blob().digest(), l.blob().size()));
        assertEquals(blobSizes.values().stream().mapToLong(Long::longValue).sum(), docker.phases.get(0).total);

        Recording analyze = new Recording();
        new ImageAnalyzer(store).analyze("derived", analyze);
        assertEquals(2, analyze.named("scanning").size());
        for (Phase p : analyze.phases) {
            assertTrue(p.done && p.advanced >= p.total && p.total >= 0, p.toString());
        }
    }
}
