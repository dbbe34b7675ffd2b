package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.MountedStack;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stack without an upper mounts read-only ("ro"): reads work, every change is EROFS.
 *
 * <pre>
 * lower0/f "data"     (no upper, no work)
 * </pre>
 */
class ReadOnlyMountIT {
    @TempDir
    Path tmp;
    MountedStack stack;

    @AfterEach
    void tearDown() throws IOException {
        if (stack != null) stack.close();
        assertFalse(DirBackendMountIT.fuseMountedAt(tmp.resolve("mnt")));
    }

    @Test
    void readsWorkAndWritesAreErofs() throws Exception {
        stack = MountedStack.readOnly(tmp, 1);
        Files.writeString(stack.lower(0).resolve("f"), "data");
        stack.mount();
        Path mnt = stack.mnt();
        assertEquals("data", Files.readString(mnt.resolve("f")));
        assertTrue(MountTable.read().find(mnt.toRealPath()).isPresent());
        FileSystemException e = assertThrows(FileSystemException.class, () -> Files.writeString(mnt.resolve("g"), "x"));
        assertTrue(e.getMessage().contains("Read-only file system"), e.toString());
        FileSystemException d = assertThrows(FileSystemException.class, () -> Files.delete(mnt.resolve("f")));
        assertTrue(d.getMessage().contains("Read-only file system"), d.toString());
    }
}
