package dev.stratafs.cli;

import dev.stratafs.core.StackConfig;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.FuseOptions.IdRange;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses {@code [-f] [-d] -o DATA [-o DATA...] MOUNTPOINT} into a {@link MountRequest}. Accepts
 * the option words fuse-overlayfs accepts from container engines (containers/storage passes
 * {@code lowerdir=...,upperdir=...,workdir=...[,volatile]} and maybe context, id mappings,
 * squashing); the usual mount flags are accepted silently; unknown words are ignored with a
 * warning so a new engine option never blocks a container. Pure: no I/O, no logging.
 */
final class MountOptionsParser {
    /** uid_t/gid_t are 32-bit; (uid_t)-1 means "no change" and is never a real id. */
    private static final long MAX_ID = 0xFFFF_FFFEL;

    private final boolean root;
    private final Path cwd;

    /**
     * @param root whether the caller is uid 0 (then allow_other and default_permissions default on)
     * @param cwd  directory relative paths are resolved against (podman runs mount programs in
     *             its overlay dir and may pass relative {@code l/ID} layer paths)
     */
    MountOptionsParser(boolean root, Path cwd) {
        this.root = root;
        this.cwd = cwd.toAbsolutePath();
    }

    MountRequest parse(List<String> args) throws CliException {
        State s = new State();
        List<String> positional = new ArrayList<>();
        boolean optionsEnded = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (optionsEnded || !a.startsWith("-") || a.equals("-")) {
                positional.add(a);
            } else if (a.equals("--")) {
                optionsEnded = true;
            } else if (a.startsWith("--")) {
                throw new CliException("unknown option '" + a + "' (see stratafs --help)");
            } else {
                // A cluster of one-letter flags, as getopt allows: -f, -d, -fd, -o DATA, -oDATA.
                for (int k = 1; k < a.length(); k++) {
                    char c = a.charAt(k);
                    if (c == 'f') {
                        s.foreground = true;
                    } else if (c == 'd') {
                        s.debug = true;
                        s.foreground = true; // as libfuse: -d implies -f
                    } else if (c == 'o') {
                        String data;
                        if (k + 1 < a.length()) {
                            data = a.substring(k + 1);
                        } else if (i + 1 < args.size()) {
                            data = args.get(++i);
                        } else {
                            throw new CliException("option -o needs an argument");
                        }
                        for (String w : OptionWords.splitCommas(data)) {
                            applyWord(s, w);
                        }
                        break;
                    } else {
                        throw new CliException("unknown option '-" + c + "' (see stratafs --help)");
                    }
                }
            }
        }
        if (positional.isEmpty()) {
            throw new CliException("missing mountpoint (see stratafs --help)");
        }
        if (positional.size() > 1) {
            throw new CliException("unexpected argument '" + positional.get(1) + "': only one mountpoint is allowed");
        }
        return build(s, absolute(positional.get(0)));
    }

    private void applyWord(State s, String word) throws CliException {
        int eq = word.indexOf('=');
        String key = eq < 0 ? word : word.substring(0, eq);
        String value = eq < 0 ? null : word.substring(eq + 1);
        switch (key) {
            case "lowerdir" -> s.lowers = parseLowers(need(key, value));
            case "upperdir" -> s.upper = path(key, need(key, value));
            case "workdir" -> s.work = path(key, need(key, value));
            case "volatile" -> s.fsync = flag(key, value, false);
            case "fsync" -> s.fsync = switch (need(key, value)) {
                case "0" -> false;
                case "1" -> true;
                default -> throw new CliException("bad value for fsync: '" + value + "' (expected 0 or 1)");
            };
            case "metacopy" -> s.metacopy = switch (need(key, value)) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new CliException("bad value for metacopy: '" + value + "' (expected on or off)");
            };
            case "timeout" -> s.fuse.timeoutSeconds(seconds(key, need(key, value)));
            case "writeback" -> s.fuse.writeback(flag(key, value, true));
            case "passthrough" -> {
                s.passthroughAsked = flag(key, value, true);
                s.fuse.passthrough(s.passthroughAsked);
            }
            case "busy_poll" -> s.fuse.busyPollMicros(busyPoll(need(key, value)));
            case "squash_to_root" -> {
                flag(key, value, true);
                s.fuse.squashUid(0).squashGid(0);
            }
            case "squash_to_uid" -> s.fuse.squashUid((int) id(key, need(key, value)));
            case "squash_to_gid" -> s.fuse.squashGid((int) id(key, need(key, value)));
            case "uidmapping" -> s.fuse.uidMap(mapping(key, need(key, value)));
            case "gidmapping" -> s.fuse.gidMap(mapping(key, need(key, value)));
            case "static_nlink" -> s.fuse.staticNlink(flag(key, value, true));
            case "noacl" -> s.fuse.noAcl(flag(key, value, true));
            case "lowlevel" -> s.fuse.lowLevel(flag(key, value, true));
            case "highlevel" -> s.fuse.lowLevel(!flag(key, value, true));
            case "xattr_permissions" -> s.fuse.xattrPermissions(xattrPermissions(need(key, value)));
            case "context", "fscontext", "defcontext", "rootcontext" ->
                    // SELinux labels: the kernel applies them to real filesystems; a FUSE
                    // daemon has nothing to do with them (fuse-overlayfs ignores them too).
                    s.notes.add("ignoring " + key + "=" + value);
            case "debug" -> s.debug = flag(key, value, true);
            case "allow_other" -> s.allowOther = flag(key, value, true);
            case "default_permissions" -> s.defaultPermissions = flag(key, value, true);
            case "fsname" -> s.fuse.fsName(need(key, value));
            case "log" -> s.logFile = path(key, need(key, value));
            case "ro" -> s.readOnly = flag(key, value, true);
            case "rw" -> s.readOnly = !flag(key, value, true);
            // mount(8) flags: the kernel enforces them on the mount; nothing for us to do.
            case "dev", "nodev", "suid", "nosuid", "exec", "noexec", "atime", "noatime",
                    "relatime", "norelatime", "strictatime", "diratime", "nodiratime",
                    "sync", "async", "auto", "noauto", "user", "nouser", "defaults", "_netdev" ->
                    flag(key, value, true);
            default -> s.warnings.add("ignoring unknown option '" + word + "'");
        }
    }

    private MountRequest build(State s, Path mountPoint) throws CliException {
        if (s.lowers == null) {
            throw new CliException("missing lowerdir= option: at least one lower layer is required");
        }
        StackConfig.Builder stack = StackConfig.builder().lowers(s.lowers).fsync(s.fsync).metacopy(s.metacopy);
        if (s.readOnly) {
            if (s.upper != null) {
                s.notes.add("read-only mount: ignoring upperdir and workdir");
            }
        } else if (s.upper != null) {
            if (s.work == null) {
                throw new CliException("upperdir= needs workdir= as well");
            }
            stack.upper(s.upper, s.work);
        } else if (s.work != null) {
            // As the kernel's overlayfs: "workdir=" is useless in a non-upper mount, ignore.
            s.warnings.add("ignoring workdir= without upperdir=");
        }
        // As root, by default other users (the container's uids) must reach the files, and the
        // kernel must check permissions since the daemon runs with root's rights.
        s.fuse.allowOther(s.allowOther != null ? s.allowOther : root);
        s.fuse.defaultPermissions(s.defaultPermissions != null ? s.defaultPermissions : root);
        s.fuse.debug(s.debug);
        FuseOptions built = s.fuse.build();
        if (built.writeback() && !built.lowLevel()) {
            s.warnings.add("ignoring writeback: the writeback cache needs the low-level engine");
        }
        if (s.passthroughAsked && !built.lowLevel()) {
            s.warnings.add("ignoring passthrough: passthrough needs the low-level engine");
        } else if (s.passthroughAsked && built.writeback()) {
            s.warnings.add("ignoring passthrough: the kernel does not combine it with the writeback cache");
        }
        return new MountRequest(stack.build(), built, mountPoint, s.foreground, s.debug,
                java.util.Optional.ofNullable(s.logFile), s.warnings, s.notes);
    }

    private List<Path> parseLowers(String value) throws CliException {
        List<Path> lowers = new ArrayList<>();
        for (String p : OptionWords.splitColons(value)) {
            if (p.isEmpty()) {
                throw new CliException("empty layer path in lowerdir='" + value + "'");
            }
            lowers.add(absolute(p));
        }
        return lowers;
    }

    private Path path(String key, String value) throws CliException {
        String p = OptionWords.unescape(value);
        if (p.isEmpty()) {
            throw new CliException("empty path for " + key + "=");
        }
        return absolute(p);
    }

    private Path absolute(String p) throws CliException {
        try {
            return cwd.resolve(p).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new CliException("invalid path '" + p + "': " + e.getReason());
        }
    }

    private static String need(String key, String value) throws CliException {
        if (value == null || value.isEmpty()) {
            throw new CliException("option " + key + "= needs a value");
        }
        return value;
    }

    /** A boolean word: bare ({@code noacl}) means on; {@code noacl=0/1} is also understood. */
    private static boolean flag(String key, String value, boolean whenSet) throws CliException {
        if (value == null) {
            return whenSet;
        }
        return switch (value) {
            case "1" -> whenSet;
            case "0" -> !whenSet;
            default -> throw new CliException("option " + key + " takes no value (got '" + value + "')");
        };
    }

    private static double seconds(String key, String value) throws CliException {
        try {
            double d = Double.parseDouble(value);
            if (Double.isFinite(d) && d >= 0 && !value.endsWith("d") && !value.endsWith("f")
                    && !value.endsWith("D") && !value.endsWith("F")) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new CliException("bad value for " + key + ": '" + value + "' (expected seconds >= 0, e.g. 1.5)");
    }

    private static long id(String key, String value) throws CliException {
        long v = number(key, value);
        if (v > Integer.MAX_VALUE) {
            throw new CliException("bad value for " + key + ": '" + value + "' (id too large)");
        }
        return v;
    }

    private static long number(String key, String value) throws CliException {
        if (value.isEmpty() || value.length() > 10 || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            throw new CliException("bad value for " + key + ": '" + value + "' (expected a non-negative integer)");
        }
        long v = Long.parseLong(value);
        if (v > MAX_ID) {
            throw new CliException("bad value for " + key + ": '" + value + "' (out of range)");
        }
        return v;
    }

    private static int busyPoll(String value) throws CliException {
        if (value.length() <= 6 && value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            int v = Integer.parseInt(value);
            if (v <= FuseOptions.MAX_BUSY_POLL_MICROS) return v;
        }
        throw new CliException("bad value for busy_poll: '" + value + "' (expected microseconds, 0 to "
                + FuseOptions.MAX_BUSY_POLL_MICROS + "; 0 turns polling off)");
    }

    private static int xattrPermissions(String value) throws CliException {
        return switch (value) {
            case "0" -> 0;
            case "1" -> 1;
            case "2" -> 2;
            default -> throw new CliException("bad value for xattr_permissions: '" + value + "' (expected 0, 1 or 2)");
        };
    }

    /** fuse-overlayfs syntax: CONTAINER:HOST:SIZE, repeated with ':' between ranges. */
    private static List<IdRange> mapping(String key, String value) throws CliException {
        String[] f = value.split(":", -1);
        if (f.length % 3 != 0) {
            throw new CliException("bad " + key + " '" + value + "': expected CONTAINER:HOST:SIZE[:CONTAINER:HOST:SIZE...]");
        }
        List<IdRange> ranges = new ArrayList<>();
        for (int i = 0; i < f.length; i += 3) {
            long c = number(key, f[i]);
            long h = number(key, f[i + 1]);
            long n = number(key, f[i + 2]);
            if (n == 0 || c + n - 1 > MAX_ID || h + n - 1 > MAX_ID) {
                throw new CliException("bad " + key + " range '" + f[i] + ":" + f[i + 1] + ":" + f[i + 2]
                        + "': size must be >= 1 and ids must stay below 4294967295");
            }
            ranges.add(new IdRange(c, h, n));
        }
        return ranges;
    }

    /** Mutable accumulation while reading words; later words override earlier ones. */
    private static final class State {
        final FuseOptions.Builder fuse = FuseOptions.builder();
        final List<String> warnings = new ArrayList<>();
        final List<String> notes = new ArrayList<>();
        List<Path> lowers;
        Path upper;
        Path work;
        Path logFile;
        boolean fsync = true;
        boolean metacopy;
        boolean readOnly;
        boolean foreground;
        boolean debug;
        Boolean allowOther; // null: the default for our uid
        Boolean defaultPermissions;
        /** passthrough=1 given explicitly: warn when it cannot apply. */
        boolean passthroughAsked;
    }
}
