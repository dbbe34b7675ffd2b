package dev.stratafs.core;

import java.util.Objects;

/**
 * What one setattr changes (a FUSE SETATTR, chmod/chown/truncate/utimensat): mode bits, owner,
 * size and times; what is not set is left alone. Immutable; built with {@link #builder()}.
 */
public final class AttrChange {
    private final int mode;
    private final int uid;
    private final int gid;
    private final long size;
    private final SetTime atime;
    private final SetTime mtime;

    private AttrChange(Builder b) {
        this.mode = b.mode;
        this.uid = b.uid;
        this.gid = b.gid;
        this.size = b.size;
        this.atime = b.atime;
        this.mtime = b.mtime;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Permission bits (07777), or -1 to keep them. */
    public int mode() { return mode; }

    /** New owner, or -1 to keep it. */
    public int uid() { return uid; }

    /** New group, or -1 to keep it. */
    public int gid() { return gid; }

    /** New size, or -1 to keep it. */
    public long size() { return size; }

    public SetTime atime() { return atime; }

    public SetTime mtime() { return mtime; }

    public boolean changesOwner() { return uid != -1 || gid != -1; }

    public boolean changesTimes() { return atime != SetTime.OMIT || mtime != SetTime.OMIT; }

    /** True when anything but the size changes (what needs a name rather than an open handle). */
    public boolean changesMetadata() { return mode >= 0 || changesOwner() || changesTimes(); }

    /** The same change with the size left alone. */
    public AttrChange withoutSize() {
        Builder b = new Builder();
        b.mode = mode;
        b.uid = uid;
        b.gid = gid;
        b.atime = atime;
        b.mtime = mtime;
        return b.build();
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

        public Builder times(SetTime a, SetTime m) {
            this.atime = Objects.requireNonNull(a);
            this.mtime = Objects.requireNonNull(m);
            return this;
        }

        public AttrChange build() { return new AttrChange(this); }
    }
}
