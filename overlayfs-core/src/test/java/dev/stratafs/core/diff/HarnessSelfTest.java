package dev.stratafs.core.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The harness must see differences: its comparison, error mapping and fixture builder checked. */
class HarnessSelfTest {
    private static Node file(String path, int perm, String content, long ino) {
        return new Node(path, StatInfo.S_IFREG | perm, 0, 0, content.length(), Node.describeContent(content.getBytes()),
                null, 0, new TreeMap<>(), 1, 1_000_000_000L, 0, ino);
    }

    private static TreeSnapshot tree(String label, Node... nodes) {
        Map<String, Node> m = new TreeMap<>();
        m.put("", new Node("", StatInfo.S_IFDIR | 0755, 0, 0, 0, null, null, 0, new TreeMap<>(), 2, 0, 0, 1));
        for (Node n : nodes) m.put(n.path(), n);
        return new TreeSnapshot(label, m, List.of());
    }

    @Test
    void snapshotDiffNamesEveryDifferingPathAndField() {
        TreeSnapshot a = tree("A", file("same", 0644, "x", 2), file("mode", 0644, "x", 3), file("data", 0644, "x", 4),
                file("onlyA", 0644, "x", 5));
        TreeSnapshot b = tree("B", file("same", 0644, "x", 12), file("mode", 0600, "x", 13), file("data", 0644, "y", 14),
                file("onlyB", 0644, "x", 15));
        List<String> d = SnapshotDiff.diff(a, b, SnapshotDiff.mergedView(2_000_000_000L));
        assertEquals(4, d.size(), d.toString());
        assertTrue(d.get(0).startsWith("/data: content \"x\" vs \"y\""), d.get(0));
        assertTrue(d.get(1).startsWith("/mode: mode 0644 vs 0600"), d.get(1));
        assertTrue(d.get(2).startsWith("/onlyA: only in A"), d.get(2));
        assertTrue(d.get(3).startsWith("/onlyB: only in B"), d.get(3));
    }

    @Test
    void hardLinkStructureIsComparedNotInodeNumbers() {
        TreeSnapshot linked = tree("A", file("a", 0644, "x", 7), file("b", 0644, "x", 7));
        TreeSnapshot split = tree("B", file("a", 0644, "x", 8), file("b", 0644, "x", 9));
        List<String> d = SnapshotDiff.diff(linked, split, SnapshotDiff.mergedView(2_000_000_000L));
        assertEquals(2, d.size(), d.toString());
        assertTrue(d.get(0).contains("hard-link peers [/b] vs []"), d.get(0));
    }

    @Test
    void oldTimesMustBeEqualButTwoRecentTimesAgree() {
        Node old = file("f", 0644, "x", 2);
        Node otherOld = new Node("f", old.mode(), 0, 0, 1, old.content(), null, 0, new TreeMap<>(), 1, 1_000_000_001L, 0, 2);
        Node now1 = new Node("f", old.mode(), 0, 0, 1, old.content(), null, 0, new TreeMap<>(), 1, 2_000_000_001L, 5, 2);
        Node now2 = new Node("f", old.mode(), 0, 0, 1, old.content(), null, 0, new TreeMap<>(), 1, 2_000_000_002L, 9, 2);
        SnapshotDiff.Rules r = SnapshotDiff.mergedView(2_000_000_000L);
        assertEquals(1, SnapshotDiff.diff(tree("A", old), tree("B", otherOld), r).size());
        assertEquals(1, SnapshotDiff.diff(tree("A", old), tree("B", now1), r).size());
        assertEquals(List.of(), SnapshotDiff.diff(tree("A", now1), tree("B", now2), r));
    }

    @Test
    void upperRulesIgnoreKernelBookkeepingButNotOpaque() {
        Node plain = file("f", 0644, "x", 2);
        TreeMap<String, String> book = new TreeMap<>(Map.of("trusted.overlay.origin", "00", "trusted.overlay.impure", "79",
                "trusted.overlay.stratafs.x", "1"));
        Node withBook = new Node("f", plain.mode(), 0, 0, 1, plain.content(), null, 0, book, 1, plain.mtimeSec(), 0, 2);
        Node opaque = new Node("f", plain.mode(), 0, 0, 1, plain.content(), null, 0,
                new TreeMap<>(Map.of("trusted.overlay.opaque", "79")), 1, plain.mtimeSec(), 0, 2);
        SnapshotDiff.Rules r = SnapshotDiff.upperDir(2_000_000_000L);
        assertEquals(List.of(), SnapshotDiff.diff(tree("A", plain), tree("B", withBook), r));
        assertEquals(1, SnapshotDiff.diff(tree("A", plain), tree("B", opaque), r).size());
    }

    @Test
    void kernelErrorsMapJavaNioAndStrerrorTexts() {
        assertEquals(ErrorKind.NOT_FOUND, KernelErrors.kindOf(new NoSuchFileException("x")));
        assertEquals(ErrorKind.ACCESS_DENIED, KernelErrors.kindOf(new AccessDeniedException("x")));
        assertEquals(ErrorKind.CROSS_DEVICE, KernelErrors.kindOf(new AtomicMoveNotSupportedException("a", "b", "r")));
        assertEquals(ErrorKind.IS_DIRECTORY, KernelErrors.kindOf(new FileSystemException("d", null, "Is a directory")));
        assertEquals(ErrorKind.NOT_PERMITTED, KernelErrors.kindOf(new FileSystemException("d", null, "Operation not permitted")));
        assertEquals(ErrorKind.NO_ATTRIBUTE, KernelErrors.fromStrerror("getfattr: /m/f: user.x: No such attribute"));
        assertEquals(ErrorKind.NOT_EMPTY, KernelErrors.fromStrerror("rmdir: failed to remove '/m/d': Directory not empty"));
        assertThrows(IllegalStateException.class, () -> KernelErrors.kindOf(new IOException("gibberish")));
    }

    @Test
    void getfattrOutputIsParsedPerFile() {
        var m = HostWalker.parseGetfattr("# file: /t/a\nuser.x=0x6869\ntrusted.overlay.opaque=0x79\n\n# file: /t/b/c\nuser.e=\n\n");
        assertEquals(Map.of("user.x", "6869", "trusted.overlay.opaque", "79"), m.get("/t/a"));
        assertEquals(Map.of("user.e", ""), m.get("/t/b/c"));
    }

    @Test
    void fixtureBuildsAreIdenticalApartFromInodes() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(KernelOverlay.available(), KernelOverlay::unavailableReason);
        Path base = Files.createTempDirectory(Path.of("/tmp"), "stratafs-fixture-");
        try {
            LayerFixture fx = WhiteoutFormatDiffTest.fixture();
            List<Path> a = fx.build(base.resolve("a"), WhiteoutFormat.XATTR);
            List<Path> b = fx.build(base.resolve("b"), WhiteoutFormat.XATTR);
            for (int i = 0; i < a.size(); i++) {
                TreeSnapshot sa = HostWalker.snapshot("a", a.get(i));
                TreeSnapshot sb = HostWalker.snapshot("b", b.get(i));
                assertEquals(List.of(), SnapshotDiff.diff(sa, sb, SnapshotDiff.mergedView(Long.MAX_VALUE)));
                assertTrue(sa.nodes().size() > 2, "layer " + i + " is built: " + sa.nodes().keySet());
            }
        } finally {
            CoreSide.delete(base);
        }
    }

    /*
     * End to end: a kernel-side "equivalent" that adds a file the core never got must make the
     * run fail, naming the path in every comparison that sees it.
     *
     * lower 0: f "f"
     */
    @Test
    void harnessFailsWhenTheSidesDiverge() {
        LayerFixture fx = LayerFixture.builder().layer(l -> l.file("f", "f")).build();
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> DiffHarness.run(Scenario.on(fx)
                .expectDifference(Ops.stat("/f"), "OK", "OK", "deliberate divergence", k -> k.create("/extra", 0644, true))
                .build()));
        assertTrue(e.getMessage().contains("merged view: /extra: only in kernel"), e.getMessage());
        assertTrue(e.getMessage().contains("upper directory on disk: /extra: only in kernel upper"), e.getMessage());
    }
}
