package dev.stratafs.fuse.mount;

import dev.stratafs.fuse.FuseOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The libfuse 3 command line for a low-level mount (after the program name and {@code -d}):
 * only mount options, which fuse_session_new parses (lib/mount.c); caching timeouts and the
 * other per-request choices travel in the replies instead (see
 * {@link dev.stratafs.fuse.jnr.LowLevelFuse}). libfuse 2 words such as use_ino, big_writes,
 * auto_cache or entry_timeout do not exist here.
 */
final class LowLevelArgs {
    private LowLevelArgs() {}

    static List<String> of(FuseOptions o, boolean readOnly) {
        List<String> opts = new ArrayList<>();
        opts.add("fsname=" + FuseArgs.escape(o.fsName()));
        opts.add("subtype=stratafs");
        if (o.defaultPermissions()) opts.add("default_permissions");
        if (o.allowOther()) opts.add("allow_other");
        if (readOnly) opts.add("ro");
        opts.addAll(o.extraFuseOptions());
        return List.of("-o", String.join(",", opts));
    }
}
