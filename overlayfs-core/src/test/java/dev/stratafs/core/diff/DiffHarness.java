package dev.stratafs.core.diff;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one {@link Scenario} on the kernel overlay and on the core, each on a fresh copy of the
 * fixture, and fails with every difference found:
 * <ol>
 * <li>each step's outcome (OK or error kind, and what reading steps saw);</li>
 * <li>the merged views after the script;</li>
 * <li>the core's view after closing and reopening it on the same directories;</li>
 * <li>the upper directories on disk (kernel-private bookkeeping ignored);</li>
 * <li>the kernel's view of the core's upper over the same lowers, against the core's view.</li>
 * </ol>
 * Skips (JUnit assumption) when not root or when the kernel overlay does not mount here.
 */
final class DiffHarness {
    /** What both sides ended with, for scenario-specific assertions after the common ones. */
    record Result(TreeSnapshot kernelView, TreeSnapshot coreView, TreeSnapshot kernelUpper, TreeSnapshot coreUpper) {}

    private DiffHarness() {}

    static Result run(Scenario s) {
        assumeTrue(KernelOverlay.available(), () -> "kernel overlay not usable here, differential tests skipped: "
                + KernelOverlay.unavailableReason());
        if (CoreSide.kernelStub()) {
            assumeTrue(s.coreFormat.kernelReadable(), "the kernel stub cannot read " + s.coreFormat + " lowers");
        }
        long recent = Instant.now().getEpochSecond() - 2;
        Path base;
        try {
            base = Files.createTempDirectory(Path.of("/tmp"), "stratafs-diff-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> problems = new ArrayList<>();
        List<String> log = new ArrayList<>();
        Result result = null;
        try {
            result = compare(s, base, recent, problems, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (KernelOverlay.anythingMountedUnder(base)) {
                problems.add("a mount under " + base + " survived the test; directory left in place");
            } else {
                CoreSide.delete(base);
            }
        }
        if (!problems.isEmpty()) {
            StringBuilder sb = new StringBuilder("core differs from the kernel overlay\nfixture (topmost lower first)"
                    + (s.coreFormat != WhiteoutFormat.KERNEL ? ", core's copy in " + s.coreFormat + " format" : "")
                    + ":\n");
            sb.append(s.fixture.describe());
            sb.append("script:\n");
            log.forEach(l -> sb.append("  ").append(l).append('\n'));
            sb.append("differences:\n");
            problems.forEach(p -> sb.append("  - ").append(p).append('\n'));
            fail(sb.toString());
        }
        return result;
    }

    private static Result compare(Scenario s, Path base, long recent, List<String> problems, List<String> log)
            throws IOException {
        List<Path> kernelLowers = s.fixture.build(base.resolve("kl"), WhiteoutFormat.KERNEL);
        List<Path> coreLowers = s.fixture.build(base.resolve("cl"), s.coreFormat);
        for (String d : List.of("ku", "kw", "km", "cu", "cw", "rw", "rm")) Files.createDirectory(base.resolve(d));

        SnapshotDiff.Rules merged = SnapshotDiff.mergedView(recent).withSkip(s.skipMerged);
        TreeSnapshot kernelView;
        TreeSnapshot coreView;
        Path ku = s.readOnly ? null : base.resolve("ku");
        Path cu = s.readOnly ? null : base.resolve("cu");
        try (KernelOverlay k = KernelOverlay.mount(base, kernelLowers, ku, base.resolve("kw"), base.resolve("km"),
                s.kernelOptions)) {
            KernelFs kernel = new KernelFs("kernel", k.mountPoint());
            try (CoreSide core = CoreSide.open(base, coreLowers, cu, base.resolve("cw"), "cm", s.metacopy)) {
                runSteps(s, kernel, core.fs(), problems, log);
                kernelView = kernel.snapshot();
                coreView = snapshot(core.fs(), problems);
                if (coreView != null) {
                    section(problems, "merged view", SnapshotDiff.diff(kernelView, coreView, merged));
                    for (var check : s.coreChecks) section(problems, "core's merged view", check.apply(coreView));
                }
            }
            try (CoreSide again = CoreSide.open(base, coreLowers, cu, base.resolve("cw"), "cm2", s.metacopy)) {
                TreeSnapshot reopened = snapshot(again.fs(), problems);
                if (coreView != null && reopened != null) {
                    section(problems, "core reopened on the same directories (vs before)",
                            SnapshotDiff.diff(coreView, relabel(reopened, "reopened"), merged));
                }
            }
        }
        if (s.readOnly) return new Result(kernelView, coreView, null, null);
        TreeSnapshot kernelUpper = HostWalker.snapshot("kernel upper", base.resolve("ku"));
        TreeSnapshot coreUpper = HostWalker.snapshot("core upper", base.resolve("cu"));
        section(problems, "upper directory on disk",
                SnapshotDiff.diff(kernelUpper, coreUpper, SnapshotDiff.upperDir(recent).withSkip(s.skipUpper)));

        // The kernel reads the core's upper: AUFS lowers it cannot, so it gets the equivalent
        // kernel-format rendering then (lowers are never written by either side).
        List<Path> remountLowers = s.coreFormat.kernelReadable() ? coreLowers : kernelLowers;
        try (KernelOverlay r = KernelOverlay.mount(base, remountLowers, base.resolve("cu"), base.resolve("rw"),
                base.resolve("rm"), s.kernelOptions)) {
            TreeSnapshot remounted = HostWalker.snapshot("kernel on core's upper", r.mountPoint());
            if (coreView != null) {
                section(problems, "kernel overlay mounted on the core's upper (vs core)",
                        SnapshotDiff.diff(remounted, coreView, merged.withSkip(s.skipRemount)));
            }
        } catch (IllegalStateException e) {
            problems.add("the kernel refuses to mount the core's upper: " + e.getMessage());
        }
        return new Result(kernelView, coreView, kernelUpper, coreUpper);
    }

    private static void runSteps(Scenario s, KernelFs kernel, MergedFs core, List<String> problems, List<String> log) {
        int i = 0;
        for (Scenario.Step step : s.steps) {
            i++;
            Outcome k = step.op().run(kernel);
            Outcome c = step.op().run(core);
            String line = i + ". " + step.op().describe() + "  -> kernel " + k + ", core " + c;
            Scenario.Expected e = step.expected();
            if (e == null) {
                if (!k.equals(c)) problems.add("step " + line);
            } else {
                line += "  (expected difference: " + e.why() + ")";
                if (!k.result().equals(e.kernel())) {
                    problems.add("step " + i + ": the kernel answered " + k + " where the scenario expects " + e.kernel());
                }
                if (!c.result().equals(e.core())) {
                    problems.add("step " + i + ": the core answered " + c + " where it should answer " + e.core()
                            + " (" + e.why() + ")");
                }
                if (e.fallback() != null && k.result().equals(e.kernel())) {
                    try {
                        e.fallback().apply(kernel);
                    } catch (FsException ex) {
                        problems.add("step " + i + ": kernel-side equivalent failed: " + ex.getMessage());
                    }
                }
            }
            log.add(line);
        }
    }

    private static TreeSnapshot snapshot(MergedFs fs, List<String> problems) {
        try {
            return fs.snapshot();
        } catch (FsException e) {
            problems.add(fs.label() + ": walking the merged view failed: " + Outcome.of(e) + " " + e.getMessage());
            return null;
        }
    }

    private static TreeSnapshot relabel(TreeSnapshot t, String label) {
        return new TreeSnapshot(label, t.nodes(), t.anomalies());
    }

    private static void section(List<String> problems, String title, List<String> diffs) {
        for (String d : diffs) problems.add(title + ": " + d);
    }
}
