package dev.stratafs.fuse.jnr;

import static dev.stratafs.fuse.jnr.HardLinkAttrTimeout.ATTR_OUT_SIZE;
import static dev.stratafs.fuse.jnr.HardLinkAttrTimeout.CREATE_OUT_SIZE;
import static dev.stratafs.fuse.jnr.HardLinkAttrTimeout.ENTRY_OUT_SIZE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replies as libfuse builds them (fuse_lowlevel.c fill_entry / fuse_reply_attr, layouts of
 * include/uapi/linux/fuse.h), with attr_valid 86400 s + 5 ns and entry_valid 86400 s; the table
 * says whether the attribute validity must come out as 0.
 */
class HardLinkAttrTimeoutTest {
    private static final int REG = 0100644;
    private static final int DIR = 0040755;
    private static final int LNK = 0120777;
    private static final int FIFO = 0010644;
    private static final int LOOKUP = 1, GETATTR = 3, SETATTR = 4, SYMLINK = 6, MKNOD = 8, MKDIR = 9, LINK = 13,
            OPEN = 14, READ = 15, CREATE = 35;
    private static final long VALID = 86400;
    private static final int VALID_NSEC = 5;

    enum Layout {
        ENTRY(ENTRY_OUT_SIZE, 24, 36, 40), CREATE_REPLY(CREATE_OUT_SIZE, 24, 36, 40), ATTR(ATTR_OUT_SIZE, 0, 8, 16);

        final int size;
        final int valid;
        final int validNsec;
        final int attr;

        Layout(int size, int valid, int validNsec, int attr) {
            this.size = size;
            this.valid = valid;
            this.validNsec = validNsec;
            this.attr = attr;
        }
    }

    static Stream<Arguments> replies() {
        return Stream.of(
                // opcode, layout, payload length, mode, nlink, expired?
                Arguments.of(LOOKUP, Layout.ENTRY, ENTRY_OUT_SIZE, REG, 1, false),
                Arguments.of(LOOKUP, Layout.ENTRY, ENTRY_OUT_SIZE, REG, 2, true),
                Arguments.of(LOOKUP, Layout.ENTRY, ENTRY_OUT_SIZE, DIR, 5, false),
                Arguments.of(LOOKUP, Layout.ENTRY, ENTRY_OUT_SIZE, LNK, 3, true),
                Arguments.of(LOOKUP, Layout.ENTRY, ENTRY_OUT_SIZE, FIFO, 2, true),
                // an unlinked file still open: nlink 0
                Arguments.of(GETATTR, Layout.ATTR, ATTR_OUT_SIZE, REG, 0, false),
                Arguments.of(GETATTR, Layout.ATTR, ATTR_OUT_SIZE, REG, 1, false),
                Arguments.of(GETATTR, Layout.ATTR, ATTR_OUT_SIZE, REG, 2, true),
                // nlink is a u32: the largest value is still "many links"
                Arguments.of(GETATTR, Layout.ATTR, ATTR_OUT_SIZE, REG, -1, true),
                Arguments.of(GETATTR, Layout.ATTR, ATTR_OUT_SIZE, DIR, 2, false),
                Arguments.of(SETATTR, Layout.ATTR, ATTR_OUT_SIZE, REG, 2, true),
                Arguments.of(SETATTR, Layout.ATTR, ATTR_OUT_SIZE, REG, 1, false),
                Arguments.of(LINK, Layout.ENTRY, ENTRY_OUT_SIZE, REG, 2, true),
                Arguments.of(SYMLINK, Layout.ENTRY, ENTRY_OUT_SIZE, LNK, 1, false),
                Arguments.of(MKNOD, Layout.ENTRY, ENTRY_OUT_SIZE, FIFO, 1, false),
                Arguments.of(MKDIR, Layout.ENTRY, ENTRY_OUT_SIZE, DIR, 2, false),
                Arguments.of(CREATE, Layout.CREATE_REPLY, CREATE_OUT_SIZE, REG, 1, false),
                Arguments.of(CREATE, Layout.CREATE_REPLY, CREATE_OUT_SIZE, REG, 2, true),
                // other lengths (pre-7.9 compat layouts, a short buffer) are left alone
                Arguments.of(LOOKUP, Layout.ENTRY, 120, REG, 2, false),
                Arguments.of(GETATTR, Layout.ATTR, 96, REG, 2, false),
                Arguments.of(CREATE, Layout.CREATE_REPLY, ENTRY_OUT_SIZE, REG, 2, false),
                Arguments.of(LINK, Layout.ENTRY, 0, REG, 2, false),
                // replies without attributes, even if their bytes happen to look like some
                Arguments.of(OPEN, Layout.ENTRY, ENTRY_OUT_SIZE, REG, 2, false),
                Arguments.of(READ, Layout.ATTR, ATTR_OUT_SIZE, REG, 2, false));
    }

    @ParameterizedTest(name = "opcode {0} {1} len {2} mode {3} nlink {4} -> expired {5}")
    @MethodSource("replies")
    void attributeValidityIsZeroExactlyForMultiplyLinkedNonDirectories(
            int opcode, Layout layout, int length, int mode, int nlink, boolean expired) {
        ByteBuffer reply = reply(layout, mode, nlink);
        byte[] before = reply.array().clone();
        reply.limit(length);

        assertEquals(expired, HardLinkAttrTimeout.apply(opcode, reply));

        reply.clear();
        assertEquals(expired ? 0 : VALID, reply.getLong(layout.valid));
        assertEquals(expired ? 0 : VALID_NSEC, reply.getInt(layout.validNsec));
        // nothing else moves: the entry timeout, the attributes, the open reply of CREATE
        reply.putLong(layout.valid, VALID).putInt(layout.validNsec, VALID_NSEC);
        assertArrayEquals(before, reply.array());
    }

    @ParameterizedTest(name = "opcode {0} {1} nlink {4}")
    @MethodSource("replies")
    void theBufferIsReadFromItsPosition(int opcode, Layout layout, int length, int mode, int nlink, boolean expired) {
        // the same reply 8 bytes into a larger buffer, as a slice of a scratch array would be
        ByteBuffer inner = reply(layout, mode, nlink);
        ByteBuffer outer = ByteBuffer.allocate(inner.capacity() + 8).order(ByteOrder.nativeOrder());
        outer.position(8);
        outer.put(inner.array()).position(8).limit(8 + length);

        assertEquals(expired, HardLinkAttrTimeout.apply(opcode, outer));
        outer.clear();
        assertEquals(expired ? 0 : VALID, outer.getLong(8 + layout.valid));
    }

    /** A successful reply's argument; fuse_attr ino size blocks atime mtime ctime (u64) ... mode nlink. */
    private static ByteBuffer reply(Layout layout, int mode, int nlink) {
        ByteBuffer b = ByteBuffer.allocate(layout.size).order(ByteOrder.nativeOrder());
        for (int i = 0; i < layout.size; i++) b.put(i, (byte) (0x40 + i)); // recognisable filler
        b.putLong(layout.valid, VALID).putInt(layout.validNsec, VALID_NSEC);
        if (layout != Layout.ATTR) b.putLong(16, VALID).putInt(32, 0); // entry_valid, entry_valid_nsec
        b.putInt(layout.attr + 60, mode).putInt(layout.attr + 64, nlink);
        return b;
    }
}
