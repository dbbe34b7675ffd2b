package dev.stratafs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.FileAttr;
import dev.stratafs.fuse.IdMapper;
import java.util.List;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.struct.FileStat;

/**
 * StatWriter writes struct stat with raw puts at offsets it learned from jnr-fuse's FileStat;
 * reading the result back through FileStat's own fields checks the offsets and widths on the
 * platform the tests run on.
 */
class StatWriterTest {
    private static final Runtime RT = Runtime.getSystemRuntime();

    /** Every field distinct, and wider than 32 bits where the field can hold it. */
    private static final FileAttr ATTR = new FileAttr(0x1_2345_6789L, 0100644, 3, 1000, 1001, 0x0803, 0x7_0000_0001L,
            4096, 0x3_0000_0008L, 1_700_000_001L, 111, 1_700_000_002L, 222, 1_700_000_003L, 333);

    @Test
    void rawWriteReadsBackThroughFileStatsOwnFieldsAtABaseOffset() {
        int size = Struct.size(new FileStat(RT));
        Pointer mem = Memory.allocateDirect(RT, 64 + size, true);
        mem.setMemory(0, 64 + size, (byte) 0x5a);
        mem.setMemory(64, size, (byte) 0);
        new StatWriter(new IdMapper(List.of(), List.of(), null, null), false).write(mem, 64, ATTR);
        FileStat s = FileStat.of(mem.slice(64));
        assertEquals(ATTR.ino(), s.st_ino.longValue());
        assertEquals(ATTR.mode(), s.st_mode.intValue());
        assertEquals(ATTR.nlink(), s.st_nlink.longValue());
        assertEquals(ATTR.uid(), s.st_uid.intValue());
        assertEquals(ATTR.gid(), s.st_gid.intValue());
        assertEquals(ATTR.rdev(), s.st_rdev.longValue());
        assertEquals(ATTR.size(), s.st_size.longValue());
        assertEquals(ATTR.blksize(), s.st_blksize.longValue());
        assertEquals(ATTR.blocks(), s.st_blocks.longValue());
        assertEquals(ATTR.atimeSec(), s.st_atim.tv_sec.longValue());
        assertEquals(ATTR.atimeNsec(), s.st_atim.tv_nsec.longValue());
        assertEquals(ATTR.mtimeSec(), s.st_mtim.tv_sec.longValue());
        assertEquals(ATTR.mtimeNsec(), s.st_mtim.tv_nsec.longValue());
        assertEquals(ATTR.ctimeSec(), s.st_ctim.tv_sec.longValue());
        assertEquals(ATTR.ctimeNsec(), s.st_ctim.tv_nsec.longValue());
        for (int i = 0; i < 64; i++) assertEquals((byte) 0x5a, mem.getByte(i), "byte " + i + " before the struct");
    }

    /* static_nlink: a directory reports st_nlink 1 whatever the core says */
    @Test
    void staticNlinkShowsOneForADirectory() {
        int size = Struct.size(new FileStat(RT));
        Pointer mem = Memory.allocateDirect(RT, size, true);
        FileAttr dir = new FileAttr(7, 040755, 5, 0, 0, 0, 4096, 4096, 8, 1, 0, 2, 0, 3, 0);
        new StatWriter(new IdMapper(List.of(), List.of(), null, null), true).write(mem, 0, dir);
        assertEquals(1, FileStat.of(mem).st_nlink.longValue());
    }
}
