package dev.stratafs.core.layer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.StackConfig;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.Natives;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Validation at open. Fixture:
 * <pre>
 *   tmp/l  tmp/u  tmp/w  tmp/file
 * </pre>
 */
class LayerStackTest {
    @TempDir Path tmp;

    private FsException fails(StackConfig c) {
        return assertThrows(FsException.class, () -> LayerStack.open(c, Natives.get()));
    }

    @Test
    void missingLowerIsNamedInTheMessage() {
        FsException e = fails(StackConfig.builder().lower(tmp.resolve("nope")).build());
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertTrue(e.getMessage().contains("lowerdir") && e.getMessage().contains("nope"), e.getMessage());
    }

    @Test
    void fileAsLayerIsNotADirectory() throws IOException {
        Path f = Files.writeString(tmp.resolve("file"), "x");
        assertEquals(ErrorKind.NOT_DIRECTORY, fails(StackConfig.builder().lower(f).build()).kind());
    }

    @Test
    void sameDirectoryTwiceIsRefused() throws IOException {
        Path l = Files.createDirectories(tmp.resolve("l"));
        FsException e = fails(StackConfig.builder().lower(l).lower(tmp.resolve("l/.")).build());
        assertEquals(ErrorKind.INVALID, e.kind());
        assertTrue(e.getMessage().contains("same directory"), e.getMessage());
    }

    @Test
    void workdirInsideUpperIsRefused() throws IOException {
        Path l = Files.createDirectories(tmp.resolve("l"));
        Path u = Files.createDirectories(tmp.resolve("u"));
        Path w = Files.createDirectories(u.resolve("w"));
        FsException e = fails(StackConfig.builder().lower(l).upper(u, w).build());
        assertEquals(ErrorKind.INVALID, e.kind());
    }

    @Test
    void workdirOnAnotherFilesystemIsRefused() throws IOException {
        Path l = Files.createDirectories(tmp.resolve("l"));
        Path u = Files.createDirectories(tmp.resolve("u"));
        // /dev/shm is a tmpfs, /tmp is not on this machine
        Path shm = Path.of("/dev/shm");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(shm), "/dev/shm missing");
        Path w = Files.createTempDirectory(shm, "stratafs-w");
        try {
            org.junit.jupiter.api.Assumptions.assumeTrue(
                    Natives.get().lstat(w).dev() != Natives.get().lstat(u).dev(), "/dev/shm on the same fs as /tmp");
            FsException e = fails(StackConfig.builder().lower(l).upper(u, w).build());
            assertEquals(ErrorKind.INVALID, e.kind());
            assertTrue(e.getMessage().contains("same filesystem"), e.getMessage());
        } finally {
            Files.delete(w);
        }
    }

    @Test
    void symlinkToLayerRootIsResolvedOnce() throws IOException {
        Path l = Files.createDirectories(tmp.resolve("l"));
        Path link = Files.createSymbolicLink(tmp.resolve("ln"), l);
        LayerStack s = LayerStack.open(StackConfig.builder().lower(link).build(), Natives.get());
        assertEquals(l.toRealPath(), s.lower(0).root());
    }

    @Test
    void fiveHundredLowersAreAcceptedAndMoreRefused() throws IOException {
        StackConfig.Builder b = StackConfig.builder();
        for (int i = 0; i < 501; i++) b.lower(Files.createDirectories(tmp.resolve("l" + i)));
        assertEquals(ErrorKind.INVALID, fails(b.build()).kind());
        StackConfig.Builder ok = StackConfig.builder();
        for (int i = 0; i < 500; i++) ok.lower(tmp.resolve("l" + i));
        assertEquals(500, LayerStack.open(ok.build(), Natives.get()).lowers().size());
    }
}
