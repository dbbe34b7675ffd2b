package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.MountedStack;
import dev.stratafs.fuse.Sh;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FUSE passthrough (the default on kernels that offer it): reads and writes of upper files go
 * from the kernel to the upper file, and never reach the daemon; lower files stay with the
 * daemon, so a read handle still follows a copy-up made through another handle.
 *
 * <pre>
 * lower0/
 *   lower.txt   "lower\n"
 * upper/        (files made by the tests)
 * </pre>
 */
class KernelPassthroughMountIT {
    @TempDir
    Path tmp;
    MountedStack stack;
    Path mnt;

    @BeforeEach
    void setUp() throws IOException {
        // Other users (the setuid test) must reach the mount point.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        stack = MountedStack.create(tmp, 1);
        Files.writeString(stack.lower(0).resolve("lower.txt"), "lower\n");
    }

    @AfterEach
    void tearDown() throws IOException {
        stack.close();
    }

    private void mount(boolean passthrough) throws IOException {
        stack.mount(options(passthrough));
        mnt = stack.mnt();
    }

    private static FuseOptions options(boolean passthrough) {
        return FuseOptions.builder().timeoutSeconds(60).allowOther(true).defaultPermissions(true)
                .passthrough(passthrough).build();
    }

    private long requests(String op) {
        return stack.session().requestCount(op);
    }

    /** 1 MiB of random bytes written in 4 KiB pieces to a new file, then read back through the mount. */
    private byte[] writeAndReadBack(Path f) throws IOException {
        byte[] data = new byte[1 << 20];
        new Random(5).nextBytes(data);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int off = 0; off < data.length; off += 4096) ch.write(ByteBuffer.wrap(data, off, 4096));
        }
        assertArrayEquals(data, Files.readAllBytes(f));
        return data;
    }

    @Test
    void upperFileWritesAndReadsNeverReachTheDaemon() throws IOException {
        mount(true);
        byte[] data = writeAndReadBack(mnt.resolve("new.bin"));
        assertArrayEquals(data, Files.readAllBytes(stack.upper().resolve("new.bin")));
        assertEquals(0, requests("write"), "WRITE requests");
        assertEquals(0, requests("read"), "READ requests");
    }

    @Test
    void withPassthroughOffTheSameWorkGoesThroughTheDaemon() throws IOException {
        mount(false);
        writeAndReadBack(mnt.resolve("new.bin"));
        assertEquals(256, requests("write"), "one WRITE per write(2)");
        assertTrue(requests("read") > 0, "READ requests");
    }

    @Test
    void readOnlyStackPassesLowerFilesThroughSinceNothingCanCopyThemUp() throws IOException {
        // ro/lower0/ro.bin: 64 KiB, in a stack of its own without an upper layer.
        Path mounted;
        try (MountedStack ro = MountedStack.readOnly(Files.createDirectory(tmp.resolve("ro")), 1)) {
            byte[] data = new byte[1 << 16];
            new Random(7).nextBytes(data);
            Files.write(ro.lower(0).resolve("ro.bin"), data);
            ro.mount(options(true));
            mounted = ro.mnt();
            assertArrayEquals(data, Files.readAllBytes(mounted.resolve("ro.bin")));
            assertEquals(0, ro.session().requestCount("read"), "READ requests");
        }
        assertFalse(DirBackendMountIT.fuseMountedAt(mounted), "mount left behind");
    }

    @Test
    void lowerFileOfAWritableStackIsReadThroughTheDaemon() throws IOException {
        mount(true);
        assertEquals("lower\n", Files.readString(mnt.resolve("lower.txt")));
        assertTrue(requests("read") > 0, "a lower handle may still have to follow a copy-up");
    }

    @Test
    void readHandleOnALowerFileSeesWritesMadeAfterAnotherHandleCopiedItUp() throws IOException {
        mount(true);
        Path f = mnt.resolve("lower.txt");
        try (FileChannel reader = FileChannel.open(f, StandardOpenOption.READ)) {
            try (FileChannel writer = FileChannel.open(f, StandardOpenOption.WRITE)) {
                writer.write(ByteBuffer.wrap("UPPER\n".getBytes(StandardCharsets.US_ASCII)), 0);
                ByteBuffer got = ByteBuffer.allocate(16);
                reader.read(got, 0);
                assertEquals("UPPER\n", new String(got.array(), 0, got.position(), StandardCharsets.US_ASCII));
            }
        }
        assertEquals("UPPER\n", Files.readString(stack.upper().resolve("lower.txt")));
        assertTrue(requests("write") > 0, "next to a cached handle the writer went through the daemon");
        long before = requests("write");
        // Both handles closed: the copied-up file now passes through.
        try (FileChannel writer = FileChannel.open(f, StandardOpenOption.WRITE)) {
            writer.write(ByteBuffer.wrap("again\n".getBytes(StandardCharsets.US_ASCII)), 0);
        }
        assertEquals(before, requests("write"));
        assertEquals("again\n", Files.readString(f));
    }

    @Test
    void handlesOnOneUpperFileSeeEachOthersWritesAndTheSizeFollows() throws IOException {
        mount(true);
        Path f = mnt.resolve("shared");
        Files.writeString(f, "0123456789");
        try (FileChannel a = FileChannel.open(f, StandardOpenOption.WRITE);
             FileChannel b = FileChannel.open(f, StandardOpenOption.READ);
             FileChannel c = FileChannel.open(f, StandardOpenOption.APPEND)) {
            a.write(ByteBuffer.wrap("ab".getBytes(StandardCharsets.US_ASCII)), 0);
            c.write(ByteBuffer.wrap("XY".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer got = ByteBuffer.allocate(32);
            b.read(got, 0);
            assertEquals("ab23456789XY", new String(got.array(), 0, got.position(), StandardCharsets.US_ASCII));
            assertEquals(12, Files.size(f), "size through the mount's cached attributes");
            a.truncate(4);
            assertEquals(4, Files.size(f));
        }
        assertEquals("ab23", Files.readString(stack.upper().resolve("shared")));
        assertEquals(0, requests("write"));
    }

    @Test
    void writeMovesTheModificationTimeSeenThroughTheMount() throws Exception {
        mount(true);
        Path f = mnt.resolve("timed");
        Files.writeString(f, "one");
        FileTime old = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(f, old);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("two".getBytes(StandardCharsets.US_ASCII)), 0);
        }
        FileTime seen = Files.getLastModifiedTime(f);
        assertTrue(seen.compareTo(old) > 0, "mtime " + seen + " after a write");
        assertEquals(Files.getLastModifiedTime(stack.upper().resolve("timed")), seen);
        assertEquals(0, requests("write"), "the write passed through");
    }

    @Test
    void sharedMappingOfAnUpperFileWritesTheUpperFile() throws IOException {
        mount(true);
        Path f = mnt.resolve("mapped");
        Files.write(f, new byte[8192]);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_WRITE, 0, 8192);
            m.put(4096, (byte) 'M');
            m.force();
        }
        assertEquals('M', Files.readAllBytes(stack.upper().resolve("mapped"))[4096]);
        assertEquals('M', Files.readAllBytes(f)[4096]);
        assertEquals(0, requests("write"), "the mapping's pages went to the upper file, not through the daemon");
    }

    @Test
    void writeByAnotherUserClearsTheSetuidBitAsOnTheKernelOverlay() throws Exception {
        mount(true);
        Path f = mnt.resolve("suid");
        Files.writeString(f, "#!/bin/sh\n");
        assertEquals(0, Sh.run("chmod", "4777", f.toString()).exit());
        // The kernel clears the bit with the writer's rights before it hands the write to the
        // upper file with the daemon's (fs/backing-file.c backing_file_write_iter).
        Sh.Result r = Sh.run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sh", "-c",
                "printf x >> " + f);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        int mode = (Integer) Files.getAttribute(stack.upper().resolve("suid"), "unix:mode", LinkOption.NOFOLLOW_LINKS);
        assertEquals(0777, mode & 07777, "upper mode " + Integer.toOctalString(mode));
        assertEquals("#!/bin/sh\nx", Files.readString(f));
        assertEquals(0, requests("write"), "the other user's write passed through");
    }
}
