package dev.stratafs.core.diff;

import dev.stratafs.core.error.FsException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * A fixture, a script of operations, and what may legitimately differ. Immutable once built.
 */
final class Scenario {
    /** Brings the kernel's view to what the core's successful operation should have produced. */
    interface KernelFallback {
        void apply(KernelFs kernel) throws FsException;
    }

    /** A documented, intended difference of outcome for one step. */
    record Expected(String kernel, String core, String why, KernelFallback fallback) {}

    record Step(Op op, Expected expected) {}

    final LayerFixture fixture;
    final List<Step> steps;
    final WhiteoutFormat coreFormat;
    final List<String> kernelOptions;
    final boolean readOnly;
    final boolean metacopy;
    final Set<String> skipMerged;
    final Set<String> skipUpper;
    final Set<String> skipRemount;
    final List<Function<TreeSnapshot, List<String>>> coreChecks;

    private Scenario(Builder b) {
        this.fixture = b.fixture;
        this.steps = List.copyOf(b.steps);
        this.coreFormat = b.coreFormat;
        this.kernelOptions = List.copyOf(b.kernelOptions);
        this.readOnly = b.readOnly;
        this.metacopy = b.metacopy;
        this.skipMerged = Set.copyOf(b.skipMerged);
        this.skipUpper = Set.copyOf(b.skipUpper);
        this.skipRemount = Set.copyOf(b.skipRemount);
        this.coreChecks = List.copyOf(b.coreChecks);
    }

    static Builder on(LayerFixture fixture) {
        return new Builder(fixture);
    }

    static final class Builder {
        private final LayerFixture fixture;
        private final List<Step> steps = new ArrayList<>();
        private WhiteoutFormat coreFormat = WhiteoutFormat.KERNEL;
        private final List<String> kernelOptions = new ArrayList<>();
        private boolean readOnly;
        private boolean metacopy;
        private final Set<String> skipMerged = new LinkedHashSet<>();
        private final Set<String> skipUpper = new LinkedHashSet<>();
        private final Set<String> skipRemount = new LinkedHashSet<>();
        private final List<Function<TreeSnapshot, List<String>>> coreChecks = new ArrayList<>();

        private Builder(LayerFixture fixture) {
            this.fixture = fixture;
        }

        /** Steps whose outcomes must be equal on both sides. */
        Builder then(Op... ops) {
            for (Op op : ops) steps.add(new Step(op, null));
            return this;
        }

        /**
         * A step whose outcomes differ by design; each side must answer exactly as stated, and
         * the fallback (if any) then makes the kernel's tree what the core's should be.
         */
        Builder expectDifference(Op op, String kernel, String core, String why, KernelFallback fallback) {
            steps.add(new Step(op, new Expected(kernel, core, why, fallback)));
            return this;
        }

        /** The core reads its lowers in this format; the kernel always gets the KERNEL rendering. */
        Builder coreFormat(WhiteoutFormat f) {
            this.coreFormat = f;
            return this;
        }

        /**
         * No upper layer on either side (lowerdir only; podman's mounts for diff, commit and
         * build): every change must fail with EROFS, the merged view stays the lowers'.
         */
        Builder readOnly() {
            this.readOnly = true;
            return this;
        }

        /** Metadata-only copy-ups on both sides: the kernel's {@code metacopy=on}, the core's {@code metacopy(true)}. */
        Builder metacopy() {
            this.metacopy = true;
            kernelOptions.add("metacopy=on");
            return this;
        }

        Builder kernelOption(String opt) {
            kernelOptions.add(opt);
            return this;
        }

        /** Paths (and what is below) the upper-directory comparison leaves out, with the reason in a comment. */
        Builder skipUpper(String... paths) {
            skipUpper.addAll(List.of(paths));
            return this;
        }

        /**
         * Paths the kernel's view of the core's upper is not compared at: state the core keeps
         * outside the upper (its workdir) which a fresh kernel mount cannot know.
         */
        Builder skipRemount(String... paths) {
            skipRemount.addAll(List.of(paths));
            return this;
        }

        Builder skipMerged(String... paths) {
            skipMerged.addAll(List.of(paths));
            return this;
        }

        /** An extra assertion on the core's final merged view: returns problems, empty when fine. */
        Builder checkCore(Function<TreeSnapshot, List<String>> check) {
            coreChecks.add(check);
            return this;
        }

        Scenario build() {
            return new Scenario(this);
        }
    }
}
