package dev.stratafs.core;

import java.util.Objects;

/**
 * What one setattr changes (a FUSE SETATTR, chmod/chown/truncate/utimensat): mode bits, owner,
 * size and times; -1 (or {@link SetTime#OMIT}) leaves a part alone. Immutable; built with
 * {@link #builder()}.
 */
public record AttrChange(int mode, int uid, int gid, long size, SetTime atime, SetTime mtime) {
    public AttrChange {
        if (mode < -1 || mode > 07777) throw new IllegalArgumentException("mode bits out of range: " + mode);
        if (size < -1) throw new IllegalArgumentException("negative size: " + size);
        Objects.requireNonNull(atime);
        Objects.requireNonNull(mtime);
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean changesOwner() { return uid != -1 || gid != -1; }

    public boolean changesTimes() { return atime != SetTime.OMIT || mtime != SetTime.OMIT; }

    /** True when anything but the size changes (what needs a name rather than an open handle). */
    public boolean changesMetadata() { return mode >= 0 || changesOwner() || changesTimes(); }

    /** The same change with the size left alone. */
    public AttrChange withoutSize() {
        return new AttrChange(mode, uid, gid, -1, atime, mtime);
    }

    public static final class Builder {
        private int mode = -1;
        private int uid = -1;
        private int gid = -1;
        private long size = -1;
        private SetTime atime = SetTime.OMIT;
        private SetTime mtime = SetTime.OMIT;

        private Builder() {}

        public Builder mode(int m) { this.mode = m & 07777; return this; }

        /** -1 keeps the uid or gid. */
        public Builder owner(int u, int g) { this.uid = u; this.gid = g; return this; }

        public Builder size(long s) { this.size = s; return this; }

        public Builder times(SetTime a, SetTime m) { this.atime = a; this.mtime = m; return this; }

        public AttrChange build() { return new AttrChange(mode, uid, gid, size, atime, mtime); }
    }
}
