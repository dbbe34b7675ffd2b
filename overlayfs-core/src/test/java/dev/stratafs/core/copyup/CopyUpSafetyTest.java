package dev.stratafs.core.copyup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.Caller;
import dev.stratafs.core.OpenFile;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.core.nat.NativeOs.OpenFlags;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copy-up is all or nothing, and happens once under concurrency. Fixture:
 * <pre>
 *   lower/big   (8 MiB random)     lower/f0..f15 (256 KiB random)
 * </pre>
 */
class CopyUpSafetyTest {
    private static final Caller ROOT = Caller.of(0, 0);
    @TempDir Path tmp;

    private Path dir(String n) throws IOException {
        return Files.createDirectories(tmp.resolve(n));
    }

    @Test
    void interruptedCopyLeavesNoUpperFileAndIsCleanedAtNextOpen() throws IOException {
        Path lower = dir("lower"), upper = dir("upper"), work = dir("work");
        byte[] data = new byte[8 << 20];
        new Random(1).nextBytes(data);
        Files.write(lower.resolve("big"), data);
        StackConfig cfg = StackConfig.builder().lower(lower).upper(upper, work).build();
        // A crash mid-copy leaves only a partial temp file in work/work, never a name in the upper.
        Files.createDirectories(work.resolve("work"));
        Files.write(work.resolve("work/#stratafs-dead-1"), new byte[4096]);
        try (OverlayFs fs = OverlayFs.open(cfg)) {
            try (Stream<Path> s = Files.list(work.resolve("work"))) {
                assertEquals(0, s.count(), "workdir leftovers are removed at open");
            }
            assertFalse(Files.exists(upper.resolve("big")));
            try (OpenFile f = fs.open("/big", OpenFlags.O_RDWR, ROOT)) {
                f.write(new byte[] {1}, 0, 1, 0);
            }
            byte[] expect = data.clone();
            expect[0] = 1;
            assertArrayEquals(expect, Files.readAllBytes(upper.resolve("big")));
        }
    }

    @Test
    void concurrentWritersAndReadersCopyUpOnceAndSeeWholeData() throws Exception {
        Path lower = dir("lower"), upper = dir("upper"), work = dir("work");
        int files = 16;
        byte[][] data = new byte[files][];
        Random rnd = new Random(7);
        for (int i = 0; i < files; i++) {
            data[i] = new byte[256 << 10];
            rnd.nextBytes(data[i]);
            Files.write(lower.resolve("f" + i), data[i]);
        }
        try (OverlayFs fs = OverlayFs.open(StackConfig.builder().lower(lower).upper(upper, work).build())) {
            ExecutorService ex = Executors.newFixedThreadPool(8);
            List<Future<?>> jobs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                jobs.add(ex.submit(() -> {
                    for (int i = 0; i < files; i++) {
                        String p = "/f" + i;
                        if (id % 2 == 0) {
                            // writer: set one byte owned by this thread, the rest must survive
                            try (OpenFile f = fs.open(p, OpenFlags.O_RDWR, ROOT)) {
                                f.write(new byte[] {(byte) id}, 0, 1, 1000 + id);
                            }
                        } else {
                            try (OpenFile f = fs.open(p, OpenFlags.O_RDONLY, ROOT)) {
                                byte[] b = new byte[data[i].length];
                                int n = f.read(b, 0, b.length, 0);
                                assertEquals(data[i].length, n, "a reader never sees a partial file");
                                // Outside the bytes writers touch, content is the original.
                                for (int k = 0; k < 1000; k++) assertEquals(data[i][k], b[k]);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> j : jobs) j.get(120, TimeUnit.SECONDS);
            ex.shutdown();
            for (int i = 0; i < files; i++) {
                byte[] got = Files.readAllBytes(upper.resolve("f" + i));
                for (int id = 0; id < 8; id += 2) assertEquals((byte) id, got[1000 + id], "no writer's byte is lost to a second copy-up");
                assertEquals(data[i].length, got.length);
            }
            try (Stream<Path> s = Files.list(work.resolve("work"))) {
                assertTrue(s.findAny().isEmpty(), "no temp files left behind");
            }
        }
    }

    @Test
    void volatileUpperNotClosedCleanlyIsRefusedUntilAccepted() throws IOException {
        Path lower = dir("lower"), upper = dir("upper"), work = dir("work");
        StackConfig vol = StackConfig.builder().lower(lower).upper(upper, work).fsync(false).build();
        OverlayFs crashed = OverlayFs.open(vol); // never closed: as if the daemon was killed
        assertTrue(Files.isDirectory(work.resolve("work/incompat/volatile")));
        dev.stratafs.core.error.FsException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.stratafs.core.error.FsException.class, () -> OverlayFs.open(vol));
        assertTrue(e.getMessage().contains("volatile"), e.getMessage());
        try (OverlayFs accepted = OverlayFs.open(vol.toBuilder().acceptDirtyVolatile(true).build())) {
            assertTrue(accepted.readdir("/").isEmpty());
        }
        assertFalse(Files.exists(work.resolve("work/incompat/volatile")), "a clean close ends the volatile session");
        OverlayFs.open(StackConfig.builder().lower(lower).upper(upper, work).build()).close();
        assertTrue(crashed.readOnly() == false, "the crashed session object is left unclosed on purpose");
    }
}
