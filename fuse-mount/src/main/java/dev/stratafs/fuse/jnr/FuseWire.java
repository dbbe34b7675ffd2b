package dev.stratafs.fuse.jnr;

import java.nio.charset.StandardCharsets;
import jnr.ffi.Pointer;

/**
 * The kernel's FUSE wire format (include/uapi/linux/fuse.h, protocol 7.12 and later) for the
 * requests {@link LowLevelFuse} answers without libfuse: the offsets it decodes and the replies
 * it writes. A reply is {@code struct fuse_out_header} and its payload in one write(2).
 */
final class FuseWire {
    /** The oldest protocol these layouts hold for (7.9 grew fuse_attr and entry_out, 7.12 added umask). */
    static final int MIN_MINOR = 12;

    // enum fuse_opcode.
    static final int LOOKUP = 1, GETATTR = 3, SETATTR = 4, OPEN = 14, READ = 15, WRITE = 16, RELEASE = 18, GETXATTR = 22,
            LISTXATTR = 23, INIT = 26, READDIR = 28, CREATE = 35, INTERRUPT = 36, READDIRPLUS = 44, TMPFILE = 51;

    // struct fuse_in_header { u32 len, opcode; u64 unique, nodeid; u32 uid, gid, pid; u16 total_extlen, padding; }
    static final int IN_OPCODE = 4, IN_UNIQUE = 8, IN_NODEID = 16, IN_UID = 24, IN_GID = 28, IN_PID = 32, IN_HEADER = 40;
    // struct fuse_out_header { u32 len; s32 error; u64 unique; }
    static final int OUT_HEADER = 16;

    // struct fuse_getattr_in { u32 getattr_flags, dummy; u64 fh; }
    static final int GETATTR_FLAGS = IN_HEADER, GETATTR_FH = IN_HEADER + 8;
    static final int GETATTR_FLAG_FH = 1;
    // struct fuse_setattr_in: valid, padding, fh, size, lock_owner, atime, mtime, ctime, atimensec,
    // mtimensec, ctimensec, mode, unused4, uid, gid, unused5.
    static final int SETATTR_VALID = IN_HEADER, SETATTR_FH = IN_HEADER + 8, SETATTR_SIZE = IN_HEADER + 16,
            SETATTR_ATIME = IN_HEADER + 32, SETATTR_MTIME = IN_HEADER + 40, SETATTR_ATIMENSEC = IN_HEADER + 56,
            SETATTR_MTIMENSEC = IN_HEADER + 60, SETATTR_MODE = IN_HEADER + 68, SETATTR_UID = IN_HEADER + 76,
            SETATTR_GID = IN_HEADER + 80;
    // FATTR_* bits of fuse_setattr_in.valid.
    static final int FATTR_MODE = 1, FATTR_UID = 1 << 1, FATTR_GID = 1 << 2, FATTR_SIZE = 1 << 3, FATTR_ATIME = 1 << 4,
            FATTR_MTIME = 1 << 5, FATTR_FH = 1 << 6, FATTR_ATIME_NOW = 1 << 7, FATTR_MTIME_NOW = 1 << 8;
    // struct fuse_open_in { u32 flags, open_flags; }
    static final int OPEN_FLAGS = IN_HEADER;
    // struct fuse_create_in { u32 flags, mode, umask, open_flags; } then the name.
    static final int CREATE_FLAGS = IN_HEADER, CREATE_MODE = IN_HEADER + 4, CREATE_UMASK = IN_HEADER + 8,
            CREATE_NAME = IN_HEADER + 16;
    // FOPEN_* of fuse_open_out.open_flags.
    static final int FOPEN_DIRECT_IO = 1, FOPEN_KEEP_CACHE = 1 << 1, FOPEN_NOFLUSH = 1 << 5, FOPEN_PASSTHROUGH = 1 << 7;
    // struct fuse_write_in { u64 fh, offset; u32 size, write_flags; u64 lock_owner; u32 flags, padding; } then the data.
    static final int WRITE_FH = IN_HEADER, WRITE_OFFSET = IN_HEADER + 8, WRITE_SIZE = IN_HEADER + 16,
            WRITE_DATA = IN_HEADER + 40;
    // struct fuse_release_in { u64 fh; u32 flags, release_flags; u64 lock_owner; }
    static final int RELEASE_FH = IN_HEADER;

    // struct fuse_read_in (READ, READDIR, READDIRPLUS): fh, offset, size, read_flags, lock_owner, flags, padding.
    static final int READ_FH = IN_HEADER, READ_OFFSET = IN_HEADER + 8, READ_SIZE = IN_HEADER + 16;
    // struct fuse_getxattr_in { u32 size, padding; } then the name (GETXATTR; LISTXATTR has no name).
    static final int GETXATTR_SIZE = IN_HEADER, GETXATTR_NAME = IN_HEADER + 8;

    /** sizeof(struct fuse_entry_out): nodeid, generation, entry_valid, attr_valid, their nsecs, fuse_attr. */
    static final int ENTRY_OUT = 40 + 88;
    /** sizeof(struct fuse_attr_out): attr_valid, attr_valid_nsec, dummy, fuse_attr. */
    static final int ATTR_OUT = 16 + 88;
    /** xattr(7): the largest value Linux hands over. */
    static final int XATTR_SIZE_MAX = 65536;
    /** Where the payload of a reply starts in the reply buffer. */
    static final int PAYLOAD = OUT_HEADER;

    private FuseWire() {}

    /** The NUL-terminated name at {@code off} of a request {@code length} bytes long. */
    static String name(Pointer in, int off, int length) {
        // Copied out and decoded by String itself: jnr's getString goes through a CharsetDecoder
        // (thread-local lookup, two buffers), which cost more than the rest of a GETXATTR.
        int max = length - off;
        if (max <= 0) throw new IllegalArgumentException("request of " + length + " bytes has no room for a name at " + off);
        byte[] b = new byte[max];
        in.get(off, b, 0, b.length);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    /** The reply header: {@code result} is the payload length, or minus an errno (then no payload). Returns the reply's length. */
    static int header(Pointer out, long unique, int result) {
        int len = OUT_HEADER + Math.max(result, 0);
        out.putInt(0, len);
        out.putInt(4, Math.min(result, 0));
        out.putLong(8, unique);
        return len;
    }

    /** struct fuse_entry_out at the payload (its fuse_attr goes at {@link #ENTRY_ATTR}). */
    static int entry(Pointer out, long node, double timeout) {
        return entryAt(out, PAYLOAD, node, timeout);
    }

    /** struct fuse_entry_out at {@code at}, but for its fuse_attr ({@link #ENTRY_OUT_ATTR} bytes in). */
    static int entryAt(Pointer out, int at, long node, double timeout) {
        out.putLong(at, node);
        out.putLong(at + 8, 0); // generation: node ids are never reused
        out.putLong(at + 16, seconds(timeout));
        out.putLong(at + 24, seconds(timeout));
        out.putInt(at + 32, nanos(timeout));
        out.putInt(at + 36, nanos(timeout));
        return ENTRY_OUT;
    }

    /** Where a struct fuse_entry_out's fuse_attr starts. */
    static final int ENTRY_OUT_ATTR = 40;

    /**
     * struct fuse_dirent { u64 ino; u64 off; u32 namelen; u32 type; char name[]; } at {@code at},
     * the name's {@code nameLen} bytes zero-padded to 8 (FUSE_DIRENT_ALIGN); type is the S_IFMT
     * bits of {@code mode} shifted down, as DT_* values are.
     */
    static void dirent(Pointer out, int at, long ino, long nextOffset, int mode, byte[] name, int nameLen) {
        out.putLong(at, ino);
        out.putLong(at + 8, nextOffset);
        out.putInt(at + 16, nameLen);
        out.putInt(at + 20, (mode & 0170000) >>> 12);
        out.put(at + 24, name, 0, nameLen);
        int end = at + 24 + nameLen;
        int padded = (end + 7) & ~7;
        if (padded > end) out.setMemory(end, padded - end, (byte) 0);
    }

    /** A struct fuse_entry_out the kernel keeps as an absence: node 0, only entry_valid set. */
    static int absence(Pointer out, double timeout) {
        out.setMemory(PAYLOAD, ENTRY_OUT, (byte) 0);
        out.putLong(PAYLOAD + 16, seconds(timeout));
        out.putInt(PAYLOAD + 32, nanos(timeout));
        return ENTRY_OUT;
    }

    /** Where {@link #entry}'s struct fuse_attr goes. */
    static final int ENTRY_ATTR = PAYLOAD + ENTRY_OUT_ATTR;

    /** struct fuse_attr_out at the payload, its fuse_attr at {@link #ATTR_ATTR}. */
    static int attrOut(Pointer out, double timeout) {
        out.putLong(PAYLOAD, seconds(timeout));
        out.putInt(PAYLOAD + 8, nanos(timeout));
        out.putInt(PAYLOAD + 12, 0);
        return ATTR_OUT;
    }

    static final int ATTR_ATTR = PAYLOAD + 16;

    /** struct fuse_open_out { u64 fh; u32 open_flags; s32 backing_id; } at {@code at}. */
    static int open(Pointer out, int at, long fh, BackingFiles.Grant grant) {
        out.putLong(at, fh);
        out.putInt(at + 8, grant.openFlags());
        out.putInt(at + 12, grant.backingId());
        return 16;
    }

    /** struct fuse_write_out / fuse_getxattr_out: a 32-bit count and padding. */
    static int count(Pointer out, long n) {
        out.putInt(PAYLOAD, (int) n);
        out.putInt(PAYLOAD + 4, 0);
        return 8;
    }

    // As libfuse's calc_timeout_sec/nsec: clamped to [0, ULONG_MAX], fraction in nanoseconds.
    static long seconds(double t) {
        if (t <= 0) return 0;
        if (t >= 0x1p64) return -1L;
        return t >= 0x1p63 ? (long) (t - 0x1p63) | Long.MIN_VALUE : (long) t;
    }

    static int nanos(double t) {
        if (t <= 0 || t >= 0x1p63) return 0;
        double f = t - Math.floor(t);
        return (int) Math.min(999_999_999, f * 1e9);
    }
}
