package dev.stratafs.fuse.jnr;

import java.nio.ByteBuffer;

/**
 * Gives a reply's attributes no cache lifetime when they describe a non-directory with more than
 * one link. libfuse 2's high-level API makes every path its own FUSE node, so two hard links are
 * two kernel inodes, and a change through one (chmod, write, unlink of a third link) never
 * reaches the other's attribute cache. With attr_valid 0 the kernel asks again on every access
 * of such a file (fs/fuse/dir.c fuse_update_get_attr), while all other files keep the long
 * timeout. A file gaining its second link is handled by {@link ReplyChannel}, which invalidates
 * the source node's cached attributes (nlink 1) on LINK.
 *
 * <p>Works on the argument of a reply (what follows struct fuse_out_header), in the layouts of
 * include/uapi/linux/fuse.h for protocol 7.9 and later; any other length is left alone.
 */
final class HardLinkAttrTimeout {
    static final int FUSE_LOOKUP = 1;
    static final int FUSE_GETATTR = 3;
    static final int FUSE_SETATTR = 4;
    static final int FUSE_SYMLINK = 6;
    static final int FUSE_MKNOD = 8;
    static final int FUSE_MKDIR = 9;
    static final int FUSE_LINK = 13;
    static final int FUSE_CREATE = 35;

    /** struct fuse_attr: six u64, then atimensec mtimensec ctimensec mode nlink ... padding (u32). */
    static final int ATTR_SIZE = 88;
    private static final int ATTR_MODE = 60;
    private static final int ATTR_NLINK = 64;
    /** struct fuse_entry_out: nodeid generation entry_valid attr_valid (u64), entry_valid_nsec attr_valid_nsec (u32), attr. */
    static final int ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
    private static final int ENTRY_ATTR_VALID = 24;
    private static final int ENTRY_ATTR_VALID_NSEC = 36;
    private static final int ENTRY_ATTR = 40;
    /** struct fuse_attr_out: attr_valid (u64), attr_valid_nsec dummy (u32), attr. */
    static final int ATTR_OUT_SIZE = 16 + ATTR_SIZE;
    private static final int ATTR_OUT_VALID = 0;
    private static final int ATTR_OUT_VALID_NSEC = 8;
    private static final int ATTR_OUT_ATTR = 16;
    /** FUSE_CREATE answers fuse_entry_out followed by struct fuse_open_out (fh u64, open_flags, padding u32). */
    static final int CREATE_OUT_SIZE = ENTRY_OUT_SIZE + 16;

    /** stat.h S_IFMT / S_IFDIR. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000;

    private HardLinkAttrTimeout() {}

    /** Whether a successful reply to {@code opcode} carries attributes (fuse_entry_out or fuse_attr_out). */
    static boolean answersAttributes(int opcode) {
        return switch (opcode) {
            case FUSE_LOOKUP, FUSE_GETATTR, FUSE_SETATTR, FUSE_SYMLINK, FUSE_MKNOD, FUSE_MKDIR, FUSE_LINK, FUSE_CREATE -> true;
            default -> false;
        };
    }

    /**
     * Sets attr_valid and attr_valid_nsec of {@code arg} (the reply to {@code opcode}, in native
     * byte order from position 0) to 0 when its attributes are a non-directory with nlink > 1.
     * Only successful replies carry an argument, so the caller passes those alone.
     *
     * @return whether {@code arg} was changed
     */
    static boolean apply(int opcode, ByteBuffer arg) {
        int len = arg.remaining();
        return switch (opcode) {
            case FUSE_LOOKUP, FUSE_SYMLINK, FUSE_MKNOD, FUSE_MKDIR, FUSE_LINK ->
                    len == ENTRY_OUT_SIZE && expire(arg, ENTRY_ATTR, ENTRY_ATTR_VALID, ENTRY_ATTR_VALID_NSEC);
            case FUSE_CREATE ->
                    len == CREATE_OUT_SIZE && expire(arg, ENTRY_ATTR, ENTRY_ATTR_VALID, ENTRY_ATTR_VALID_NSEC);
            case FUSE_GETATTR, FUSE_SETATTR ->
                    len == ATTR_OUT_SIZE && expire(arg, ATTR_OUT_ATTR, ATTR_OUT_VALID, ATTR_OUT_VALID_NSEC);
            default -> false;
        };
    }

    private static boolean expire(ByteBuffer arg, int attr, int valid, int validNsec) {
        int base = arg.position();
        int mode = arg.getInt(base + attr + ATTR_MODE);
        long nlink = Integer.toUnsignedLong(arg.getInt(base + attr + ATTR_NLINK));
        if ((mode & S_IFMT) == S_IFDIR || nlink <= 1) return false;
        if (arg.getLong(base + valid) == 0 && arg.getInt(base + validNsec) == 0) return false;
        arg.putLong(base + valid, 0);
        arg.putInt(base + validNsec, 0);
        return true;
    }
}
