package dev.stratafs.cli.image;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.image.Analysis;
import dev.stratafs.core.image.Digest;
import dev.stratafs.core.image.ImageAnalyzer;
import dev.stratafs.core.image.HistoryEntry;
import dev.stratafs.core.image.ImageCommitter;
import dev.stratafs.core.image.ImageExporter;
import dev.stratafs.core.image.ImageInspector;
import dev.stratafs.core.nat.Natives;
import dev.stratafs.core.image.ImageSquasher;
import dev.stratafs.core.image.ImageStore;
import dev.stratafs.core.image.Progress;
import dev.stratafs.core.image.StoredImage;
import dev.stratafs.core.image.UpperDiff;
import dev.stratafs.core.image.WhichResult;
import dev.stratafs.core.nat.NativeOs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * `stratafs image ...`: the layer store on the command line. Exit status 0 on success, 1 when
 * the operation failed (message on stderr), 2 on a usage error.
 */
public final class ImageCommand {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private static final String HELP = String.join("\n",
            "usage: stratafs image [--store DIR] COMMAND ...",
            "  import SOURCE [--tag NAME]        OCI layout DIR[:TAG] or docker-archive FILE[:NAME]",
            "  ls [-q] [--format json]           list images",
            "  rm REF...                         remove images and layers no other image uses",
            "  gc                                delete unreferenced blobs, layers, staging leftovers",
            "  history REF [--no-trunc] [--format json]",
            "  which REF PATH [--format json]    which layer provides PATH, which it hides",
            "  diff UPPER [--from REF]           A/C/D changes recorded in an overlay upper dir",
            "  commit --from REF --upper DIR --tag NEW [--message TEXT] [--created-by TEXT]",
            "  export REF DEST [--format oci|docker-archive]",
            "  analyze REF [--ci] [--lowest-efficiency 0.9] [--highest-wasted-bytes SIZE|disabled]",
            "              [--highest-user-wasted-percent 0.1]   dive's efficiency and wasted-space rules",
            "  squash REF --tag NEW              the merged tree as a one-layer image",
            "  layers REF                        layer directories, top first, ':'-joined (lowerdir=)",
            "  bundle REF DIR [--upper U --work W] [-- ARGS...]",
            "                                    OCI runtime bundle: DIR/rootfs mounted, DIR/config.json",
            "                                    (then: runc run -b DIR NAME; fusermount -u DIR/rootfs)",
            "usage: stratafs mount --image REF [--upper U --work W] [-f] [-d] [-o OPTS] MOUNTPOINT",
            "                                    mount an image; without --upper a fresh upper under the store",
            "store: --store DIR, else $STRATAFS_STORE, else /var/lib/stratafs (root)");

    private final PrintStream out;
    private final PrintStream err;
    /** Where import, commit, export, squash and analyze report how far they are. */
    private final Progress progress;

    private ImageCommand(PrintStream out, PrintStream err, Progress progress) {
        this.out = out;
        this.err = err;
        this.progress = progress;
    }

    /**
     * Entry point for `stratafs image ARGS` (a leading "image" word is accepted and skipped).
     * Long work draws a progress line on stderr when that is a terminal.
     */
    public static int run(String[] args) {
        Progress p;
        try {
            p = TerminalProgress.forStderr(Natives.get(), System.getenv(), System.err);
        } catch (RuntimeException | LinkageError e) {
            p = Progress.NONE; // no libc binding: dispatch reports that properly
        }
        return new ImageCommand(System.out, System.err, p).dispatch(new ArrayList<>(Arrays.asList(args)));
    }

    /** For tests: no progress output. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, out, err, Progress.NONE);
    }

    static int run(String[] args, PrintStream out, PrintStream err, Progress progress) {
        return new ImageCommand(out, err, progress).dispatch(new ArrayList<>(Arrays.asList(args)));
    }

    private int dispatch(List<String> words) {
        String storeDir = null;
        for (int i = 0; i < words.size(); i++) { // --store may appear anywhere
            if (words.get(i).equals("--store") && i + 1 < words.size()) {
                storeDir = words.remove(i + 1);
                words.remove(i);
                break;
            } else if (words.get(i).startsWith("--store=")) {
                storeDir = words.remove(i).substring("--store=".length());
                break;
            }
        }
        if (!words.isEmpty() && words.get(0).equals("image")) {
            words.remove(0);
        }
        boolean mountCmd = !words.isEmpty() && words.get(0).equals("mount");
        if (mountCmd) {
            words.set(0, "mount-image");
        }
        if (words.isEmpty() || words.get(0).equals("--help") || words.get(0).equals("-h") || words.get(0).equals("help")) {
            (words.isEmpty() ? err : out).println(HELP);
            return words.isEmpty() ? USAGE : OK;
        }
        String cmd = words.remove(0);
        try {
            NativeOs os = Natives.get();
            ImageStore store = ImageStore.open(storeDir != null ? Path.of(storeDir) : ImageStore.defaultRoot(os), os);
            return switch (cmd) {
                case "import" -> importImage(store, words);
                case "ls", "list" -> ls(store, words);
                case "rm" -> rm(store, words);
                case "gc" -> gc(store, words);
                case "history" -> history(store, words);
                case "which" -> which(store, words);
                case "diff" -> diff(store, os, words);
                case "commit" -> commit(store, words);
                case "export" -> export(store, words);
                case "layers" -> layers(store, words);
                case "analyze" -> analyze(store, words);
                case "squash" -> squash(store, words);
                case "mount-image" -> mountImage(store, words);
                case "bundle" -> bundle(store, words);
                default -> throw new Args.UsageException("unknown command " + cmd + "\n" + HELP);
            };
        } catch (Args.UsageException e) {
            err.println("stratafs image: " + e.getMessage());
            return USAGE;
        } catch (FsException e) {
            err.println("stratafs image " + cmd + ": " + e.getMessage() + " [" + e.kind() + "]");
            return FAILED;
        } catch (IOException | RuntimeException e) {
            err.println("stratafs image " + cmd + ": " + e);
            return FAILED;
        }
    }

    /** `stratafs mount --image REF [--upper U --work W] [-f] [-d] [-o OPTS] MOUNTPOINT`. */
    private int mountImage(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--image", "--upper", "--work", "-o"), Set.of("-f", "-d"));
        a.expectPositional(1, 1, "mount --image REF [--upper DIR --work DIR] [-f] [-d] [-o OPTS] MOUNTPOINT");
        String ref = a.require("--image");
        Path mnt = Path.of(a.positional.get(0));
        List<String> argv = mountArgs(store, ref, a.get("--upper"), a.get("--work"), a.get("-o"));
        if (a.has("-f")) argv.add(0, "-f");
        if (a.has("-d")) argv.add(0, "-d");
        argv.add(mnt.toString());
        return dev.stratafs.cli.Main.execute(argv.toArray(new String[0]));
    }

    /**
     * `-o lowerdir=...,upperdir=...,workdir=...` for an image: its layers from the store, and the
     * given upper or a fresh container layer under the store (printed, so the user can keep it).
     */
    private List<String> mountArgs(ImageStore store, String ref, String upper, String work, String extra)
            throws IOException, Args.UsageException {
        if ((upper == null) != (work == null)) throw new Args.UsageException("--upper and --work go together");
        List<Path> lowers = store.lowerDirs(ref);
        Path u;
        Path w;
        if (upper != null) {
            u = Path.of(upper).toAbsolutePath();
            w = Path.of(work).toAbsolutePath();
            java.nio.file.Files.createDirectories(u);
            java.nio.file.Files.createDirectories(w);
        } else {
            Path c = java.nio.file.Files.createDirectories(store.root().resolve("containers"));
            Path dir = java.nio.file.Files.createTempDirectory(c, "c-");
            u = java.nio.file.Files.createDirectories(dir.resolve("upper"));
            w = java.nio.file.Files.createDirectories(dir.resolve("work"));
            out.println("upper " + u);
        }
        StringBuilder data = new StringBuilder("lowerdir=");
        for (int i = 0; i < lowers.size(); i++) {
            if (i > 0) data.append(':');
            data.append(escape(lowers.get(i).toString()));
        }
        data.append(",upperdir=").append(escape(u.toString())).append(",workdir=").append(escape(w.toString()));
        if (extra != null && !extra.isEmpty()) data.append(',').append(extra);
        return new ArrayList<>(List.of("-o", data.toString()));
    }

    /** fuse-overlayfs escaping of a path inside -o data: backslash, comma and colon. */
    private static String escape(String p) {
        return p.replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:");
    }

    /** `stratafs image bundle REF DIR [--upper U --work W] [-- ARGS]`: an OCI runtime bundle for runc. */
    private int bundle(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--upper", "--work"), Set.of());
        if (a.positional.size() < 2) throw new Args.UsageException("usage: stratafs image bundle REF DIR [--upper DIR --work DIR] [-- ARGS...]");
        String ref = a.positional.get(0);
        Path dir = Path.of(a.positional.get(1)).toAbsolutePath();
        List<String> cmd = a.positional.subList(2, a.positional.size());
        com.google.gson.JsonObject rt = dev.stratafs.core.image.RuntimeSpec.imageRuntimeConfig(store, ref);
        Path rootfs = java.nio.file.Files.createDirectories(dir.resolve("rootfs"));
        List<String> argv = mountArgs(store, ref, a.get("--upper"), a.get("--work"), null);
        argv.add(rootfs.toString());
        int rc = dev.stratafs.cli.Main.execute(argv.toArray(new String[0]));
        if (rc != 0) return rc;
        try {
            String json = dev.stratafs.core.image.RuntimeSpec.build(rt, rootfs, cmd, "stratafs");
            java.nio.file.Files.writeString(dir.resolve("config.json"), json);
        } catch (IOException | RuntimeException e) {
            // Leave nothing mounted behind a bundle we could not finish.
            new ProcessBuilder("fusermount", "-u", rootfs.toString()).inheritIO().start();
            throw e;
        }
        out.println("bundle " + dir + ": run it with: runc run -b " + dir + " NAME; unmount with: fusermount -u " + rootfs);
        return OK;
    }

    private int importImage(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--tag"), Set.of());
        a.expectPositional(1, 1, "import SOURCE [--tag NAME]");
        StoredImage im = store.importImage(a.positional.get(0), a.get("--tag"), progress);
        out.println(im.name() + " " + im.manifest());
        return OK;
    }

    private int ls(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--format"), Set.of("-q", "--quiet", "--no-trunc"));
        a.expectPositional(0, 0, "ls [-q] [--format json]");
        List<StoredImage> all = store.list();
        if (a.has("-q") || a.has("--quiet")) {
            all.forEach(i -> out.println(i.name()));
        } else if ("json".equals(a.get("--format"))) {
            for (StoredImage i : all) {
                JsonObject o = new JsonObject();
                o.addProperty("Name", i.name());
                o.addProperty("ID", i.config().toString());
                o.addProperty("Manifest", i.manifest().toString());
                o.addProperty("Created", i.created());
                o.addProperty("Layers", i.layers().size());
                o.addProperty("Size", i.size());
                out.println(GSON.toJson(o));
            }
        } else {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"NAME", "IMAGE ID", "LAYERS", "SIZE", "CREATED"});
            for (StoredImage i : all) {
                rows.add(new String[] {i.name(), a.has("--no-trunc") ? i.config().toString() : i.config().shortHex(),
                        Integer.toString(i.layers().size()), Sizes.human(i.size()), String.valueOf(i.created())});
            }
            table(rows);
        }
        return OK;
    }

    private int rm(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of(), Set.of());
        a.expectPositional(1, Integer.MAX_VALUE, "rm REF...");
        for (String ref : a.positional) {
            ImageStore.GcResult r = store.remove(ref);
            out.println("Untagged: " + ref + " (deleted " + r.layers() + " layers, " + r.blobs() + " blobs)");
        }
        return OK;
    }

    private int gc(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args.parse(words, Set.of(), Set.of()).expectPositional(0, 0, "gc");
        ImageStore.GcResult r = store.gc();
        out.println("deleted " + r.layers() + " layers, " + r.blobs() + " blobs, " + r.staging() + " staging dirs");
        return OK;
    }

    private int history(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--format"), Set.of("--no-trunc", "-H", "--human"));
        a.expectPositional(1, 1, "history REF [--no-trunc] [--format json]");
        boolean full = a.has("--no-trunc");
        List<HistoryEntry> h = new ImageInspector(store).history(a.positional.get(0));
        if ("json".equals(a.get("--format"))) {
            for (HistoryEntry e : h) {
                JsonObject o = new JsonObject();
                o.addProperty("Layer", e.layer() == null ? "<missing>" : e.layer().toString());
                o.addProperty("Created", e.created());
                o.addProperty("CreatedBy", e.createdBy());
                o.addProperty("Size", e.size());
                o.addProperty("Comment", e.comment());
                out.println(GSON.toJson(o));
            }
            return OK;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"LAYER", "CREATED", "CREATED BY", "SIZE", "COMMENT"});
        for (HistoryEntry e : h) {
            Digest d = e.layer();
            String by = e.createdBy() == null ? "" : e.createdBy();
            if (!full) {
                by = by.replace('\n', ' ');
                by = by.length() > 45 ? by.substring(0, 44) + "…" : by;
            }
            rows.add(new String[] {d == null ? "<missing>" : full ? d.toString() : d.shortHex(),
                    e.created() == null ? "" : e.created(), by, Sizes.human(e.size()),
                    e.comment() == null ? "" : e.comment()});
        }
        table(rows);
        return OK;
    }

    private int which(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--format"), Set.of());
        a.expectPositional(2, 2, "which REF PATH [--format json]");
        StoredImage im = store.image(a.positional.get(0));
        WhichResult w = new ImageInspector(store).which(a.positional.get(0), a.positional.get(1));
        if ("json".equals(a.get("--format"))) {
            JsonObject o = new JsonObject();
            o.addProperty("Path", "/" + w.path());
            o.addProperty("Provider", w.provider() < 0 ? null : layerName(im, w.provider()));
            o.addProperty("DeletedBy", w.deletedBy() < 0 ? null : layerName(im, w.deletedBy()));
            JsonArray hides = new JsonArray();
            w.shadowed().forEach(i -> hides.add(layerName(im, i)));
            o.add("Hides", hides);
            JsonArray merges = new JsonArray();
            w.merged().forEach(i -> merges.add(layerName(im, i)));
            o.add("Merges", merges);
            out.println(GSON.toJson(o));
            return w.provider() < 0 ? FAILED : OK;
        }
        String p = "/" + w.path();
        if (w.provider() >= 0) {
            out.println(p + ": provided by layer " + layerLabel(im, w.provider()));
        } else if (w.deletedBy() >= 0) {
            out.println(p + ": deleted by layer " + layerLabel(im, w.deletedBy()));
        } else {
            out.println(p + ": not in any layer");
        }
        for (int i : w.merged()) {
            out.println("  merges layer " + layerLabel(im, i));
        }
        for (int i : w.shadowed()) {
            out.println("  hides layer " + layerLabel(im, i));
        }
        return w.provider() < 0 ? FAILED : OK;
    }

    private static String layerName(StoredImage im, int i) {
        return im.layers().get(i).diffId().toString();
    }

    private static String layerLabel(StoredImage im, int i) {
        return (i + 1) + "/" + im.layers().size() + " " + im.layers().get(i).diffId();
    }

    private int diff(ImageStore store, NativeOs os, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--from"), Set.of());
        a.expectPositional(1, 1, "diff UPPER [--from REF]");
        List<Path> lower = null;
        if (a.get("--from") != null) {
            lower = new ArrayList<>(store.lowerDirs(a.get("--from")));
            Collections.reverse(lower);
        }
        for (UpperDiff.Change c : new UpperDiff(os).diff(Path.of(a.positional.get(0)), lower)) {
            out.println(c);
        }
        return OK;
    }

    private int commit(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--from", "--upper", "--tag", "--message", "-m", "--created-by"), Set.of());
        a.expectPositional(0, 0, "commit --from REF --upper DIR --tag NEW");
        ImageCommitter.Options o = new ImageCommitter.Options(
                a.get("--created-by", "stratafs image commit"), a.get("--message", a.get("-m")), 0, Instant.now());
        StoredImage im = new ImageCommitter(store).commit(a.require("--from"), Path.of(a.require("--upper")),
                a.require("--tag"), o, progress);
        StoredImage.Layer top = im.layers().get(im.layers().size() - 1);
        out.println(im.name() + " " + im.manifest() + " layer " + top.blob().digest());
        return OK;
    }

    private int export(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--format"), Set.of());
        a.expectPositional(2, 2, "export REF DEST [--format oci|docker-archive]");
        ImageExporter.Format f = switch (a.get("--format", "oci")) {
            case "oci" -> ImageExporter.Format.OCI;
            case "docker-archive", "docker" -> ImageExporter.Format.DOCKER_ARCHIVE;
            default -> throw new Args.UsageException("--format is oci or docker-archive");
        };
        new ImageExporter(store).export(a.positional.get(0), Path.of(a.positional.get(1)), f, progress);
        return OK;
    }

    private int squash(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--tag"), Set.of());
        a.expectPositional(1, 1, "squash REF --tag NEW");
        StoredImage im = new ImageSquasher(store).squash(a.positional.get(0), a.require("--tag"), Instant.now(), progress);
        out.println(im.name() + " " + im.manifest() + " layer " + im.layers().get(0).blob().digest());
        return OK;
    }

    private int layers(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of(), Set.of());
        a.expectPositional(1, 1, "layers REF");
        out.println(String.join(":", store.lowerDirs(a.positional.get(0)).stream().map(Path::toString).toList()));
        return OK;
    }

    private int analyze(ImageStore store, List<String> words) throws IOException, Args.UsageException {
        Args a = Args.parse(words, Set.of("--lowest-efficiency", "--highest-wasted-bytes", "--highest-user-wasted-percent"),
                Set.of("--ci"));
        a.expectPositional(1, 1, "analyze REF [--ci] [thresholds]");
        Analysis r = new ImageAnalyzer(store).analyze(a.positional.get(0), progress);
        out.println("Image name: " + store.image(a.positional.get(0)).name());
        out.println("Total Image size: " + Sizes.human(r.imageSize()));
        out.println("Potential wasted space: " + Sizes.human(r.wastedBytes()));
        out.printf(java.util.Locale.ROOT, "Image efficiency score: %.0f %%%n", r.efficiency() * 100);
        if (!r.inefficiencies().isEmpty()) {
            out.println();
            out.println("Count   Total Space  Path");
            for (Analysis.Waste w : r.inefficiencies()) {
                out.printf(java.util.Locale.ROOT, "%-7d %-12s %s%n", w.count(), Sizes.human(w.cumulativeSize()), w.path());
            }
        }
        if (!a.has("--ci")) {
            return OK;
        }
        // the defaults of dive's CI mode (.dive-ci): 0.9, disabled, 0.1
        double lowest = ratio(a.get("--lowest-efficiency", "0.9"), "--lowest-efficiency");
        String wastedRule = a.get("--highest-wasted-bytes", "disabled");
        double userPct = ratio(a.get("--highest-user-wasted-percent", "0.1"), "--highest-user-wasted-percent");
        boolean pass = true;
        out.println();
        out.println("Results:");
        pass &= rule("lowestEfficiency", r.efficiency() >= lowest,
                String.format(java.util.Locale.ROOT, "image efficiency is too low (efficiency=%.4f < threshold=%s)", r.efficiency(), lowest));
        if (wastedRule.equals("disabled")) {
            out.println("  SKIP: highestWastedBytes: rule disabled");
        } else {
            long limit = Sizes.parse(wastedRule);
            pass &= rule("highestWastedBytes", r.wastedBytes() <= limit,
                    "too many bytes wasted (wasted-bytes=" + r.wastedBytes() + " > threshold=" + limit + ")");
        }
        pass &= rule("highestUserWastedPercent", r.userWastedPercent() <= userPct, String.format(java.util.Locale.ROOT,
                "too many bytes wasted, relative to the user bytes added (%%-user-wasted-bytes=%.4f > threshold=%s)",
                r.userWastedPercent(), userPct));
        out.println("Result:" + (pass ? "PASS" : "FAIL"));
        return pass ? OK : FAILED;
    }

    private boolean rule(String name, boolean ok, String why) {
        out.println(ok ? "  PASS: " + name : "  FAIL: " + name + ": " + why);
        return ok;
    }

    private static double ratio(String v, String name) throws Args.UsageException {
        try {
            double d = Double.parseDouble(v.endsWith("%") ? v.substring(0, v.length() - 1) : v);
            return v.endsWith("%") ? d / 100 : d;
        } catch (NumberFormatException e) {
            throw new Args.UsageException(name + " takes a ratio such as 0.9 or 90%");
        }
    }

    private void table(List<String[]> rows) {
        int cols = rows.get(0).length;
        int[] w = new int[cols];
        for (String[] r : rows) {
            for (int i = 0; i < cols; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < cols; i++) {
                sb.append(r[i]);
                if (i < cols - 1) {
                    sb.append(" ".repeat(w[i] - r[i].length() + 3));
                }
            }
            out.println(sb.toString().stripTrailing());
        }
    }
}
