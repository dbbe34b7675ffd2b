package dev.stratafs.core.diff;

import dev.stratafs.core.nat.StatInfo;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SortedMap;

/**
 * What one side says about one object of a tree: enough to compare two trees field by field.
 * {@code content} is the file data itself when short and printable, else a digest; {@code ino}
 * is only used to find hard-link peers inside one snapshot, never compared across sides.
 */
record Node(
        String path,
        int mode,
        int uid,
        int gid,
        long size,
        String content,
        String linkTarget,
        long rdev,
        SortedMap<String, String> xattrs,
        long nlink,
        long mtimeSec,
        long mtimeNsec,
        long ino) {

    int type() {
        return mode & StatInfo.S_IFMT;
    }

    int perm() {
        return mode & 07777;
    }

    boolean isDir() {
        return type() == StatInfo.S_IFDIR;
    }

    boolean isRegular() {
        return type() == StatInfo.S_IFREG;
    }

    /** The kernel's whiteout: a character device with device number 0/0 (overlayfs.rst). */
    boolean isWhiteoutDevice() {
        return type() == StatInfo.S_IFCHR && rdev == 0;
    }

    static String typeName(int type) {
        return switch (type) {
            case StatInfo.S_IFDIR -> "dir";
            case StatInfo.S_IFREG -> "file";
            case StatInfo.S_IFLNK -> "symlink";
            case StatInfo.S_IFIFO -> "fifo";
            case StatInfo.S_IFCHR -> "chardev";
            case StatInfo.S_IFBLK -> "blockdev";
            case StatInfo.S_IFSOCK -> "socket";
            default -> "type?" + Integer.toOctalString(type);
        };
    }

    /** The data as it appears in a diff message: quoted when short text, else length and digest. */
    static String describeContent(byte[] data) {
        if (data.length <= 64 && isPrintable(data)) {
            return '"' + new String(data, StandardCharsets.UTF_8).replace("\n", "\\n") + '"';
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(data);
            return data.length + " bytes sha256:" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isPrintable(byte[] data) {
        for (byte b : data) {
            if ((b < 0x20 && b != '\n') || b == 0x7f) return false;
        }
        return true;
    }
}
