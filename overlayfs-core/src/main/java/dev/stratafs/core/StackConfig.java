package dev.stratafs.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What to stack: lower layers topmost first (as in {@code lowerdir=A:B:C}), an optional upper
 * directory and its workdir, and behaviour switches. Immutable; built by {@link #builder()}.
 * Validation against the filesystem happens in {@link OverlayFs#open}.
 */
public final class StackConfig {
    private final List<Path> lowers;
    private final Path upper;
    private final Path work;
    private final boolean fsync;
    private final boolean acceptDirtyVolatile;
    private final boolean metacopy;

    private StackConfig(Builder b) {
        this.lowers = List.copyOf(b.lowers);
        this.upper = b.upper;
        this.work = b.work;
        this.fsync = b.fsync;
        this.acceptDirtyVolatile = b.acceptDirtyVolatile;
        this.metacopy = b.metacopy;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Lower layer roots, topmost first. */
    public List<Path> lowers() { return lowers; }

    public Optional<Path> upper() { return Optional.ofNullable(upper); }

    public Optional<Path> work() { return Optional.ofNullable(work); }

    /** False in volatile mode: fsyncs are skipped (see overlayfs.rst "Volatile mount"). */
    public boolean fsync() { return fsync; }

    public boolean readOnly() { return upper == null; }

    /**
     * Mount an upper whose last volatile session did not end cleanly anyway (its files may be
     * torn). Off by default, as the kernel's incompat/volatile rule.
     */
    public boolean acceptDirtyVolatile() { return acceptDirtyVolatile; }

    /**
     * Changes of attributes only (mode, owner, times, xattrs) copy a lower file up without its
     * data, which stays in the lower layer until the file is opened to write (overlayfs.rst
     * "Metadata only copy up"). Off by default, as the kernel's {@code metacopy=on}: an upper
     * with such files reads right only on overlays that know the format.
     */
    public boolean metacopy() { return metacopy; }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.lowers.addAll(lowers);
        b.upper = upper;
        b.work = work;
        b.fsync = fsync;
        b.acceptDirtyVolatile = acceptDirtyVolatile;
        b.metacopy = metacopy;
        return b;
    }

    @Override
    public String toString() {
        return "StackConfig{lowers=" + lowers + ", upper=" + upper + ", work=" + work + ", fsync=" + fsync + ", metacopy=" + metacopy + "}";
    }

    public static final class Builder {
        private final List<Path> lowers = new ArrayList<>();
        private Path upper;
        private Path work;
        private boolean fsync = true;
        private boolean acceptDirtyVolatile;
        private boolean metacopy;

        private Builder() {}

        /** Adds a lower layer below those added so far. */
        public Builder lower(Path p) {
            lowers.add(Objects.requireNonNull(p));
            return this;
        }

        public Builder lowers(List<Path> ps) {
            ps.forEach(this::lower);
            return this;
        }

        public Builder upper(Path upper, Path work) {
            this.upper = Objects.requireNonNull(upper);
            this.work = Objects.requireNonNull(work);
            return this;
        }

        public Builder fsync(boolean fsync) {
            this.fsync = fsync;
            return this;
        }

        public Builder acceptDirtyVolatile(boolean accept) {
            this.acceptDirtyVolatile = accept;
            return this;
        }

        public Builder metacopy(boolean metacopy) {
            this.metacopy = metacopy;
            return this;
        }

        public StackConfig build() {
            if (lowers.isEmpty() && upper == null) {
                throw new IllegalArgumentException("a stack needs at least one lower layer or an upper directory");
            }
            return new StackConfig(this);
        }
    }
}
