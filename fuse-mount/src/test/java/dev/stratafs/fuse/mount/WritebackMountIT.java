package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.MountedStack;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code -o writeback}: the kernel's writeback cache in front of the overlay. Writes reach the
 * daemon late and in pages, so what a write-only or append-only handle does must still end up
 * byte for byte in the upper copy.
 *
 * <pre>
 * lower0/
 *   big      10,000 bytes of 'a'
 *   log      "start\n"
 * </pre>
 */
class WritebackMountIT {
    @TempDir
    Path tmp;
    MountedStack stack;
    Path mnt;

    @BeforeEach
    void setUp() throws IOException {
        stack = MountedStack.create(tmp, 1);
        byte[] a = new byte[10_000];
        Arrays.fill(a, (byte) 'a');
        Files.write(stack.lower(0).resolve("big"), a);
        Files.writeString(stack.lower(0).resolve("log"), "start\n");
        stack.mount(FuseOptions.builder().timeoutSeconds(60).writeback(true).build());
        mnt = stack.mnt();
    }

    @AfterEach
    void tearDown() throws IOException {
        stack.close();
    }

    @Test
    void writeOnlyHandleOverwritingPartOfAPageKeepsTheRestOfTheLowerData() throws IOException {
        try (FileChannel ch = FileChannel.open(mnt.resolve("big"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap("XYZ".getBytes()), 4095); // straddles the first page boundary
            ch.write(ByteBuffer.wrap("end".getBytes()), 9_998); // grows the file by one byte
        }
        byte[] want = new byte[10_001];
        Arrays.fill(want, (byte) 'a');
        System.arraycopy("XYZ".getBytes(), 0, want, 4095, 3);
        System.arraycopy("end".getBytes(), 0, want, 9_998, 3);
        assertArrayEquals(want, Files.readAllBytes(stack.upper().resolve("big")), "the upper copy after close");
        assertArrayEquals(want, Files.readAllBytes(mnt.resolve("big")));
        assertEquals(10_001, Files.size(mnt.resolve("big")));
    }

    @Test
    void appendsFromTwoHandlesLandAtTheEndInOrder() throws IOException {
        try (FileChannel one = FileChannel.open(mnt.resolve("log"), StandardOpenOption.APPEND);
             FileChannel two = FileChannel.open(mnt.resolve("log"), StandardOpenOption.APPEND)) {
            one.write(ByteBuffer.wrap("one\n".getBytes()));
            two.write(ByteBuffer.wrap("two\n".getBytes()));
            one.write(ByteBuffer.wrap("three\n".getBytes()));
        }
        assertEquals("start\none\ntwo\nthree\n", Files.readString(stack.upper().resolve("log")));
        assertEquals("start\none\ntwo\nthree\n", Files.readString(mnt.resolve("log")));
    }

    @Test
    void aNewFileWrittenInSmallPiecesArrivesWholeAndTruncateShortensIt() throws IOException {
        Path f = mnt.resolve("made");
        StringBuilder want = new StringBuilder();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 1000; i++) {
                String piece = i + ",";
                want.append(piece);
                ch.write(ByteBuffer.wrap(piece.getBytes()));
            }
            ch.force(true);
            assertEquals(want.toString(), Files.readString(stack.upper().resolve("made")), "fsync pushes every dirty page");
            // The cache is really on: 1,000 write(2)s reached the daemon as a few page-sized WRITEs.
            long writes = stack.session().requestCount("write");
            assertTrue(writes > 0 && writes < 100, writes + " WRITE requests for 1,000 writes");
            ch.truncate(10);
        }
        assertEquals(want.substring(0, 10), Files.readString(stack.upper().resolve("made")));
        assertEquals(10, Files.size(f));
    }
}
