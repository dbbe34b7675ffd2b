package dev.stratafs.fuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the mount presents the core to the kernel: caching, permission checking, id mapping.
 * Immutable; built by {@link #builder()}. The command line parses into this plus a
 * {@link dev.stratafs.core.StackConfig}.
 */
public final class FuseOptions {
    /** One uidmapping/gidmapping range: container ids [container, container+size) are host ids [host, host+size). */
    public record IdRange(long container, long host, long size) {}

    private final double timeoutSeconds;
    private final boolean allowOther;
    private final boolean defaultPermissions;
    private final boolean debug;
    private final boolean staticNlink;
    private final boolean noAcl;
    private final int xattrPermissions;
    private final Integer squashUid;
    private final Integer squashGid;
    private final List<IdRange> uidMap;
    private final List<IdRange> gidMap;
    private final String fsName;
    private final List<String> extraFuseOptions;
    private final boolean lowLevel;
    private final boolean writeback;
    private final boolean passthrough;
    private final int busyPollMicros;

    private FuseOptions(Builder b) {
        this.timeoutSeconds = b.timeoutSeconds;
        this.allowOther = b.allowOther;
        this.defaultPermissions = b.defaultPermissions;
        this.debug = b.debug;
        this.staticNlink = b.staticNlink;
        this.noAcl = b.noAcl;
        this.xattrPermissions = b.xattrPermissions;
        this.squashUid = b.squashUid;
        this.squashGid = b.squashGid;
        this.uidMap = List.copyOf(b.uidMap);
        this.gidMap = List.copyOf(b.gidMap);
        this.fsName = b.fsName;
        this.extraFuseOptions = List.copyOf(b.extraFuseOptions);
        this.lowLevel = b.lowLevel;
        this.writeback = b.writeback;
        this.passthrough = b.passthrough;
        this.busyPollMicros = b.busyPollMicros;
    }

    public static Builder builder() { return new Builder(); }

    /**
     * The default {@code timeout=}: 10^9 s, in effect never, as fuse-overlayfs (its main.c) and
     * the kernel overlay (which caches dentries and inodes without expiry) do. Layers must not
     * change behind a mounted overlay (kernel Documentation/filesystems/overlayfs.rst, "Changes
     * to underlying filesystems"), and the kernel invalidates what changes through the mount
     * itself; what it cannot see, a change through one hard link reaching another name's kernel
     * inode, the FUSE loop handles (dev.stratafs.fuse.jnr.ReplyChannel).
     */
    public static final double DEFAULT_TIMEOUT_SECONDS = 1e9;

    /** Entry and attribute cache timeout handed to the kernel (fuse-overlayfs {@code timeout=}). */
    public double timeoutSeconds() { return timeoutSeconds; }
    public boolean allowOther() { return allowOther; }
    public boolean defaultPermissions() { return defaultPermissions; }
    public boolean debug() { return debug; }
    /** Report st_nlink 1 for directories (fuse-overlayfs {@code static_nlink}). */
    public boolean staticNlink() { return staticNlink; }
    public boolean noAcl() { return noAcl; }
    /** fuse-overlayfs {@code xattr_permissions}: 0 off, 1 privileged xattrs, 2 user xattrs. */
    public int xattrPermissions() { return xattrPermissions; }
    /** All files appear owned by this uid (squash_to_root = 0), or null. */
    public Integer squashUid() { return squashUid; }
    public Integer squashGid() { return squashGid; }
    public List<IdRange> uidMap() { return uidMap; }
    public List<IdRange> gidMap() { return gidMap; }
    /** fsname shown in /proc/self/mountinfo. */
    public String fsName() { return fsName; }
    /** Further raw -o words for libfuse (e.g. from a test), appended last. */
    public List<String> extraFuseOptions() { return extraFuseOptions; }
    /**
     * Serve through libfuse 3's low-level API (the default) rather than libfuse 2's path API
     * ({@code -o highlevel}): readdirplus and one kernel inode per file halve cold tree walks
     * and keep hard links coherent (docs/lowlevel-engine.md).
     */
    public boolean lowLevel() { return lowLevel; }

    /**
     * The kernel's writeback cache (fuse-overlayfs {@code writeback=1}): write(2) fills the page
     * cache and the kernel sends larger WRITEs later; an error (ENOSPC) then shows at close or
     * fsync instead of at the write. Low-level engine only.
     */
    public boolean writeback() { return writeback; }

    /**
     * FUSE passthrough (Linux 6.9+, as root): reads and writes of files in the upper layer go
     * from the kernel to the upper file without the daemon. On by default where the kernel
     * offers it; off next to the writeback cache, which the kernel does not combine with it.
     * Low-level engine only.
     */
    public boolean passthrough() { return passthrough; }

    /** The default {@code busy_poll=}, in microseconds: measured in docs/benchmarks.md. */
    public static final int DEFAULT_BUSY_POLL_MICROS = 100;
    /** The largest {@code busy_poll=}: 10 ms of polling per idle spell is already a waste. */
    public static final int MAX_BUSY_POLL_MICROS = 10_000;

    /**
     * How long, at most, the worker reading /dev/fuse polls for the next request before it
     * sleeps in read(2), in microseconds; 0 never polls. The window adapts to the traffic
     * ({@code dev.stratafs.fuse.jnr.SpinWindow}); with one CPU there is no polling.
     */
    public int busyPollMicros() { return busyPollMicros; }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.timeoutSeconds = timeoutSeconds;
        b.allowOther = allowOther;
        b.defaultPermissions = defaultPermissions;
        b.debug = debug;
        b.staticNlink = staticNlink;
        b.noAcl = noAcl;
        b.xattrPermissions = xattrPermissions;
        b.squashUid = squashUid;
        b.squashGid = squashGid;
        b.uidMap.addAll(uidMap);
        b.gidMap.addAll(gidMap);
        b.fsName = fsName;
        b.extraFuseOptions.addAll(extraFuseOptions);
        b.lowLevel = lowLevel;
        b.writeback = writeback;
        b.passthrough = passthrough;
        b.busyPollMicros = busyPollMicros;
        return b;
    }

    public static final class Builder {
        private double timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
        private boolean allowOther;
        private boolean defaultPermissions;
        private boolean debug;
        private boolean staticNlink;
        private boolean noAcl;
        private int xattrPermissions;
        private Integer squashUid;
        private Integer squashGid;
        private final List<IdRange> uidMap = new ArrayList<>();
        private final List<IdRange> gidMap = new ArrayList<>();
        private String fsName = "stratafs";
        private final List<String> extraFuseOptions = new ArrayList<>();
        private boolean lowLevel = true;
        private boolean writeback;
        private boolean passthrough = true;
        private int busyPollMicros = DEFAULT_BUSY_POLL_MICROS;

        private Builder() {}

        public Builder timeoutSeconds(double t) {
            if (t < 0 || Double.isNaN(t)) throw new IllegalArgumentException("timeout must be >= 0: " + t);
            this.timeoutSeconds = t;
            return this;
        }
        public Builder allowOther(boolean v) { this.allowOther = v; return this; }
        public Builder defaultPermissions(boolean v) { this.defaultPermissions = v; return this; }
        public Builder debug(boolean v) { this.debug = v; return this; }
        public Builder staticNlink(boolean v) { this.staticNlink = v; return this; }
        public Builder noAcl(boolean v) { this.noAcl = v; return this; }
        public Builder xattrPermissions(int v) { this.xattrPermissions = v; return this; }
        public Builder squashUid(Integer v) { this.squashUid = v; return this; }
        public Builder squashGid(Integer v) { this.squashGid = v; return this; }
        public Builder uidMap(List<IdRange> m) { uidMap.clear(); uidMap.addAll(m); return this; }
        public Builder gidMap(List<IdRange> m) { gidMap.clear(); gidMap.addAll(m); return this; }
        public Builder fsName(String n) { this.fsName = Objects.requireNonNull(n); return this; }
        public Builder extraFuseOption(String o) { extraFuseOptions.add(Objects.requireNonNull(o)); return this; }
        public Builder lowLevel(boolean v) { this.lowLevel = v; return this; }
        public Builder writeback(boolean v) { this.writeback = v; return this; }
        public Builder passthrough(boolean v) { this.passthrough = v; return this; }
        public Builder busyPollMicros(int micros) {
            if (micros < 0 || micros > MAX_BUSY_POLL_MICROS) {
                throw new IllegalArgumentException("busy_poll must be 0 to " + MAX_BUSY_POLL_MICROS + " µs: " + micros);
            }
            this.busyPollMicros = micros;
            return this;
        }
        public FuseOptions build() { return new FuseOptions(this); }
    }
}
