package dev.stratafs.cli;

/** The {@code --help} and {@code --version} texts. README.md quotes the help verbatim (a test checks). */
final class HelpText {
    /** Kept in step with the Maven project version (without -SNAPSHOT). */
    static final String VERSION = "0.1.0";

    static final String HELP = """
            usage: stratafs [-f] [-d] -o lowerdir=A:B:C[,upperdir=U,workdir=W][,OPTION...] MOUNTPOINT
                   stratafs image ...        layer store commands (when built in)
                   stratafs mount --image ... mount an image from the layer store (when built in)
                   stratafs --help | --version

            Mounts the layers A (top) over B over C at MOUNTPOINT; writes go to U (copy-up), W is
            its scratch directory on the same filesystem. Without upperdir the mount is read-only.
            Without -f, stratafs returns once the mount is live and a daemon serves it; unmount
            with fusermount -u MOUNTPOINT (or umount) and the daemon exits.

              -f                     stay in the foreground (SIGTERM/SIGINT unmount and exit)
              -d                     debug logging, implies -f
              -o OPT[,OPT...]        options, may be repeated; '\\,' and '\\:' escape, "..." quotes

            options:
              lowerdir=A:B:C         lower layers, topmost first (required)
              upperdir=U             writable upper layer (needs workdir)
              workdir=W              empty directory on the same filesystem as U
              volatile               skip fsync (same as fsync=0)
              fsync=0|1              sync copied-up data and metadata (default 1)
              metacopy=on|off        chmod, chown, touch and xattr changes copy a lower file up
                                     without its data until it is written (default off; such an
                                     upper needs metacopy=on on the kernel overlay too, and
                                     fuse-overlayfs cannot read it)
              timeout=SECS           kernel entry/attribute cache timeout (default 1000000000)
              writeback=0|1          kernel writeback cache: fewer, larger writes; errors such as
                                     ENOSPC show at close/fsync, not write (default 0)
              passthrough=0|1        kernel reads and writes upper-layer files itself, without
                                     the daemon (Linux 6.9+, as root; default 1, off with
                                     writeback=1)
              busy_poll=MICROS       poll for the next request this long before sleeping: no
                                     wake-up per request (default 100, adaptive; 0 off)
              squash_to_root         show every file as owned by uid 0 / gid 0
              squash_to_uid=N        show every file as owned by uid N
              squash_to_gid=N        show every file as owned by gid N
              uidmapping=C:H:S[:...] container uid C..C+S-1 is host uid H..H+S-1
              gidmapping=C:H:S[:...] same for gids
              static_nlink           report st_nlink 1 for directories
              noacl                  no POSIX ACL support
              lowlevel               engine: libfuse 3 low-level API, readdirplus (default)
              highlevel              engine: libfuse 2 path API (where libfuse 3 is missing)
              xattr_permissions=N    0 off, 1 privileged xattrs, 2 user xattrs
              allow_other            let other users access the mount (default on as root)
              default_permissions    kernel permission checks (default on as root)
              fsname=NAME            source name shown in /proc/self/mountinfo (default stratafs)
              debug                  debug logging
              log=FILE               log to FILE; default with -f: stderr; for a daemon:
                                     $STRATAFS_LOG, else /var/log/stratafs.log as root, else
                                     $XDG_RUNTIME_DIR/stratafs.log, else /tmp/stratafs-UID.log
              ro                     read-only mount: upperdir and workdir are ignored
              rw                     read-write (default)
              context=... fscontext=... defcontext=... rootcontext=...   accepted, ignored
              dev nodev suid nosuid exec noexec atime noatime relatime ...  accepted, ignored
            Flag options also accept =1 and =0. Unknown options are ignored with a warning.
            """;

    private HelpText() {}

    static String versionLine() {
        return "stratafs version " + VERSION;
    }
}
