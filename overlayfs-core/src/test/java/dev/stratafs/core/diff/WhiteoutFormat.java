package dev.stratafs.core.diff;

/**
 * How a fixture writes whiteouts and opaque markers into its lower layers (design notes §2).
 * The kernel reads KERNEL and XATTR; AUFS only the core (container stores for mount programs).
 */
enum WhiteoutFormat {
    /** char device 0/0 named NAME; opaque dir: xattr trusted.overlay.opaque=y. */
    KERNEL,
    /** empty file .wh.NAME; opaque dir: file .wh..wh..opq inside it. */
    AUFS,
    /**
     * empty regular file NAME with xattr trusted.overlay.whiteout, its parent marked
     * trusted.overlay.opaque=x ("has xattr whiteouts", not opaque); opaque dir as KERNEL.
     * Understood by kernels since 6.7 (overlayfs.rst, "Whiteouts and opaque directories").
     */
    XATTR;

    boolean kernelReadable() {
        return this != AUFS;
    }
}
