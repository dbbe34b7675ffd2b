package dev.stratafs.core.image;

import dev.stratafs.core.nat.Natives;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LayerUnpackerTest {
    private final dev.stratafs.core.nat.NativeOs os = Natives.get();
    private Path tmp;
    private Path dest;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "unpack");
        dest = tmp.resolve("layer");
        Files.createDirectory(dest);
    }

    @AfterEach
    void tearDown() throws IOException {
        Trees.delete(tmp);
    }

    private UnpackStats unpack(byte[] tar) throws IOException {
        return new LayerUnpacker(os).unpack(new ByteArrayInputStream(tar), dest);
    }

    /*
     * d/            (dir, entries first)
     * d/keep        file
     * d/.wh..wh..opq  marker last in tar order
     * .wh.gone      whiteout
     */
    @Test
    void opaqueMarkerAfterSiblingsStillMakesDirOpaqueAndWhiteoutBecomesDevice00() throws IOException {
        UnpackStats s = unpack(new Fixtures.Tar().dir("d", 0755).file("d/keep", "k")
                .file("d/.wh..wh..opq", "").file(".wh.gone", "").bytes());
        assertArrayEquals(new byte[] {'y'}, os.getxattr(dest.resolve("d"), "trusted.overlay.opaque"));
        assertEquals("k", Files.readString(dest.resolve("d/keep")));
        assertFalse(Files.exists(dest.resolve("d/.wh..wh..opq")));
        StatInfo wh = os.lstat(dest.resolve("gone"));
        assertTrue(wh.isCharDevice());
        assertEquals(0, wh.rdev());
        assertEquals(1, s.whiteouts());
        assertEquals(1, s.opaqueDirs());
    }

    /*
     * <a 150-char dir>/<120-char file>  (PAX path)
     * x                file 0640, uid 1234 gid 5678, mtime 1600000000, xattr user.color=blue
     * hl               hard link to x
     * sl -> /nowhere   symlink
     * fifo             FIFO
     * null             char device 1/3
     */
    @Test
    void paxNamesXattrsHardLinksSymlinksFifosDevicesOwnersModesAndTimesSurvive() throws IOException {
        String longDir = "a".repeat(150);
        String longName = longDir + "/" + "b".repeat(120);
        Fixtures.Tar t = new Fixtures.Tar();
        var x = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("x");
        x.setMode(0100640);
        x.setSize(5);
        x.setUserId(1234);
        x.setGroupId(5678);
        x.addPaxHeader("SCHILY.xattr.user.color", "blue");
        t.put(x, "hello".getBytes(StandardCharsets.UTF_8));
        t.file(longName, "long").entry("hl", TarConstants.LF_LINK, "x").entry("sl", TarConstants.LF_SYMLINK, "/nowhere")
                .entry("fifo", TarConstants.LF_FIFO, null).device("null", TarConstants.LF_CHR, 1, 3)
                .dir("late", 0750);
        unpack(t.bytes());

        assertEquals("long", Files.readString(dest.resolve(longName)));
        StatInfo xs = os.lstat(dest.resolve("x"));
        assertEquals(0640, xs.perm());
        assertEquals(1234, xs.uid());
        assertEquals(5678, xs.gid());
        assertEquals(1_600_000_000L, xs.mtimeSec());
        assertEquals(2, xs.nlink());
        assertEquals(xs.ino(), os.lstat(dest.resolve("hl")).ino());
        assertArrayEquals("blue".getBytes(StandardCharsets.UTF_8), os.getxattr(dest.resolve("x"), "user.color"));
        assertEquals("/nowhere", os.readlink(dest.resolve("sl")));
        assertEquals(StatInfo.S_IFIFO, os.lstat(dest.resolve("fifo")).type());
        StatInfo dev = os.lstat(dest.resolve("null"));
        assertTrue(dev.isCharDevice());
        assertEquals(1, StatInfo.major(dev.rdev()));
        assertEquals(3, StatInfo.minor(dev.rdev()));
        StatInfo late = os.lstat(dest.resolve("late"));
        assertEquals(0750, late.perm());
        assertEquals(1_600_000_000L, late.mtimeSec(), "directory mtimes are set after their children");
    }

    /* d/f with SCHILY.xattr.trusted.overlay.redirect=/elsewhere: must not reach the disk */
    @Test
    void overlayPrivateXattrsInTarAreDropped() throws IOException {
        unpack(new Fixtures.Tar().file("f", "x", 0644,
                Map.of("SCHILY.xattr.trusted.overlay.redirect", "/etc", "SCHILY.xattr.user.ok", "1")).bytes());
        assertNull(os.getxattr(dest.resolve("f"), "trusted.overlay.redirect"));
        assertArrayEquals(new byte[] {'1'}, os.getxattr(dest.resolve("f"), "user.ok"));
    }

    /* .wh.x then x (same layer): the layer's own file wins, no device left */
    @Test
    void fileAfterItsWhiteoutInSameLayerReplacesTheDevice() throws IOException {
        unpack(new Fixtures.Tar().file(".wh.x", "").file("x", "new").bytes());
        assertTrue(os.lstat(dest.resolve("x")).isRegular());
        assertEquals("new", Files.readString(dest.resolve("x")));
    }

    @Test
    void dotDotIsRejected() {
        FsException e = assertThrows(FsException.class,
                () -> unpack(new Fixtures.Tar().file("a/../../escape", "x").bytes()));
        assertEquals(ErrorKind.INVALID, e.kind());
        assertFalse(Files.exists(tmp.resolve("escape")));
    }

    @Test
    void absolutePathIsRejected() throws IOException {
        byte[] tar = new Fixtures.Tar().file("placeholder-name", "x").bytes();
        // commons-compress strips a leading '/' when writing, so patch the header's name field
        byte[] abs = "/tmp/abs-escape".getBytes(StandardCharsets.US_ASCII);
        Arrays.fill(tar, 0, 100, (byte) 0);
        System.arraycopy(abs, 0, tar, 0, abs.length);
        fixChecksum(tar, 0);
        FsException ex = assertThrows(FsException.class, () -> unpack(tar));
        assertTrue(ex.getMessage().contains("absolute"), ex.getMessage());
        assertFalse(Files.exists(Path.of("/tmp/abs-escape")));
    }

    /* link -> OUTSIDE (a directory outside the layer); entry link/planted must not land in OUTSIDE */
    @Test
    void entryBelowSymlinkPointingOutsideIsRejected() throws IOException {
        Path outside = tmp.resolve("outside");
        Files.createDirectory(outside);
        FsException e = assertThrows(FsException.class, () -> unpack(new Fixtures.Tar()
                .entry("link", TarConstants.LF_SYMLINK, outside.toString()).file("link/planted", "x").bytes()));
        assertEquals(ErrorKind.INVALID, e.kind());
        assertFalse(Files.exists(outside.resolve("planted")));
    }

    @Test
    void hardLinkToOutsideIsRejected() {
        FsException e = assertThrows(FsException.class, () -> unpack(new Fixtures.Tar()
                .entry("pw", TarConstants.LF_LINK, "../../../etc/passwd").bytes()));
        assertEquals(ErrorKind.INVALID, e.kind());
        assertFalse(Files.exists(dest.resolve("pw")));
    }

    /* sl -> /etc ; hard link through sl/passwd must not link the host's file */
    @Test
    void hardLinkThroughSymlinkIsRejected() {
        FsException e = assertThrows(FsException.class, () -> unpack(new Fixtures.Tar()
                .entry("sl", TarConstants.LF_SYMLINK, "/etc").entry("pw", TarConstants.LF_LINK, "sl/passwd").bytes()));
        assertEquals(ErrorKind.INVALID, e.kind());
    }

    @Test
    void truncatedArchiveIsAnError() throws IOException {
        byte[] tar = new Fixtures.Tar().file("big", "x".repeat(5000)).bytes();
        byte[] cut = Arrays.copyOf(tar, 512 + 2048);
        assertThrows(IOException.class, () -> unpack(cut));
    }

    static void fixChecksum(byte[] tar, int off) {
        Arrays.fill(tar, off + 148, off + 156, (byte) ' ');
        long sum = 0;
        for (int i = 0; i < 512; i++) {
            sum += tar[off + i] & 0xff;
        }
        byte[] c = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(c, 0, tar, off + 148, 8);
    }

    /* GNU tar --xattrs of f with user.bin=ff 00 fe 80 (not UTF-8) and user.txt=plain */
    @Test
    void binaryXattrValuesFromGnuTarArriveByteExact() throws Exception {
        Path src = tmp.resolve("src");
        Files.createDirectory(src);
        Files.writeString(src.resolve("f"), "hi");
        Fixtures.sh("setfattr", "-n", "user.bin", "-v", "0xff00fe80", src.resolve("f").toString());
        Fixtures.sh("setfattr", "-n", "user.txt", "-v", "plain", src.resolve("f").toString());
        Path tar = tmp.resolve("x.tar");
        Fixtures.sh("tar", "--xattrs", "--xattrs-include=*", "--format=posix", "-cf", tar.toString(), "-C", src.toString(), ".");
        unpack(Files.readAllBytes(tar));
        assertArrayEquals(new byte[] {(byte) 0xff, 0, (byte) 0xfe, (byte) 0x80}, os.getxattr(dest.resolve("f"), "user.bin"));
        assertArrayEquals("plain".getBytes(StandardCharsets.UTF_8), os.getxattr(dest.resolve("f"), "user.txt"));
    }

    /** The same system calls, but claiming to run as uid 1000. */
    private NativeOs asNonRoot() {
        return (NativeOs) java.lang.reflect.Proxy.newProxyInstance(NativeOs.class.getClassLoader(),
                new Class<?>[] {NativeOs.class}, (proxy, m, args) -> {
                    if (m.getName().equals("geteuid")) {
                        return 1000;
                    }
                    try {
                        return m.invoke(os, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    /* null: char device 1/3 in a layer unpacked without root */
    @Test
    void deviceWithoutRootIsRefused() {
        FsException e = assertThrows(FsException.class, () -> new LayerUnpacker(asNonRoot()).unpack(
                new ByteArrayInputStream(new Fixtures.Tar().device("null", TarConstants.LF_CHR, 1, 3).bytes()), dest));
        assertEquals(ErrorKind.NOT_PERMITTED, e.kind());
        assertFalse(Files.exists(dest.resolve("null"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }
}
