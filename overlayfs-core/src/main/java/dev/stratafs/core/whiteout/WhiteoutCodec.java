package dev.stratafs.core.whiteout;

import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads every whiteout and opaque-directory format found in real layer stores, and writes the
 * kernel's (overlayfs.rst "whiteouts and opaque directories"): a whiteout is a char device 0/0, an
 * opaque directory carries {@code trusted.overlay.opaque=y}. Where mknod or trusted xattrs are
 * refused (not root), it writes the AUFS/OCI forms instead: {@code .wh.NAME} and
 * {@code user.overlay.opaque=y} plus a {@code .wh..wh..opq} file.
 */
public final class WhiteoutCodec {
    public static final String WH_PREFIX = ".wh.";
    public static final String OPAQUE_MARKER = ".wh..wh..opq";

    static final String TRUSTED_OPAQUE = "trusted.overlay.opaque";
    static final String USER_OPAQUE = "user.overlay.opaque";
    static final String FOVL_OPAQUE = "user.fuseoverlayfs.opaque";
    static final String TRUSTED_WHITEOUT = "trusted.overlay.whiteout";
    static final String USER_WHITEOUT = "user.overlay.whiteout";

    private final NativeOs os;
    private final boolean kernelFormat;

    public WhiteoutCodec(NativeOs os, boolean kernelFormat) {
        this.os = os;
        this.kernelFormat = kernelFormat;
    }

    /** True when this codec writes char-device whiteouts and trusted opaque xattrs. */
    public boolean kernelFormat() {
        return kernelFormat;
    }

    /** True for names that only carry whiteout/opaque information and are never shown. */
    public static boolean isMarkerName(String name) {
        return name.startsWith(WH_PREFIX);
    }

    /** The name a {@code .wh.NAME} file whites out, or null for the opaque marker and other names. */
    public static String whitedOutName(String name) {
        if (!name.startsWith(WH_PREFIX) || name.equals(OPAQUE_MARKER)) return null;
        String n = name.substring(WH_PREFIX.length());
        return n.isEmpty() ? null : n;
    }

    /** What a layer directory's markers say about it. */
    public enum Opacity {
        /** Merges with the layers below. */
        NONE,
        /** Merges, and holds xattr whiteouts (overlay.opaque = "x", kernel 6.7+). */
        XWHITEOUTS,
        /** Hides the same directory in the layers below. */
        OPAQUE
    }

    /**
     * Is this object (already lstat'ed) a whiteout? A char device 0/0, or, in a directory marked
     * as holding them ({@code xwhiteouts}), a zero-size regular file with an overlay whiteout
     * xattr (overlayfs.rst "Whiteouts and opaque directories": the parent must carry
     * overlay.opaque=x, so ordinary empty files cost no xattr lookups).
     */
    public boolean isWhiteout(Path p, StatInfo st, boolean xwhiteouts) throws FsException {
        if (st.isCharDevice()) return st.rdev() == 0;
        if (xwhiteouts && st.isRegular() && st.size() == 0) {
            return os.getxattr(p, TRUSTED_WHITEOUT) != null || os.getxattr(p, USER_WHITEOUT) != null;
        }
        return false;
    }

    /** The directory's markers: opaque ("y" or a {@code .wh..wh..opq} file), holding xattr whiteouts ("x"), or neither. */
    public Opacity opacity(Path dir) throws FsException {
        Opacity found = Opacity.NONE;
        for (String n : os.listxattr(dir)) {
            if (n.equals(TRUSTED_OPAQUE) || n.equals(USER_OPAQUE) || n.equals(FOVL_OPAQUE)) {
                byte[] v = os.getxattr(dir, n);
                if (v != null && v.length >= 1 && v[0] == 'y') return Opacity.OPAQUE;
                if (v != null && v.length >= 1 && v[0] == 'x') found = Opacity.XWHITEOUTS;
            }
        }
        return os.lstatOrNull(dir.resolve(OPAQUE_MARKER)) != null ? Opacity.OPAQUE : found;
    }

    /** Is this directory opaque (hides the same directory in layers below)? */
    public boolean isOpaque(Path dir) throws FsException {
        return opacity(dir) == Opacity.OPAQUE;
    }

    /** Creates a whiteout at {@code p} (which must not exist), in this codec's format. */
    public void writeWhiteout(Path p) throws FsException {
        if (kernelFormat) {
            os.mknod(p, StatInfo.S_IFCHR, 0);
        } else {
            Path marker = p.resolveSibling(WH_PREFIX + p.getFileName());
            int fd = os.open(marker, NativeOs.OpenFlags.O_WRONLY | NativeOs.OpenFlags.O_CREAT | NativeOs.OpenFlags.O_EXCL, 0);
            os.close(fd);
        }
    }

    /** Path of the AUFS-style marker that would white out {@code p}. */
    public static Path aufsMarker(Path p) {
        return p.resolveSibling(WH_PREFIX + p.getFileName());
    }

    /**
     * Does an AUFS-style marker white out {@code p}? Names within 4 bytes of NAME_MAX cannot have
     * one (".wh." would not fit), so they are answered without asking the filesystem.
     */
    public boolean hasAufsMarker(Path p) throws FsException {
        if (p.getFileName().toString().getBytes(StandardCharsets.UTF_8).length + WH_PREFIX.length() > 255) return false;
        return os.lstatOrNull(aufsMarker(p)) != null;
    }

    /** Marks the directory opaque in this codec's format. */
    public void markOpaque(Path dir) throws FsException {
        if (kernelFormat) {
            os.setxattr(dir, TRUSTED_OPAQUE, "y".getBytes(StandardCharsets.US_ASCII), 0);
        } else {
            os.setxattr(dir, USER_OPAQUE, "y".getBytes(StandardCharsets.US_ASCII), 0);
            Path m = dir.resolve(OPAQUE_MARKER);
            if (os.lstatOrNull(m) == null) {
                int fd = os.open(m, NativeOs.OpenFlags.O_WRONLY | NativeOs.OpenFlags.O_CREAT | NativeOs.OpenFlags.O_EXCL, 0);
                os.close(fd);
            }
        }
    }

    /**
     * Probes whether the kernel format can be written in {@code scratch} (a directory inside the
     * workdir): mknod of a char device and a trusted xattr both need CAP_SYS_ADMIN/CAP_MKNOD.
     */
    public static boolean probeKernelFormat(NativeOs os, Path scratch) {
        Path probe = scratch.resolve("#stratafs-probe");
        try {
            try { os.unlink(probe); } catch (FsException ignored) { /* absent */ }
            os.mknod(probe, StatInfo.S_IFCHR, 0);
            os.unlink(probe);
            os.setxattr(scratch, "trusted.overlay.stratafs.probe", new byte[] {'1'}, 0);
            os.removexattr(scratch, "trusted.overlay.stratafs.probe");
            return true;
        } catch (FsException e) {
            return false;
        }
    }

}
