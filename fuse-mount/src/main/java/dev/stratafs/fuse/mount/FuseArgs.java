package dev.stratafs.fuse.mount;

import dev.stratafs.fuse.FuseOptions;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * The libfuse 2 command line for a mount, after the program name, {@code -f} (and {@code -d})
 * and the mountpoint, which {@link dev.stratafs.fuse.jnr.StrataFuse#runLoop} puts first. Never
 * {@code -s}: the loop is multithreaded.
 */
final class FuseArgs {
    /** FUSE's largest request payload with big_writes (libfuse 2 caps max_write at 128 KiB). */
    static final int MAX_WRITE = 131072;

    private FuseArgs() {}

    static List<String> of(FuseOptions o, boolean readOnly) {
        List<String> opts = new ArrayList<>();
        // st_ino from getattr/readdir reaches the kernel only with use_ino (libfuse 2 fuse.c).
        opts.add("use_ino");
        // No hard_remove: with it libfuse forgets the path of a file unlinked while open and
        // fstat(2) of it fails with ENOENT. Its .fuse_hidden renames are absorbed by the adapter
        // (see dev.stratafs.fuse.HiddenFiles) and never reach the layers.
        // O_TRUNC reaches open() instead of a later truncate: a copy-up for open(O_TRUNC) then
        // skips copying data the caller is about to discard (as kernel overlayfs does).
        opts.add("atomic_o_trunc");
        opts.add("big_writes");
        opts.add("max_write=" + MAX_WRITE);
        String t = seconds(o.timeoutSeconds());
        opts.add("entry_timeout=" + t);
        opts.add("attr_timeout=" + t);
        opts.add("negative_timeout=" + t);
        // Keep page-cache contents across opens unless mtime or size changed. Not kernel_cache:
        // libfuse 2's path-based nodes give each hard link its own kernel inode, and with
        // kernel_cache a read through one link kept returning data overwritten through another,
        // forever. auto_cache compares with the node's last known mtime and size at open, asking
        // the filesystem again only when they are older than ac_attr_timeout (default
        // attr_timeout, so never under the long default): 0 makes every open ask (an in-process
        // fgetattr, no kernel round trip), so that an open through one name sees what was written
        // through another (libfuse 2.9 lib/fuse.c open_auto_cache).
        opts.add("auto_cache");
        opts.add("ac_attr_timeout=0");
        opts.add("fsname=" + escape(o.fsName()));
        opts.add("subtype=stratafs");
        if (o.defaultPermissions()) opts.add("default_permissions");
        if (o.allowOther()) opts.add("allow_other");
        if (readOnly) opts.add("ro");
        opts.addAll(o.extraFuseOptions());
        return List.of("-o", String.join(",", opts));
    }

    /** Seconds as libfuse reads them ("%lf"): plain decimal, no exponent. */
    static String seconds(double s) {
        return BigDecimal.valueOf(s).stripTrailingZeros().toPlainString();
    }

    /** fuse_opt splits -o at commas; a backslash keeps the next character literal. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace(",", "\\,");
    }
}
