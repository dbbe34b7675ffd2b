package dev.stratafs.core.diff;

import static dev.stratafs.core.diff.Ops.*;

import dev.stratafs.core.SetTime;
import dev.stratafs.core.error.FsException;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random stacks and random scripts from a seed, run through the same harness: finds what the
 * hand-written scenarios do not think of. A failure names its seed; rerun one with
 * {@code -Dstratafs.diff.seeds=1234} (a count N runs seeds 1..N with {@code -Dstratafs.diff.seedCount=N}).
 */
class RandomScriptDiffTest {
    private static final String[] NAMES = {"a", "b", "c"};

    static LongStream seeds() {
        String one = System.getProperty("stratafs.diff.seeds");
        if (one != null) return LongStream.of(Long.parseLong(one));
        return LongStream.rangeClosed(1, Long.getLong("stratafs.diff.seedCount", 150));
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomScriptOnRandomStackMatchesKernel(long seed) {
        Random r = new Random(seed);
        LayerFixture fx = randomStack(r);
        Scenario.Builder s = Scenario.on(fx);
        int n = 6 + r.nextInt(10);
        for (int i = 0; i < n; i++) s.then(randomOp(r));
        DiffHarness.run(s.build());
    }

    /**
     * The same scripts with metadata-only copy-up on both sides (the kernel's metacopy=on). The
     * upper directories are not compared: the kernel keeps a renamed or linked marked file
     * marked (with a redirect), the core gives it its data first (MetacopyDiffTest compares
     * uppers where the scripts are known). The merged views, the core reopened, and the
     * kernel's reading of the core's upper still are. Creates are exclusive here: an open to
     * write of a marked file sets its mtime to the time of the data copy on the kernel (it
     * copies the data into the marked file in place), which open(2) without a write must not.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void randomScriptWithMetacopyMatchesKernel(long seed) {
        Random r = new Random(seed);
        LayerFixture fx = randomStack(r);
        Scenario.Builder s = Scenario.on(fx).metacopy().skipUpper("/a", "/b", "/c", "/x");
        int n = 6 + r.nextInt(10);
        for (int i = 0; i < n; i++) s.then(randomOp(r, true));
        DiffHarness.run(s.build());
    }

    /* Three lowers; in each, every name of a two-level tree may be absent, a file, a dir, a symlink, a whiteout or an opaque dir. */
    static LayerFixture randomStack(Random r) {
        LayerFixture.Builder b = LayerFixture.builder();
        for (int layer = 0; layer < 3; layer++) {
            b.layer(l -> fill(l, r, "", 0));
        }
        return b.build();
    }

    private static void fill(LayerFixture.Layer l, Random r, String dir, int depth) {
        for (String name : NAMES) {
            String p = dir.isEmpty() ? name : dir + "/" + name;
            int pick = r.nextInt(10);
            switch (pick) {
                case 0, 1, 2, 3 -> { }
                case 4, 5 -> l.file(p, "v" + r.nextInt(100) + " " + p);
                case 6 -> {
                    if (depth < 2) {
                        l.dir(p);
                        fill(l, r, p, depth + 1);
                    } else {
                        l.file(p, "leaf " + p);
                    }
                }
                case 7 -> l.symlink(p, r.nextBoolean() ? "a" : "../" + name);
                case 8 -> l.whiteout(p);
                default -> {
                    if (depth < 2) {
                        l.opaque(p);
                        fill(l, r, p, depth + 1);
                    }
                }
            }
        }
    }

    private static String randomPath(Random r) {
        int depth = 1 + r.nextInt(3);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            sb.append('/').append(r.nextInt(8) == 0 ? "x" : NAMES[r.nextInt(NAMES.length)]);
        }
        return sb.toString();
    }

    static Op randomOp(Random r) {
        return randomOp(r, false);
    }

    /** {@code exclusiveCreates}: O_CREAT with O_EXCL, never opening an existing file. */
    static Op randomOp(Random r, boolean exclusiveCreates) {
        String p = randomPath(r);
        String q = randomPath(r);
        return switch (r.nextInt(19)) {
            case 0 -> guarded(write(p, r.nextInt(4), "w" + r.nextInt(10)), true, p);
            case 1 -> guarded(append(p, "+"), true, p);
            case 2 -> guarded(truncate(p, r.nextInt(3)), true, p);
            case 3 -> guarded(chmod(p, r.nextBoolean() ? 0700 : 0644), true, p);
            case 4 -> guarded(chown(p, r.nextInt(3), r.nextInt(3)), false, p);
            case 5 -> guarded(unlink(p), false, p);
            case 6 -> guarded(mkdir(p, 0755), false, p);
            case 7 -> guarded(rmdir(p), false, p);
            case 8 -> guarded(rmRf(p), false, p);
            case 9 -> guarded(renameNonDirectory(p, q), false, p, q);
            case 10 -> guarded(link(p, q), false, p, q);
            case 11 -> guarded(symlink("t" + r.nextInt(3), p), false, p);
            case 12 -> guarded(exclusiveCreates ? createExclusive(p, 0644) : create(p, 0644), true, p);
            case 13 -> guarded(setxattr(p, "user.k", "v" + r.nextInt(3)), false, p);
            case 14 -> guarded(removexattr(p, "user.k"), false, p);
            case 15 -> guarded(list(p), true, p);
            case 16 -> guarded(read(p), true, p);
            case 17 -> guarded(utimens(p, SetTime.OMIT, SetTime.of(1_300_000_000L + r.nextInt(100), 0)), false, p);
            default -> guarded(stat(p), false, p);
        };
    }

    /**
     * Runs the step only where FUSE would hand the core this very path: the kernel VFS resolves
     * symlinks in the middle of a path (and at the end for calls that follow, open(2), chmod(2),
     * truncate(2), opendir(3)) before asking the filesystem, so the core's facade never sees them
     * there, while a kernel mount path would follow them. Each side decides on its own view. With
     * a mounted core side ({@link CoreSide#mounted()}) every step runs.
     */
    static Op guarded(Op op, boolean followsFinal, String... paths) {
        return new Op() {
            @Override
            public String describe() {
                return op.describe();
            }

            @Override
            public String apply(MergedFs fs) throws FsException {
                // A mounted core side gets its paths from the VFS like the kernel: nothing to guard,
                // and symlinks are followed on both sides. (A "../x" link at the root reaches the
                // scenario's base directory alike from both mountpoints, which are siblings there.)
                if (CoreSide.mounted()) return op.apply(fs);
                for (String path : paths) {
                    String[] parts = path.substring(1).split("/");
                    String prefix = "";
                    for (int i = 0; i < parts.length; i++) {
                        prefix += "/" + parts[i];
                        boolean last = i == parts.length - 1;
                        if (last && !followsFinal) break;
                        Node n;
                        try {
                            n = fs.stat(prefix);
                        } catch (FsException e) {
                            break; // missing or not a directory: the step fails the same way on both sides
                        }
                        if (n.type() == dev.stratafs.core.nat.StatInfo.S_IFLNK) return "skipped: symlink at " + prefix;
                    }
                }
                return op.apply(fs);
            }
        };
    }

    /**
     * rename(2) unless the source is a directory: directories with lower parts are an expected
     * difference (EXDEV on the kernel) that has its own scenario; both sides decide alike because
     * they decide on their own views, which the comparison checks step by step.
     */
    static Op renameNonDirectory(String from, String to) {
        Op rename = rename(from, to);
        return new Op() {
            @Override
            public String describe() {
                return rename.describe() + " (unless a directory)";
            }

            @Override
            public String apply(MergedFs fs) throws FsException {
                Node n;
                try {
                    n = fs.stat(from);
                } catch (FsException e) {
                    n = null;
                }
                if (n != null && n.isDir()) return "skipped: directory";
                return rename.apply(fs);
            }
        };
    }
}
