package dev.stratafs.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stand-in used while the native layer is not on this branch; the other tests use whichever is present. */
class ToolNativeOsTest {
    private final ToolNativeOs os = new ToolNativeOs();
    private Path tmp;

    @BeforeEach
    void setUp() throws IOException {
        tmp = Files.createTempDirectory(Path.of("/tmp"), "toolos");
    }

    @AfterEach
    void tearDown() throws IOException {
        Trees.delete(tmp);
    }

    /* fifo (mode 0600, mtime 1234.5) and wh (0/0 char device) with trusted.overlay.opaque on a dir */
    @Test
    void fifosAreChangedWithoutOpeningAndTrustedXattrsWork() throws IOException {
        Path fifo = tmp.resolve("fifo");
        os.mknod(fifo, StatInfo.S_IFIFO | 0644, 0);
        os.chmod(fifo, 0600);
        os.utimens(fifo, 1234, 500_000_000, 1234, 500_000_000);
        StatInfo st = os.lstat(fifo);
        assertEquals(0600, st.perm());
        assertEquals(1234, st.mtimeSec());
        assertEquals(500_000_000, st.mtimeNsec());
        Path wh = tmp.resolve("wh");
        os.mknod(wh, StatInfo.S_IFCHR, 0);
        assertTrue(LayerUnpacker.isWhiteout(os.lstat(wh)));
        Path d = tmp.resolve("d");
        os.mkdir(d, 0755);
        assertNull(os.getxattr(d, "trusted.overlay.opaque"));
        os.setxattr(d, "trusted.overlay.opaque", new byte[] {'y'}, 0);
        assertArrayEquals(new byte[] {'y'}, os.getxattr(d, "trusted.overlay.opaque"));
        assertTrue(os.listxattr(d).contains("trusted.overlay.opaque"));
    }
}
