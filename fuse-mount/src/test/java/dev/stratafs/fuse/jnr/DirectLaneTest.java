package dev.stratafs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.DirBackend;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.errno.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.Arrays;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The direct lane fed with request bytes as the kernel writes them (fuse.h), its replies read
 * back from a pipe standing in for /dev/fuse. No mount: the mounted ITs cover the kernel's side.
 *
 * <pre>
 * back/x        0644, user.k = "0123456789"
 * back/d/       (empty directory)
 * back/new      made by a CREATE in one test
 * </pre>
 */
class DirectLaneTest {
    private static final Runtime RT = Runtime.getSystemRuntime();
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();
    private static final long ROOT = 1;

    @TempDir
    Path back;
    LowLevelFuse fuse;
    final int[] pipe = new int[2];
    long unique = 100;

    @BeforeEach
    void setUp() throws Exception {
        Files.createFile(back.resolve("x"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        Files.getFileAttributeView(back.resolve("x"), UserDefinedFileAttributeView.class)
                .write("k", ByteBuffer.wrap("0123456789".getBytes(StandardCharsets.UTF_8)));
        Files.createDirectory(back.resolve("d"));
        fuse = new LowLevelFuse(new DirBackend(back), FuseOptions.builder().timeoutSeconds(2.25).build());
        assertEquals(0, POSIX.pipe(pipe));
    }

    @AfterEach
    void closePipe() {
        POSIX.close(pipe[0]);
        POSIX.close(pipe[1]);
    }

    /** A request: fuse_in_header (uid 0) then {@code args}. */
    private Pointer request(int opcode, long node, byte[] args) {
        Pointer p = Memory.allocateDirect(RT, FuseWire.IN_HEADER + args.length, true);
        p.putInt(0, FuseWire.IN_HEADER + args.length);
        p.putInt(FuseWire.IN_OPCODE, opcode);
        p.putLong(FuseWire.IN_UNIQUE, ++unique);
        p.putLong(FuseWire.IN_NODEID, node);
        p.put(FuseWire.IN_HEADER, args, 0, args.length);
        return p;
    }

    private static ByteBuffer args(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    private static byte[] nameZ(String name) {
        return (name + "\0").getBytes(StandardCharsets.UTF_8);
    }

    /** Serves the request and returns the reply read back: header checked, payload positioned after it. */
    private ByteBuffer serve(Pointer req, int expectedError) {
        assertTrue(fuse.direct(pipe[1], req, req.getInt(0)), "answered by the direct lane");
        byte[] buf = new byte[70_000];
        int n = POSIX.read(pipe[0], buf, buf.length);
        ByteBuffer r = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.nativeOrder());
        assertEquals(n, r.getInt(), "out header len is the whole reply");
        assertEquals(expectedError, r.getInt(), "error");
        assertEquals(unique, r.getLong(), "unique of the request");
        return r;
    }

    private ByteBuffer lookup(String name, int expectedError) {
        return serve(request(FuseWire.LOOKUP, ROOT, nameZ(name)), expectedError);
    }

    @Test
    void lookupRepliesTheEntryWithAttributesAndTimeouts() throws Exception {
        ByteBuffer r = lookup("x", 0);
        assertEquals(16 + FuseWire.ENTRY_OUT, r.limit());
        long node = r.getLong();
        assertTrue(node > ROOT);
        assertEquals(0, r.getLong(), "generation");
        assertEquals(2, r.getLong(), "entry_valid seconds");
        assertEquals(2, r.getLong(), "attr_valid seconds");
        assertEquals(250_000_000, r.getInt(), "entry_valid_nsec");
        assertEquals(250_000_000, r.getInt(), "attr_valid_nsec");
        long ino = r.getLong();
        assertEquals(((Number) Files.getAttribute(back.resolve("x"), "unix:ino")).longValue(), ino);
        assertEquals(0, r.getLong(), "size");
        r.position(16 + 40 + 60);
        assertEquals(0100644, r.getInt(), "mode");
        assertEquals(1, r.getInt(), "nlink");
        assertEquals(node, lookup("x", 0).getLong(), "a second lookup finds the same node");
    }

    @Test
    void lookupOfAMissingNameRepliesACachedAbsence() {
        ByteBuffer r = lookup("nope", 0);
        assertEquals(16 + FuseWire.ENTRY_OUT, r.limit());
        assertEquals(0, r.getLong(), "node 0: a negative entry");
        r.getLong();
        assertEquals(2, r.getLong(), "entry_valid");
    }

    @Test
    void getxattrAnswersTheSizeTheValueOrErange() {
        long node = lookup("x", 0).getLong();
        ByteBuffer size = serve(request(FuseWire.GETXATTR, node, xattrArgs(0, "user.k")), 0);
        assertEquals(10, size.getInt());
        ByteBuffer value = serve(request(FuseWire.GETXATTR, node, xattrArgs(64, "user.k")), 0);
        byte[] v = new byte[value.remaining()];
        value.get(v);
        assertArrayEquals("0123456789".getBytes(StandardCharsets.UTF_8), v);
        ByteBuffer small = serve(request(FuseWire.GETXATTR, node, xattrArgs(4, "user.k")), -Errno.ERANGE);
        assertEquals(0, small.remaining());
        serve(request(FuseWire.GETXATTR, node, xattrArgs(64, "user.none")), -Errno.ENODATA);
    }

    @Test
    void listxattrAnswersTheSizeTheNamesOrErange() {
        long node = lookup("x", 0).getLong();
        byte[] names = "user.k\0".getBytes(StandardCharsets.UTF_8);
        assertEquals(names.length, serve(request(FuseWire.LISTXATTR, node, args(8).putInt(0).array()), 0).getInt());
        ByteBuffer list = serve(request(FuseWire.LISTXATTR, node, args(8).putInt(64).array()), 0);
        byte[] got = new byte[list.remaining()];
        list.get(got);
        assertArrayEquals(names, got);
        serve(request(FuseWire.LISTXATTR, node, args(8).putInt(3).array()), -Errno.ERANGE);
    }

    private static byte[] xattrArgs(int size, String name) {
        byte[] n = nameZ(name);
        return args(8 + n.length).putInt(size).putInt(0).put(n).array();
    }

    @Test
    void setattrChangesModeAndTimesAndRepliesTheNewAttributes() throws Exception {
        long node = lookup("x", 0).getLong();
        ByteBuffer a = args(88);
        a.putInt(FuseWire.FATTR_MODE | FuseWire.FATTR_MTIME).putInt(0).putLong(0).putLong(0).putLong(0);
        a.putLong(0).putLong(1_000_000_000L).putLong(0); // atime, mtime, ctime
        a.putInt(0).putInt(123).putInt(0).putInt(0100600); // atimensec, mtimensec, ctimensec, mode
        ByteBuffer r = serve(request(FuseWire.SETATTR, node, a.array()), 0);
        assertEquals(16 + FuseWire.ATTR_OUT, r.limit());
        assertEquals(2, r.getLong(), "attr_valid");
        r.position(16 + 16 + 32);
        assertEquals(1_000_000_000L, r.getLong(), "mtime");
        r.position(16 + 16 + 52);
        assertEquals(123, r.getInt(), "mtimensec");
        r.position(16 + 16 + 60);
        assertEquals(0100600, r.getInt(), "mode");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(back.resolve("x"))));
        assertEquals(1_000_000_000_000L, Files.getLastModifiedTime(back.resolve("x")).toMillis());
    }

    private long createHandle(String name, int mode, int umask) {
        byte[] n = nameZ(name);
        ByteBuffer a = args(16 + n.length).putInt(01 | 0100).putInt(mode).putInt(umask).putInt(0).put(n); // O_WRONLY|O_CREAT
        ByteBuffer r = serve(request(FuseWire.CREATE, ROOT, a.array()), 0);
        assertEquals(16 + FuseWire.ENTRY_OUT + 16, r.limit(), "entry_out, then open_out");
        assertTrue(r.getLong() > ROOT, "a node for the new file");
        r.position(16 + 40 + 60);
        assertEquals(mode & ~umask, r.getInt(), "mode with the caller's umask taken off");
        r.position(16 + FuseWire.ENTRY_OUT);
        long fh = r.getLong();
        assertTrue(fh > 0);
        assertEquals(FuseWire.FOPEN_NOFLUSH | FuseWire.FOPEN_KEEP_CACHE, r.getInt(), "open_flags");
        return fh;
    }

    private static byte[] writeArgs(long fh, long offset, String data) {
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        return args(40 + d.length).putLong(fh).putLong(offset).putInt(d.length).putInt(0).putLong(0).putInt(0).putInt(0).put(d).array();
    }

    @Test
    void aCreatedFilesHandleTakesWritesUntilItIsReleased() throws Exception {
        long fh = createHandle("new", 0100666, 027);
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(back.resolve("new"))));
        assertEquals(3, serve(request(FuseWire.WRITE, 2, writeArgs(fh, 2, "abc")), 0).getInt(), "write_out.size");
        assertArrayEquals(new byte[] {0, 0, 'a', 'b', 'c'}, Files.readAllBytes(back.resolve("new")));
        serve(request(FuseWire.RELEASE, 2, args(24).putLong(fh).array()), 0);
        serve(request(FuseWire.WRITE, 2, writeArgs(fh, 0, "x")), -Errno.EBADF);
    }

    @Test
    void openOfALookedUpFileRepliesAHandleAndOfAnUnknownNodeEnoent() {
        long node = lookup("x", 0).getLong();
        ByteBuffer r = serve(request(FuseWire.OPEN, node, args(8).putInt(0).putInt(0).array()), 0); // O_RDONLY
        assertEquals(16 + 16, r.limit());
        long fh = r.getLong();
        assertTrue(fh > 0);
        assertEquals(FuseWire.FOPEN_NOFLUSH | FuseWire.FOPEN_KEEP_CACHE, r.getInt());
        serve(request(FuseWire.RELEASE, node, args(24).putLong(fh).array()), 0);
        serve(request(FuseWire.OPEN, 4242, args(8).array()), -Errno.ENOENT);
    }

    /** struct fuse_read_in of a READ: fh, offset, size (read_flags, lock_owner, flags, padding zero). */
    private Pointer readRequest(long node, long fh, long offset, int size) {
        return request(FuseWire.READ, node, args(40).putLong(fh).putLong(offset).putInt(size).array());
    }

    /* back/data: 10,000 bytes of a pattern, made here */
    @Test
    void readOfASmallRangeRepliesItsBytesAndShortAtTheEndOfTheFile() throws Exception {
        byte[] pattern = new byte[10_000];
        for (int i = 0; i < pattern.length; i++) pattern[i] = (byte) (i * 31);
        Files.write(back.resolve("data"), pattern);
        long node = lookup("data", 0).getLong();
        long fh = serve(request(FuseWire.OPEN, node, args(8).array()), 0).getLong();
        ByteBuffer r = serve(readRequest(node, fh, 4096, 4096), 0);
        assertEquals(4096, r.remaining());
        byte[] got = new byte[4096];
        r.get(got);
        assertArrayEquals(Arrays.copyOfRange(pattern, 4096, 8192), got);
        r = serve(readRequest(node, fh, 8192, 8192), 0);
        assertEquals(10_000 - 8192, r.remaining(), "short reply: the end of the file");
        assertEquals(0, serve(readRequest(node, fh, 10_000, 4096), 0).remaining());
        serve(request(FuseWire.RELEASE, node, args(24).putLong(fh).array()), 0);
        serve(readRequest(node, fh, 0, 4096), -Errno.EBADF);
    }

    /*
     * An overlay of one lower layer (lower/data: 10,000 bytes of a pattern) and an empty upper,
     * made here: O_DIRECT reaches the layer's file, and its reads want aligned memory.
     */
    @Test
    void anODirectHandleOfALowerFileReadsWholeAndShortAtTheEnd() throws Exception {
        Path lower = Files.createDirectories(back.resolve("lower"));
        byte[] pattern = new byte[10_000];
        for (int i = 0; i < pattern.length; i++) pattern[i] = (byte) (i * 29);
        Files.write(lower.resolve("data"), pattern);
        // Not in jnr-constants: asm-generic/fcntl.h (x86_64), arch/arm64/include/uapi/asm/fcntl.h.
        String arch = System.getProperty("os.arch");
        int oDirect = arch.equals("amd64") ? 040000 : arch.equals("aarch64") ? 0200000 : -1;
        org.junit.jupiter.api.Assumptions.assumeTrue(oDirect > 0, "O_DIRECT known for this architecture");
        int probe = POSIX.open(lower.resolve("data").toString(), oDirect, 0);
        org.junit.jupiter.api.Assumptions.assumeTrue(probe >= 0, "the temp filesystem takes O_DIRECT");
        POSIX.close(probe);
        try (dev.stratafs.core.OverlayFs ofs = dev.stratafs.core.OverlayFs.open(dev.stratafs.core.StackConfig.builder()
                .lower(lower).upper(Files.createDirectories(back.resolve("up")), Files.createDirectories(back.resolve("wk"))).build())) {
            fuse = new LowLevelFuse(dev.stratafs.fuse.FsBackend.of(ofs), FuseOptions.builder().timeoutSeconds(2.25).build());
            long node = lookup("data", 0).getLong();
            long fh = serve(request(FuseWire.OPEN, node, args(8).putInt(oDirect).putInt(0).array()), 0).getLong();
            ByteBuffer r = serve(readRequest(node, fh, 4096, 4096), 0);
            assertEquals(4096, r.remaining(), "a whole block, read into the reply's page-aligned payload");
            byte[] got = new byte[4096];
            r.get(got);
            assertArrayEquals(Arrays.copyOfRange(pattern, 4096, 8192), got);
            r = serve(readRequest(node, fh, 8192, 4096), 0);
            assertEquals(10_000 - 8192, r.remaining(), "the tail: the aligned length asked, a short answer");
            got = new byte[10_000 - 8192];
            r.get(got);
            assertArrayEquals(Arrays.copyOfRange(pattern, 8192, 10_000), got);
            serve(request(FuseWire.RELEASE, node, args(24).putLong(fh).array()), 0);
        }
    }

    @Test
    void readsAboveTheDirectLimitAreLeftToLibfuseWhichSplicesThem() {
        assertFalse(fuse.direct(pipe[1], readRequest(ROOT, 77, 0, LowLevelFuse.DIRECT_READ_MAX + 1), 80));
        assertFalse(fuse.direct(pipe[1], readRequest(ROOT, 77, 0, -1), 80), "size is unsigned: 4 GiB - 1");
        POSIX.fcntlInt(pipe[0], jnr.constants.platform.Fcntl.F_SETFL, 04000); // O_NONBLOCK
        assertEquals(-1, POSIX.read(pipe[0], new byte[16], 16), "nothing was written");
    }

    @Test
    void getattrOfAnUnknownNodeIsEnoent() {
        serve(request(FuseWire.GETATTR, 4242, args(16).array()), -Errno.ENOENT);
    }

    @Test
    void writeWithAHandleNobodyOpenedIsEbadf() {
        ByteBuffer a = args(40 + 3).putLong(77).putLong(0).putInt(3).putInt(0).putLong(0).putInt(0).putInt(0);
        a.put("abc".getBytes(StandardCharsets.UTF_8));
        serve(request(FuseWire.WRITE, ROOT, a.array()), -Errno.EBADF);
    }

    /** struct fuse_read_in of a READDIR(PLUS) on a directory the kernel opened itself (fh 0). */
    private Pointer readdirRequest(boolean plus, long offset, int size) {
        return request(plus ? FuseWire.READDIRPLUS : FuseWire.READDIR, ROOT,
                args(40).putLong(0).putLong(offset).putInt(size).array());
    }

    /** One struct fuse_dirent as read from a reply: name, d_ino, the offset to resume at, DT_* type. */
    private record Dirent(String name, long ino, long next, int type) {}

    private static Dirent dirent(ByteBuffer r) {
        int start = r.position();
        long ino = r.getLong();
        long next = r.getLong();
        int len = r.getInt();
        int type = r.getInt();
        byte[] name = new byte[len];
        r.get(name);
        int padded = start + ((24 + len + 7) & ~7);
        while (r.position() < padded) assertEquals(0, r.get(), "padding is zeroed");
        return new Dirent(new String(name, StandardCharsets.UTF_8), ino, next, type);
    }

    /* "." "..", then d/ and x of the fixture; each entry padded to 8 bytes; from the last offset on, nothing */
    @Test
    void readdirPacksEveryEntryAlignedAndResumesFromTheLastOffset() throws Exception {
        ByteBuffer r = serve(readdirRequest(false, 0, 4096), 0);
        java.util.Map<String, Dirent> got = new java.util.LinkedHashMap<>();
        while (r.hasRemaining()) {
            assertEquals(0, (r.position() - 16) % 8, "entries start 8-byte aligned");
            Dirent e = dirent(r);
            got.put(e.name(), e);
        }
        java.util.List<String> order = java.util.List.copyOf(got.keySet());
        assertEquals(java.util.List.of(".", ".."), order.subList(0, 2), "dot entries first");
        assertEquals(java.util.List.of(".", "..", "d", "x"), sorted(got.keySet()));
        assertEquals(4, got.get("d").type(), "DT_DIR");
        assertEquals(8, got.get("x").type(), "DT_REG");
        assertEquals(((Number) Files.getAttribute(back.resolve("x"), "unix:ino")).longValue(), got.get("x").ino());
        long last = java.util.List.copyOf(got.values()).get(got.size() - 1).next();
        assertEquals(0, serve(readdirRequest(false, last, 4096), 0).remaining(), "end of the directory");
    }

    private static java.util.List<String> sorted(java.util.Set<String> names) {
        java.util.List<String> l = new java.util.ArrayList<>(names);
        java.util.Collections.sort(l);
        return l;
    }

    /* a size with room for one entry: one entry per reply, and its offset leads to the next */
    @Test
    void readdirGivesAsManyEntriesAsFitAndTheNextCallGoesOn() {
        java.util.List<String> names = new java.util.ArrayList<>();
        long off = 0;
        for (int calls = 0; calls < 10; calls++) {
            ByteBuffer r = serve(readdirRequest(false, off, 32), 0);
            if (!r.hasRemaining()) break;
            Dirent e = dirent(r);
            assertFalse(r.hasRemaining(), "one 32-byte entry per reply");
            names.add(e.name());
            off = e.next();
        }
        assertEquals(java.util.List.of(".", "..", "d", "x"), sorted(new java.util.HashSet<>(names)));
        assertEquals(4, names.size());
    }

    /* READDIRPLUS: "." and ".." go without a node (0); x carries its entry and attributes, and counts a lookup */
    @Test
    void readdirplusCarriesEntriesWithAttributesAndTheSameNodesAsLookup() throws Exception {
        ByteBuffer r = serve(readdirRequest(true, 0, 4096), 0);
        java.util.Map<String, long[]> nodes = new java.util.HashMap<>();
        while (r.hasRemaining()) {
            int at = r.position();
            long node = r.getLong();
            r.position(at + FuseWire.ENTRY_OUT_ATTR);
            long attrIno = r.getLong();
            r.position(at + FuseWire.ENTRY_OUT_ATTR + 60);
            int mode = r.getInt();
            r.position(at + FuseWire.ENTRY_OUT);
            Dirent e = dirent(r);
            assertEquals(e.ino(), attrIno, "d_ino is the attributes' ino: " + e.name());
            nodes.put(e.name(), new long[] {node, mode});
        }
        assertEquals(0, nodes.get(".")[0]);
        assertEquals(0, nodes.get("..")[0]);
        assertTrue(nodes.get("x")[0] > ROOT);
        assertEquals(0100644, nodes.get("x")[1]);
        assertEquals(040000, nodes.get("d")[1] & 0170000);
        assertEquals(nodes.get("x")[0], lookup("x", 0).getLong(), "the node a later LOOKUP finds");
    }

    @Test
    void releaseOfAHandleAlreadyGoneSucceeds() {
        ByteBuffer r = serve(request(FuseWire.RELEASE, ROOT, args(24).putLong(77).array()), 0);
        assertEquals(0, r.remaining());
    }

    @Test
    void interruptIsTakenWithoutReplyAndOtherOpcodesAreLeftToLibfuse() {
        assertTrue(fuse.direct(pipe[1], request(FuseWire.INTERRUPT, 0, args(8).array()), 48));
        int mkdir = 9;
        assertFalse(fuse.direct(pipe[1], request(mkdir, ROOT, args(8).putInt(0755).array()), 48));
        POSIX.fcntlInt(pipe[0], jnr.constants.platform.Fcntl.F_SETFL, 04000); // O_NONBLOCK
        assertEquals(-1, POSIX.read(pipe[0], new byte[16], 16), "nothing was written");
    }

    @Test
    void aRequestTooShortForItsNameIsAnsweredEioAndTheLaneGoesOn() {
        Pointer bad = request(FuseWire.LOOKUP, ROOT, nameZ("x"));
        bad.putInt(0, 20); // shorter than its own header
        assertTrue(fuse.direct(pipe[1], bad, 20));
        byte[] buf = new byte[64];
        ByteBuffer r = ByteBuffer.wrap(buf, 0, POSIX.read(pipe[0], buf, buf.length)).order(ByteOrder.nativeOrder());
        assertEquals(16, r.getInt());
        assertEquals(-Errno.EIO, r.getInt());
        lookup("x", 0);
    }

    @Test
    void timeoutsSplitIntoSecondsAndNanosecondsAsLibfuseDoes() {
        double[] t = {0, -1, 0.5, 2.25, 1e9, 1e30};
        long[] sec = {0, 0, 0, 2, 1_000_000_000L, -1L};
        int[] nsec = {0, 0, 500_000_000, 250_000_000, 0, 0};
        for (int i = 0; i < t.length; i++) {
            assertEquals(sec[i], FuseWire.seconds(t[i]), "seconds of " + t[i]);
            assertEquals(nsec[i], FuseWire.nanos(t[i]), "nanos of " + t[i]);
        }
    }
}
