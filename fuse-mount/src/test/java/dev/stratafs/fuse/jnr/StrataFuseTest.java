package dev.stratafs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.DirBackend;
import dev.stratafs.fuse.FuseOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The adapter's callbacks called directly (no mount) with structs in native memory.
 *
 * <pre>
 * back/d/f00 .. f09   back/x (user.k = "0123456789")   back/ln -> a-rather-long-target
 * </pre>
 */
class StrataFuseTest {
    private static final Runtime RT = Runtime.getSystemRuntime();

    @TempDir
    Path back;
    StrataFuse fuse;

    @BeforeEach
    void setUp() throws Exception {
        Files.createDirectory(back.resolve("d"));
        for (int i = 0; i < 10; i++) Files.createFile(back.resolve(String.format("d/f%02d", i)));
        Files.createFile(back.resolve("x"));
        Files.getFileAttributeView(back.resolve("x"), UserDefinedFileAttributeView.class)
                .write("k", ByteBuffer.wrap("0123456789".getBytes(StandardCharsets.UTF_8)));
        Files.createSymbolicLink(back.resolve("ln"), Path.of("a-rather-long-target"));
        fuse = new StrataFuse(new DirBackend(back), FuseOptions.builder().build());
    }

    private static FuseFileInfo fileInfo() {
        return FuseFileInfo.of(Memory.allocateDirect(RT, 64, true));
    }

    @Test
    void readdirResumesAtTheOffsetOfTheLastAcceptedEntry() {
        FuseFileInfo fi = fileInfo();
        assertEquals(0, fuse.opendir("/d", fi));
        List<String> names = new ArrayList<>();
        long[] last = {0};
        // A filler whose buffer holds 3 entries per call, like the kernel's page-sized buffer.
        for (int call = 0; call < 20; call++) {
            int[] taken = {0};
            int before = names.size();
            FuseFillDir filler = new FuseFillDir() {
                @Override
                public int apply(Pointer buf, ByteBuffer name, Pointer stbuf, long off) {
                    if (taken[0] == 3) return 1;
                    byte[] b = new byte[name.remaining()];
                    name.get(b);
                    assertEquals(0, b[b.length - 1], "name not NUL-terminated");
                    names.add(new String(b, 0, b.length - 1, StandardCharsets.UTF_8));
                    last[0] = off;
                    taken[0]++;
                    return 0;
                }
            };
            assertEquals(0, fuse.readdir("/d", null, filler, last[0], fi));
            if (names.size() == before) break;
        }
        // "." and ".." first, then every name once (in offset-cookie order, see DirSnapshot).
        List<String> want = new ArrayList<>();
        for (int i = 0; i < 10; i++) want.add(String.format("f%02d", i));
        assertEquals(List.of(".", ".."), names.subList(0, 2));
        List<String> rest = new ArrayList<>(names.subList(2, names.size()));
        java.util.Collections.sort(rest);
        assertEquals(want, rest);
        assertEquals(0, fuse.releasedir("/d", fi));
        assertEquals(0, fuse.openDirCount());
    }

    @Test
    void readdirOfAReleasedHandleIsEbadf() {
        FuseFileInfo fi = fileInfo();
        fuse.opendir("/d", fi);
        fuse.releasedir("/d", fi);
        assertEquals(-9, fuse.readdir("/d", null, (buf, name, st, off) -> 0, 0, fi));
    }

    @Test
    void getattrFillsInodeModeAndSizeAndMissingIsEnoent() throws Exception {
        FileStat st = FileStat.of(Memory.allocateDirect(RT, Struct.size(new FileStat(RT)), true));
        assertEquals(0, fuse.getattr("/x", st));
        assertEquals(Files.getAttribute(back.resolve("x"), "unix:ino"), st.st_ino.longValue());
        assertEquals(0100000, st.st_mode.intValue() & 0170000);
        assertEquals(0, st.st_size.longValue());
        assertEquals(-2, fuse.getattr("/nope", st));
    }

    @Test
    void getxattrWithSizeZeroAnswersTheSizeAndTooSmallIsErange() {
        Pointer buf = Memory.allocateDirect(RT, 64, true);
        assertEquals(10, fuse.getxattr("/x", "user.k", buf, 0));
        assertEquals(-34, fuse.getxattr("/x", "user.k", buf, 5));
        assertEquals(10, fuse.getxattr("/x", "user.k", buf, 64));
        byte[] got = new byte[10];
        buf.get(0, got, 0, 10);
        assertEquals("0123456789", new String(got, StandardCharsets.UTF_8));
        assertEquals(-61, fuse.getxattr("/x", "user.none", buf, 64)); // ENODATA
    }

    @Test
    void listxattrIsNulSeparatedWithTheSameSizeRules() {
        Pointer buf = Memory.allocateDirect(RT, 64, true);
        assertEquals(7, fuse.listxattr("/x", buf, 0)); // "user.k\0"
        assertEquals(-34, fuse.listxattr("/x", buf, 3));
        assertEquals(7, fuse.listxattr("/x", buf, 64));
        assertEquals("user.k", buf.getString(0));
    }

    @Test
    void readlinkTruncatesToTheBufferAndNulTerminates() {
        Pointer buf = Memory.allocateDirect(RT, 8, true);
        assertEquals(0, fuse.readlink("/ln", buf, 8));
        assertEquals("a-rathe", buf.getString(0));
        Pointer big = Memory.allocateDirect(RT, 64, true);
        assertEquals(0, fuse.readlink("/ln", big, 64));
        assertEquals("a-rather-long-target", big.getString(0));
    }

    @Test
    void noAclRefusesPosixAclXattrsWithEopnotsupp() {
        StrataFuse noAcl = new StrataFuse(new DirBackend(back), FuseOptions.builder().noAcl(true).build());
        Pointer buf = Memory.allocateDirect(RT, 64, true);
        assertEquals(-95, noAcl.getxattr("/x", "system.posix_acl_access", buf, 64));
        assertEquals(-95, noAcl.setxattr("/x", "system.posix_acl_default", buf, 4, 0));
        assertEquals(-95, noAcl.removexattr("/x", "system.posix_acl_access"));
        assertEquals(10, noAcl.getxattr("/x", "user.k", buf, 64));
    }

    @Test
    void operationsOnUnknownFileHandlesAreEbadfNotCrashes() {
        FuseFileInfo fi = fileInfo();
        fi.fh.set(12345);
        Pointer buf = Memory.allocateDirect(RT, 16, true);
        assertEquals(-9, fuse.read("/x", buf, 16, 0, fi));
        assertEquals(-9, fuse.write("/x", buf, 16, 0, fi));
        assertEquals(-9, fuse.fsync("/x", 0, fi));
        assertEquals(0, fuse.release("/x", fi)); // releasing twice is harmless
        assertTrue(fuse.guard().unexpectedCount() == 0);
    }
}
