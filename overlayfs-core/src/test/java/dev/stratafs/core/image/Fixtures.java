package dev.stratafs.core.image;

import dev.stratafs.core.nat.Natives;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Test helpers: crafted tars, hand-made OCI layouts, external tools. */
final class Fixtures {

    /** Runs a command, fails the test on a non-zero status, returns stdout. */
    static String sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        assertEquals(0, rc, String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }

    /** Builds a tar in memory with PAX headers for long names, big numbers and xattrs. */
    static final class Tar {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);

        Tar() {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        }

        Tar dir(String name, int mode) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
            e.setMode(040000 | mode);
            return put(e, null);
        }

        Tar file(String name, String content) throws IOException {
            return file(name, content, 0644, Map.of());
        }

        Tar file(String name, String content, int mode, Map<String, String> pax) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name);
            byte[] b = content.getBytes(StandardCharsets.UTF_8);
            e.setSize(b.length);
            e.setMode(0100000 | mode);
            pax.forEach(e::addPaxHeader);
            return put(e, b);
        }

        Tar entry(String name, byte flag, String link) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, flag);
            if (link != null) {
                e.setLinkName(link);
            }
            e.setMode((flag == TarConstants.LF_SYMLINK ? 0120000 : 0) | 0777);
            return put(e, null);
        }

        Tar device(String name, byte flag, int major, int minor) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, flag);
            e.setDevMajor(major);
            e.setDevMinor(minor);
            e.setMode(0660);
            return put(e, null);
        }

        Tar put(TarArchiveEntry e, byte[] data) throws IOException {
            if (e.getModTime().getTime() > 1000) {
                e.setModTime(1_600_000_000_000L);
            }
            out.putArchiveEntry(e);
            if (data != null) {
                out.write(data);
            }
            out.closeArchiveEntry();
            return this;
        }

        byte[] bytes() throws IOException {
            out.finish();
            out.close();
            return bytes.toByteArray();
        }
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(bo)) {
            g.write(b);
        }
        return bo.toByteArray();
    }

    static byte[] zstd(byte[] b) {
        return com.github.luben.zstd.Zstd.compress(b);
    }

    /** One layer of a hand-made layout: the blob as stored and the diff_id the config claims. */
    record Layer(byte[] blob, Digest diffId, String mediaType) {
        static Layer plain(byte[] tar) {
            return new Layer(tar, Digest.of(tar), Compression.NONE.ociMediaType);
        }

        static Layer gzipped(byte[] tar) throws IOException {
            return new Layer(gzip(tar), Digest.of(tar), Compression.GZIP.ociMediaType);
        }
    }

    /** Writes an OCI image layout with one manifest tagged {@code tag}; returns the layer descriptors' digests. */
    static List<Digest> ociLayout(Path dir, String tag, List<Layer> layers) throws IOException {
        return ociLayout(dir, tag, layers, false);
    }

    /** As above; {@code emptyFirst} adds a history entry with empty_layer (an ENV step, say) before the layers. */
    static List<Digest> ociLayout(Path dir, String tag, List<Layer> layers, boolean emptyFirst) throws IOException {
        Path blobs = dir.resolve("blobs/sha256");
        Files.createDirectories(blobs);
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        JsonArray diffIds = new JsonArray();
        JsonArray history = new JsonArray();
        JsonArray descs = new JsonArray();
        List<Digest> out = new ArrayList<>();
        if (emptyFirst) {
            JsonObject h = new JsonObject();
            h.addProperty("created", "2023-12-31T00:00:00Z");
            h.addProperty("created_by", "ENV A=b");
            h.addProperty("empty_layer", true);
            history.add(h);
        }
        for (Layer l : layers) {
            Digest d = Digest.of(l.blob());
            Files.write(blobs.resolve(d.hex()), l.blob());
            diffIds.add(l.diffId().toString());
            descs.add(new Descriptor(l.mediaType(), d, l.blob().length).toJson());
            JsonObject h = new JsonObject();
            h.addProperty("created", "2024-01-01T00:00:00Z");
            h.addProperty("created_by", "fixture layer " + out.size());
            history.add(h);
            out.add(d);
        }
        JsonObject config = new JsonObject();
        config.addProperty("architecture", "amd64");
        config.addProperty("os", "linux");
        config.addProperty("created", "2024-01-01T00:00:00Z");
        JsonObject rootfs = new JsonObject();
        rootfs.addProperty("type", "layers");
        rootfs.add("diff_ids", diffIds);
        config.add("rootfs", rootfs);
        config.add("history", history);
        byte[] cb = Json.bytes(config);
        Digest cd = Digest.of(cb);
        Files.write(blobs.resolve(cd.hex()), cb);
        JsonObject m = new JsonObject();
        m.addProperty("schemaVersion", 2);
        m.addProperty("mediaType", Descriptor.OCI_MANIFEST);
        m.add("config", new Descriptor(Descriptor.OCI_CONFIG, cd, cb.length).toJson());
        m.add("layers", descs);
        byte[] mb = Json.bytes(m);
        Digest md = Digest.of(mb);
        Files.write(blobs.resolve(md.hex()), mb);
        JsonObject desc = new Descriptor(Descriptor.OCI_MANIFEST, md, mb.length).toJson();
        JsonObject ann = new JsonObject();
        ann.addProperty(OciLayoutSource.REF_NAME, tag);
        desc.add("annotations", ann);
        JsonObject index = new JsonObject();
        index.addProperty("schemaVersion", 2);
        JsonArray ms = new JsonArray();
        ms.add(desc);
        index.add("manifests", ms);
        Files.write(dir.resolve("index.json"), Json.bytes(index));
        return out;
    }

    /** Every path under dir with type, mode, size, content digest or link target, for comparisons. */
    static Map<String, String> describeTree(Path dir) throws IOException {
        dev.stratafs.core.nat.NativeOs os = Natives.get();
        Map<String, String> out = new TreeMap<>();
        try (var s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                if (p.equals(dir)) {
                    continue;
                }
                out.put(dir.relativize(p).toString(), describe(os, p));
            }
        }
        return out;
    }

    static String describe(dev.stratafs.core.nat.NativeOs os, Path p) throws IOException {
        var st = os.lstat(p);
        String what = Integer.toOctalString(st.mode()) + " " + st.uid() + ":" + st.gid();
        if (st.isRegular()) {
            what += " " + Digest.of(Files.readAllBytes(p)).shortHex();
        } else if (st.isSymlink()) {
            what += " -> " + Files.readSymbolicLink(p);
        } else if (!st.isDirectory()) {
            what += " rdev=" + st.rdev();
        }
        return what;
    }

    private Fixtures() {}
}
