package dev.stratafs.core.whiteout;

/**
 * Extended attributes that belong to the overlay, not to the user: hidden from listxattr,
 * refused for get/set through the merged view, never copied up. overlayfs.rst "Non-standard
 * behavior" / fuse-overlayfs use these prefixes.
 */
public final class PrivateXattrs {
    private static final String[] PREFIXES = {"trusted.overlay.", "user.overlay.", "user.fuseoverlayfs."};

    private PrivateXattrs() {}

    public static boolean isPrivate(String name) {
        for (String p : PREFIXES) {
            if (name.startsWith(p)) return true;
        }
        return false;
    }
}
