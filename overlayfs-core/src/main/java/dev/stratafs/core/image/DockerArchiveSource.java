package dev.stratafs.core.image;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A `docker save` archive: manifest.json lists Config and Layers by member name (legacy
 * ID/layer.tar or, since Docker 25, blobs/sha256/HEX). Members are copied to a work directory
 * under the store first (plain files only, names checked; symlinks between members, which legacy
 * archives use for repeated layers, are resolved by name inside the archive) and an OCI manifest
 * is made for them.
 */
final class DockerArchiveSource implements ImageSource {
    private final byte[] manifest;
    private final String name;
    private final Map<String, Path> blobs;

    private DockerArchiveSource(byte[] manifest, String name, Map<String, Path> blobs) {
        this.manifest = manifest;
        this.name = name;
        this.blobs = blobs;
    }

    static DockerArchiveSource open(Path archive, String tag, Path work) throws IOException {
        Map<String, Path> files = new HashMap<>();
        Map<String, String> links = new HashMap<>();
        int n = 0;
        try (TarArchiveInputStream tin = new TarArchiveInputStream(
                new BufferedInputStream(Files.newInputStream(archive), 1 << 16))) {
            TarArchiveEntry e;
            while ((e = tin.getNextEntry()) != null) {
                List<String> comps = TarPaths.components(e.getName());
                String key = TarPaths.join(comps);
                if (comps.isEmpty() || e.isDirectory()) {
                    continue;
                }
                if (e.isSymbolicLink()) {
                    links.put(key, e.getLinkName());
                } else if (e.isFile()) {
                    Path p = work.resolve("m" + (n++));
                    Files.copy(tin, p);
                    files.put(key, p);
                }
            }
        }
        Path mf = member(files, links, "manifest.json");
        JsonArray entries = Json.array(Files.readAllBytes(mf), "manifest.json");
        JsonObject chosen = null;
        for (JsonElement el : entries) {
            JsonObject o = el.getAsJsonObject();
            boolean match = tag == null;
            for (JsonElement t : Json.arr(o, "RepoTags")) {
                match |= t.getAsString().equals(tag) || t.getAsString().endsWith(":" + tag) && !tag.contains(":");
            }
            if (match && chosen == null) {
                chosen = o;
            } else if (match && tag == null) {
                throw new FsException(ErrorKind.INVALID, "archive holds several images; name one as FILE:NAME");
            }
        }
        if (chosen == null) {
            throw new FsException(ErrorKind.NOT_FOUND, "no image " + tag + " in " + archive);
        }
        Map<String, Path> byDigest = new HashMap<>();
        Path config = member(files, links, Json.requireString(chosen, "Config", "manifest.json"));
        Descriptor configDesc = describe(config, Descriptor.OCI_CONFIG, byDigest);
        JsonArray layers = new JsonArray();
        for (JsonElement l : Json.arr(chosen, "Layers")) {
            Path p = member(files, links, l.getAsString());
            Compression c;
            try (BufferedInputStream in = new BufferedInputStream(Files.newInputStream(p))) {
                c = Compression.detect(in);
            }
            layers.add(describe(p, c.ociMediaType, byDigest).toJson());
        }
        JsonObject m = new JsonObject();
        m.addProperty("schemaVersion", 2);
        m.addProperty("mediaType", Descriptor.OCI_MANIFEST);
        m.add("config", configDesc.toJson());
        m.add("layers", layers);
        JsonArray tags = Json.arr(chosen, "RepoTags");
        String name = tags.isEmpty() ? null : tags.get(0).getAsString();
        if (tag != null && tag.contains(":")) {
            name = tag;
        }
        return new DockerArchiveSource(Json.bytes(m), name, byDigest);
    }

    private static Descriptor describe(Path p, String mediaType, Map<String, Path> byDigest) throws IOException {
        MessageDigest md = Digest.newSha256();
        long size;
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
            size = in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        Digest d = Digest.of(md);
        byDigest.put(d.hex(), p);
        return new Descriptor(mediaType, d, size);
    }

    /** The file of member {@code name}, following member symlinks by name (at most 8). */
    private static Path member(Map<String, Path> files, Map<String, String> links, String name) throws FsException {
        String key = TarPaths.join(TarPaths.components(name));
        for (int i = 0; i < 8; i++) {
            Path p = files.get(key);
            if (p != null) {
                return p;
            }
            String target = links.get(key);
            if (target == null) {
                break;
            }
            String dir = key.contains("/") ? key.substring(0, key.lastIndexOf('/') + 1) : "";
            String joined = target.startsWith("/") ? target.substring(1) : dir + target;
            key = normalize(joined);
        }
        throw new FsException(ErrorKind.NOT_FOUND, "docker archive lacks member " + name);
    }

    private static String normalize(String s) throws FsException {
        java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>();
        for (String c : s.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (out.isEmpty()) {
                    throw new FsException(ErrorKind.INVALID, "member link leaves the archive: " + s);
                }
                out.removeLast();
            } else {
                out.addLast(c);
            }
        }
        return String.join("/", out);
    }

    @Override
    public byte[] manifest() {
        return manifest;
    }

    @Override
    public String suggestedName() {
        return name;
    }

    @Override
    public InputStream openBlob(Digest d) throws IOException {
        Path p = blobs.get(d.hex());
        if (p == null) {
            throw new FsException(ErrorKind.NOT_FOUND, "missing blob " + d);
        }
        return Files.newInputStream(p);
    }
}
