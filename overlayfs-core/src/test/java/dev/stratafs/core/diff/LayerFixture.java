package dev.stratafs.core.diff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A stack of lower layers described compactly, built as many times as needed into fresh
 * directories (one copy for the kernel, one for the core), whiteouts in any {@link WhiteoutFormat}.
 * Building is deterministic: two builds hold the same names, types, modes, owners, times, xattrs.
 *
 * <pre>
 * LayerFixture.builder()
 *     .layer(l -> l.whiteout("a/gone").file("a/new", "x"))        // topmost lower
 *     .layer(l -> l.file("a/gone", "old", Meta.file().mode(0600))) // below it
 *     .build();
 * </pre>
 */
final class LayerFixture {
    /** Times long past, so "kept" and "set now" are told apart (see SnapshotDiff mtimes). */
    static final long DEFAULT_MTIME = 1_000_000_000L;

    /** Attributes of one fixture object. Immutable; withers return copies. */
    record Meta(int mode, int uid, int gid, long mtimeSec, long mtimeNsec) {
        static Meta file() {
            return new Meta(0644, 0, 0, DEFAULT_MTIME, 0);
        }

        static Meta dir() {
            return new Meta(0755, 0, 0, DEFAULT_MTIME, 0);
        }

        Meta mode(int m) {
            return new Meta(m, uid, gid, mtimeSec, mtimeNsec);
        }

        Meta owner(int u, int g) {
            return new Meta(mode, u, g, mtimeSec, mtimeNsec);
        }

        Meta mtime(long sec, long nsec) {
            return new Meta(mode, uid, gid, sec, nsec);
        }
    }

    enum Kind { DIR, FILE, SYMLINK, HARDLINK, FIFO, XATTR, WHITEOUT, OPAQUE }

    record Entry(Kind kind, String path, byte[] data, String target, Meta meta, String xattrName) {}

    /** One lower layer's entries, in the order given. */
    static final class Layer {
        private final List<Entry> entries = new ArrayList<>();

        Layer dir(String path) {
            return dir(path, Meta.dir());
        }

        Layer dir(String path, Meta meta) {
            entries.add(new Entry(Kind.DIR, path, null, null, meta, null));
            return this;
        }

        Layer file(String path, String content) {
            return file(path, content, Meta.file());
        }

        Layer file(String path, String content, Meta meta) {
            return file(path, content.getBytes(StandardCharsets.UTF_8), meta);
        }

        Layer file(String path, byte[] content, Meta meta) {
            entries.add(new Entry(Kind.FILE, path, content.clone(), null, meta, null));
            return this;
        }

        Layer symlink(String path, String target) {
            entries.add(new Entry(Kind.SYMLINK, path, null, target, Meta.file(), null));
            return this;
        }

        /** A second name for an object already in this layer. */
        Layer hardlink(String path, String existing) {
            entries.add(new Entry(Kind.HARDLINK, path, null, existing, null, null));
            return this;
        }

        Layer fifo(String path) {
            return fifo(path, Meta.file());
        }

        Layer fifo(String path, Meta meta) {
            entries.add(new Entry(Kind.FIFO, path, null, null, meta, null));
            return this;
        }

        Layer xattr(String path, String name, String value) {
            entries.add(new Entry(Kind.XATTR, path, value.getBytes(StandardCharsets.UTF_8), null, null, name));
            return this;
        }

        /** Hides NAME of the layers below, written in the build's whiteout format. */
        Layer whiteout(String path) {
            entries.add(new Entry(Kind.WHITEOUT, path, null, null, null, null));
            return this;
        }

        /** Makes the directory (created if need be) hide everything below it. */
        Layer opaque(String dirPath) {
            entries.add(new Entry(Kind.OPAQUE, dirPath, null, null, null, null));
            return this;
        }

        List<Entry> entries() {
            return entries;
        }
    }

    static final class Builder {
        private final List<Layer> layers = new ArrayList<>();

        /** Adds a lower layer below those added so far (as StackConfig.Builder#lower). */
        Builder layer(Consumer<Layer> body) {
            Layer l = new Layer();
            body.accept(l);
            layers.add(l);
            return this;
        }

        /** Adds an empty layer below those added so far. */
        Builder emptyLayer() {
            layers.add(new Layer());
            return this;
        }

        LayerFixture build() {
            return new LayerFixture(layers);
        }
    }

    private final List<Layer> layers;

    private LayerFixture(List<Layer> layers) {
        this.layers = List.copyOf(layers);
    }

    static Builder builder() {
        return new Builder();
    }

    int size() {
        return layers.size();
    }

    /**
     * Builds every layer under {@code root} as directories "0", "1", ... (topmost first; short
     * names keep the mount data of deep stacks under a page) and returns them topmost first.
     */
    List<Path> build(Path root, WhiteoutFormat format) {
        List<Path> out = new ArrayList<>();
        try {
            Files.createDirectories(root);
            // One shell for all layers: deep stacks would otherwise spawn one per layer.
            List<Rendered> rendered = new ArrayList<>();
            StringBuilder all = new StringBuilder("set -e\n");
            for (int i = 0; i < layers.size(); i++) {
                Path dir = root.resolve(String.valueOf(i));
                Files.createDirectory(dir);
                Rendered r = render(layers.get(i), dir, format);
                all.append("cd ").append(Script.quote(dir.toString())).append('\n').append(r.script().text());
                rendered.add(r);
                out.add(dir);
            }
            // As a file: a 500-layer script is longer than an argv may be.
            Path script = Files.createTempFile(Path.of("/tmp"), "stratafs-fixture-", ".sh");
            try {
                Files.writeString(script, all);
                Cmd.run(root, List.of("sh", script.toString())).orThrow();
            } finally {
                Files.deleteIfExists(script);
            }
            for (Rendered r : rendered) r.applyMetas();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build fixture under " + root, e);
        }
        return out;
    }

    /**
     * One layer rendered: its shell script for what java.nio cannot do (mknod, mkfifo, trusted.*
     * xattrs, owner, mode and times of fifos and symlinks, which java.nio would open and block on,
     * or follow), and the owners, modes and times of its files and directories, applied by
     * {@link #applyMetas} after the script ran: chown before chmod because chown clears set-id
     * bits; times last and deepest first, because creating children moves a directory's mtime.
     */
    private record Rendered(Script script, Path dir, Map<String, Meta> metas) {
        void applyMetas() throws IOException {
            List<Map.Entry<String, Meta>> byDepth = new ArrayList<>(metas.entrySet());
            for (var m : byDepth) {
                Path p = dir.resolve(m.getKey());
                Files.setAttribute(p, "unix:uid", m.getValue().uid(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", m.getValue().gid(), LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:mode", m.getValue().mode());
            }
            byDepth.sort(Comparator.comparingInt((Map.Entry<String, Meta> m) -> depth(m.getKey())).reversed());
            for (var m : byDepth) {
                FileTime t = FileTime.from(Instant.ofEpochSecond(m.getValue().mtimeSec(), m.getValue().mtimeNsec()));
                Files.getFileAttributeView(dir.resolve(m.getKey()), BasicFileAttributeView.class).setTimes(t, t, null);
            }
        }
    }

    /** Creates the layer's names with java.nio; the rest is returned for later (see Rendered). */
    private static Rendered render(Layer layer, Path dir, WhiteoutFormat format) throws IOException {
        Script sh = new Script();
        Map<String, Meta> metas = new LinkedHashMap<>();
        Set<String> scriptOwned = new HashSet<>();
        metas.put(".", Meta.dir());
        for (Entry e : layer.entries()) {
            Path p = dir.resolve(e.path());
            String rel = e.path();
            ensureParents(dir, rel, metas);
            switch (e.kind()) {
                case DIR -> {
                    Files.createDirectories(p);
                    metas.put(rel, e.meta());
                }
                case FILE -> {
                    Files.write(p, e.data());
                    metas.put(rel, e.meta());
                }
                case SYMLINK -> {
                    Files.createSymbolicLink(p, Path.of(e.target()));
                    metas.put(rel, e.meta());
                    scriptOwned.add(rel);
                }
                case HARDLINK -> Files.createLink(p, dir.resolve(e.target()));
                case FIFO -> {
                    sh.cmd("mkfifo", rel);
                    metas.put(rel, e.meta());
                    scriptOwned.add(rel);
                }
                case XATTR -> sh.setxattr(rel, e.xattrName(), e.data());
                case WHITEOUT -> whiteout(dir, rel, format, sh, metas);
                case OPAQUE -> {
                    Files.createDirectories(p);
                    metas.putIfAbsent(rel, Meta.dir());
                    if (format == WhiteoutFormat.AUFS) {
                        Files.write(p.resolve(".wh..wh..opq"), new byte[0]);
                        metas.put(child(rel, ".wh..wh..opq"), Meta.file());
                    } else {
                        sh.setxattr(rel, "trusted.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8));
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        Map<String, Meta> javaMetas = new LinkedHashMap<>();
        for (var m : metas.entrySet()) {
            String rel = m.getKey();
            Meta meta = m.getValue();
            if (!scriptOwned.contains(rel)) {
                javaMetas.put(rel, meta);
                continue;
            }
            sh.cmd("chown", "-h", meta.uid() + ":" + meta.gid(), rel);
            if (!Files.isSymbolicLink(dir.resolve(rel))) sh.cmd("chmod", Integer.toOctalString(meta.mode()), rel);
            sh.cmd("touch", "-h", "-d", "@" + meta.mtimeSec() + "." + String.format("%09d", meta.mtimeNsec()), rel);
        }
        return new Rendered(sh, dir, javaMetas);
    }

    private static void whiteout(Path dir, String rel, WhiteoutFormat format, Script sh, Map<String, Meta> metas)
            throws IOException {
        String parent = parentOf(rel);
        String name = rel.substring(rel.lastIndexOf('/') + 1);
        switch (format) {
            case KERNEL -> sh.cmd("mknod", rel, "c", "0", "0");
            case AUFS -> {
                String wh = child(parent, ".wh." + name);
                Files.write(dir.resolve(wh), new byte[0]);
                metas.put(wh, Meta.file());
            }
            case XATTR -> {
                Files.write(dir.resolve(rel), new byte[0]);
                metas.put(rel, Meta.file());
                sh.setxattr(rel, "trusted.overlay.whiteout", "y".getBytes(StandardCharsets.UTF_8));
                // "x": this directory holds xattr whiteouts; unless it is opaque already.
                sh.raw("getfattr -h -n trusted.overlay.opaque " + Script.quote(parent) + " >/dev/null 2>&1"
                        + " || setfattr -h -n trusted.overlay.opaque -v x -- " + Script.quote(parent));
            }
            default -> throw new IllegalStateException();
        }
    }

    private static void ensureParents(Path dir, String rel, Map<String, Meta> metas) throws IOException {
        String parent = parentOf(rel);
        if (parent.equals(".")) return;
        Files.createDirectories(dir.resolve(parent));
        String acc = null;
        for (String part : parent.split("/")) {
            acc = acc == null ? part : acc + "/" + part;
            metas.putIfAbsent(acc, Meta.dir());
        }
    }

    private static String parentOf(String rel) {
        int i = rel.lastIndexOf('/');
        return i < 0 ? "." : rel.substring(0, i);
    }

    private static String child(String parent, String name) {
        return parent.equals(".") ? name : parent + "/" + name;
    }

    private static int depth(String rel) {
        return rel.equals(".") ? 0 : rel.split("/").length;
    }

    /** A shell script built from quoted words, run once per layer. */
    private static final class Script {
        private final StringBuilder sb = new StringBuilder();

        void cmd(String... words) {
            for (int i = 0; i < words.length; i++) {
                if (i > 0) sb.append(' ');
                sb.append(quote(words[i]));
            }
            sb.append('\n');
        }

        void setxattr(String rel, String name, byte[] value) {
            sb.append("setfattr -h -n ").append(quote(name)).append(" -v 0x")
                    .append(java.util.HexFormat.of().formatHex(value)).append(" -- ").append(quote(rel)).append('\n');
        }

        void raw(String line) {
            sb.append(line).append('\n');
        }

        static String quote(String s) {
            return "'" + s.replace("'", "'\\''") + "'";
        }

        String text() {
            return sb.toString();
        }
    }

    /** The layers as text, topmost first, for failure messages. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < layers.size(); i++) {
            sb.append("  lower ").append(i).append(": ");
            List<String> parts = new ArrayList<>();
            for (Entry e : layers.get(i).entries()) {
                parts.add(switch (e.kind()) {
                    case DIR -> e.path() + "/";
                    case FILE -> e.path() + "=" + Node.describeContent(e.data());
                    case SYMLINK -> e.path() + "->" + e.target();
                    case HARDLINK -> e.path() + "==" + e.target();
                    case FIFO -> e.path() + "|";
                    case XATTR -> e.path() + "[" + e.xattrName() + "]";
                    case WHITEOUT -> "wh:" + e.path();
                    case OPAQUE -> e.path() + "/(opaque)";
                });
            }
            sb.append(String.join(" ", parts)).append('\n');
        }
        return sb.toString();
    }
}
