package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.MountedStack;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests racing renames: on a node whose directory another thread renames meanwhile, and on a
 * file another thread replaces by renaming a new one over it. The engine resolves a
 * node by the path its table holds, and a rename changes that path: a request that read the old
 * one just before the rename took effect must not answer ENOENT for a file that never stopped
 * existing (the kernel overlay never does). A reader holds the directory open and reaches its
 * file relative to that descriptor (fstatat, openat), as a process whose cwd is inside does.
 * timeout=0: every such access reaches the daemon.
 *
 * <pre>
 * lower0/d0/f      "lower"    (the first rename copies the directory up)
 * lower0/d0/sub/g  "g"
 * upper/, work/    empty
 * </pre>
 */
class RenameRaceIT {
    private static final int RENAMES = 400;
    @TempDir
    Path tmp;
    MountedStack stack;
    Path mnt;

    @BeforeEach
    void setUp() throws IOException {
        stack = MountedStack.create(tmp, 1);
        Files.createDirectories(stack.lower(0).resolve("d0/sub"));
        Files.writeString(stack.lower(0).resolve("d0/f"), "lower");
        Files.writeString(stack.lower(0).resolve("d0/sub/g"), "g");
        stack.mount(FuseOptions.builder().timeoutSeconds(0).build());
        mnt = stack.mnt();
    }

    @AfterEach
    void tearDown() throws IOException {
        stack.close();
    }

    @Test
    void filesInADirectoryBeingRenamedNeverVanishForAnOpenDirectory() throws Exception {
        List<String> failures = new ArrayList<>();
        AtomicInteger reads = new AtomicInteger();
        AtomicBoolean renaming = new AtomicBoolean(true);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(mnt.resolve("d0"))) {
            SecureDirectoryStream<Path> dir = (SecureDirectoryStream<Path>) ds;
            Thread reader = new Thread(() -> {
                while (renaming.get()) {
                    try {
                        long size = dir.getFileAttributeView(Path.of("f"), BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                                .readAttributes().size();
                        if (size != 5) failures.add("size " + size);
                        try (SeekableByteChannel c = dir.newByteChannel(Path.of("f"), Set.of(StandardOpenOption.READ))) {
                            ByteBuffer b = ByteBuffer.allocate(16);
                            c.read(b);
                            if (b.position() != 5) failures.add("read " + b.position() + " bytes");
                        }
                        try (SecureDirectoryStream<Path> sub = dir.newDirectoryStream(Path.of("sub"), LinkOption.NOFOLLOW_LINKS)) {
                            sub.getFileAttributeView(Path.of("g"), BasicFileAttributeView.class).readAttributes();
                        }
                        reads.incrementAndGet();
                    } catch (IOException | RuntimeException e) {
                        synchronized (failures) {
                            if (failures.size() < 20) failures.add(e.toString());
                        }
                        reads.incrementAndGet();
                    }
                }
            }, "rename-race-reader");
            reader.start();
            try {
                for (int i = 0; i < RENAMES; i++) {
                    Files.move(mnt.resolve(i % 2 == 0 ? "d0" : "d1"), mnt.resolve(i % 2 == 0 ? "d1" : "d0"));
                }
            } finally {
                renaming.set(false);
                reader.join(30_000);
            }
        }
        // Enough reads overlapped the renames for the race to be tried, and none failed.
        assertTrue(reads.get() >= 50, "only " + reads.get() + " reads ran during the renames");
        assertEquals(List.of(), failures, reads.get() + " reads");
        assertEquals("lower", Files.readString(mnt.resolve("d0/f")));
    }

    @Test
    void aFileReplacedByRenameNeverVanishesForAReader() throws Exception {
        // The write-and-rename idiom: every read finds the old or the new file, as on the kernel overlay.
        Path cfg = mnt.resolve("d0/f");
        List<String> failures = new ArrayList<>();
        AtomicInteger reads = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);
        Thread reader = new Thread(() -> {
            while (writing.get()) {
                try {
                    String s = Files.readString(cfg);
                    Files.getAttribute(cfg, "unix:ino", LinkOption.NOFOLLOW_LINKS);
                    if (!s.equals("lower") && !s.startsWith("v")) failures.add("read '" + s + "'");
                } catch (IOException | RuntimeException e) {
                    synchronized (failures) {
                        if (failures.size() < 20) failures.add(e.toString());
                    }
                }
                reads.incrementAndGet();
            }
        }, "replace-race-reader");
        reader.start();
        try {
            for (int i = 0; i < RENAMES; i++) {
                Path tmp = mnt.resolve("d0/tmp" + (i % 2));
                Files.writeString(tmp, "v" + i);
                // ATOMIC_MOVE: one rename(2); REPLACE_EXISTING alone would unlink the target first.
                Files.move(tmp, cfg, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
        } finally {
            writing.set(false);
            reader.join(30_000);
        }
        assertTrue(reads.get() >= 50, "only " + reads.get() + " reads ran during the renames");
        assertEquals(List.of(), failures, reads.get() + " reads");
        assertEquals("v" + (RENAMES - 1), Files.readString(cfg));
    }
}
