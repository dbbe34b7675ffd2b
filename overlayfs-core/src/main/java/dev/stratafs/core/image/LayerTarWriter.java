package dev.stratafs.core.image;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes an overlay upper directory as an OCI layer tar (image-spec layer.md): whiteouts in any
 * format become `.wh.NAME`, opaque directories get `.wh..wh..opq` right after their own entry,
 * a second name of an inode becomes a hard-link entry, xattrs travel as PAX SCHILY.xattr.* (minus
 * the overlay-private ones). Reproducible: names sorted bytewise, owner names empty, and every
 * mtime set to one fixed value (the same change gives the same diff_id; see reproducible-builds.org
 * SOURCE_DATE_EPOCH).
 */
final class LayerTarWriter {
    /**
     * Where the data of a metadata-only copy is (overlayfs.rst "Metadata only copy up"): the
     * lower file at a merged-view path, relative ("etc/hosts"), or null when no layer has one.
     */
    interface LowerData {
        Path find(String rel) throws IOException;

        LowerData NONE = rel -> null;
    }

    private final NativeOs os;
    private final long mtime;
    private final UpperDiff formats;
    private final Progress progress;
    private final LowerData lowerData;

    /** @param mtimeSec the mtime written for every entry */
    LayerTarWriter(NativeOs os, long mtimeSec) {
        this(os, mtimeSec, Progress.NONE);
    }

    /**
     * @param progress advanced by the file content bytes written (headers are not counted), so
     *     a phase begun with {@link #contentBytes(Path)} or {@link #contentBytes(Map)} as its
     *     total ends at exactly that total
     */
    LayerTarWriter(NativeOs os, long mtimeSec, Progress progress) {
        this(os, mtimeSec, progress, LowerData.NONE);
    }

    /** @param lowerData where the data of the upper's metadata-only copies is found */
    LayerTarWriter(NativeOs os, long mtimeSec, Progress progress, LowerData lowerData) {
        this.os = os;
        this.mtime = mtimeSec;
        this.formats = new UpperDiff(os);
        this.progress = progress;
        this.lowerData = lowerData;
    }

    /** The content bytes {@link #write} will put in the tar: regular files, each inode once. */
    long contentBytes(Path upper) throws IOException {
        long sum = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        java.util.ArrayDeque<Path> todo = new java.util.ArrayDeque<>(List.of(upper));
        while (!todo.isEmpty()) {
            Path dir = todo.pop();
            for (NativeOs.DirEnt d : os.readDir(dir)) {
                // getdents64's type spares an lstat for all but files, directories and unknowns
                if (d.type() != 0 && d.type() != StatInfo.S_IFREG && d.type() != StatInfo.S_IFDIR) {
                    continue;
                }
                Path p = dir.resolve(d.name());
                StatInfo st = os.lstatOrNull(p);
                if (st == null) {
                    continue;
                }
                if (st.isDirectory()) {
                    todo.push(p);
                } else if (st.isRegular() && (st.nlink() < 2 || seen.add(st.dev() + ":" + st.ino()))) {
                    sum += st.size();
                }
            }
        }
        return sum;
    }

    /** The content bytes {@link #writeMerged} will put in the tar: regular files, each inode once. */
    static long contentBytes(Map<String, MergedView.Entry> entries) {
        long sum = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (MergedView.Entry e : entries.values()) {
            StatInfo st = e.stat();
            if (st.isRegular() && (st.nlink() < 2 || seen.add(st.dev() + ":" + st.ino()))) {
                sum += st.size();
            }
        }
        return sum;
    }

    void write(Path upper, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        walk(upper, "", tar, new HashMap<>());
        tar.finish();
        tar.flush();
    }

    private void walk(Path dir, String rel, TarArchiveOutputStream tar, Map<String, String> links) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(p -> names.add(p.getFileName().toString()));
        }
        names.sort(LayerTarWriter::compareBytes);
        for (String name : names) {
            Path p = dir.resolve(name);
            String r = rel + name;
            StatInfo st = os.lstatOrNull(p);
            if (st == null) {
                continue;
            }
            if (formats.isWhiteout(p, st)) {
                put(tar, entry(rel + LayerUnpacker.WH_PREFIX + name, TarConstants.LF_NORMAL, 0), null);
                continue;
            }
            Path data = dataOf(p, r, st);
            if (st.isDirectory()) {
                TarArchiveEntry e = entry(r + "/", TarConstants.LF_DIR, st);
                xattrs(tar, p, e);
                put(tar, e, null);
                if (formats.isOpaque(p) && !Files.exists(p.resolve(LayerUnpacker.OPAQUE_MARKER),
                        java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    put(tar, entry(r + "/" + LayerUnpacker.OPAQUE_MARKER, TarConstants.LF_NORMAL, 0), null);
                }
                walk(p, r + "/", tar, links);
                continue;
            }
            nonDirectory(tar, p, data, r, st, links);
        }
    }

    /** The squashed form of a stack: every visible entry, parents before children. */
    void writeMerged(Map<String, MergedView.Entry> entries, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        Map<String, String> links = new HashMap<>();
        for (Map.Entry<String, MergedView.Entry> e : entries.entrySet()) {
            StatInfo st = e.getValue().stat();
            Path p = e.getValue().file();
            if (st.isDirectory()) {
                TarArchiveEntry d = entry(e.getKey() + "/", TarConstants.LF_DIR, st);
                xattrs(tar, p, d);
                put(tar, d, null);
            } else {
                nonDirectory(tar, p, p, e.getKey(), st, links);
            }
        }
        tar.finish();
        tar.flush();
    }

    /** {@code data}: the file the content of {@code p} is read from (itself, or a lower file). */
    private void nonDirectory(TarArchiveOutputStream tar, Path p, Path data, String r, StatInfo st, Map<String, String> links)
            throws IOException {
        String key = st.dev() + ":" + st.ino();
        if (!st.isDirectory() && st.nlink() > 1 && links.containsKey(key)) {
            TarArchiveEntry e = entry(r, TarConstants.LF_LINK, st);
            e.setLinkName(links.get(key));
            put(tar, e, null);
            return;
        }
        if (st.nlink() > 1) {
            links.put(key, r);
        }
        TarArchiveEntry e;
        if (st.isRegular()) {
            e = entry(r, TarConstants.LF_NORMAL, st);
            e.setSize(st.size());
        } else if (st.isSymlink()) {
            e = entry(r, TarConstants.LF_SYMLINK, st);
            e.setLinkName(os.readlink(p));
        } else if (st.type() == StatInfo.S_IFIFO) {
            e = entry(r, TarConstants.LF_FIFO, st);
        } else if (st.isCharDevice() || st.type() == StatInfo.S_IFBLK) {
            e = entry(r, st.isCharDevice() ? TarConstants.LF_CHR : TarConstants.LF_BLK, st);
            e.setDevMajor((int) StatInfo.major(st.rdev()));
            e.setDevMinor((int) StatInfo.minor(st.rdev()));
        } else {
            return; // sockets have no tar form; docker skips them too
        }
        xattrs(tar, p, e);
        if (st.isRegular()) {
            try (InputStream in = Counting.in(Files.newInputStream(data, java.nio.file.LinkOption.NOFOLLOW_LINKS), progress)) {
                put(tar, e, in);
            }
        } else {
            put(tar, e, null);
        }
    }

    /**
     * The file the content of upper entry {@code p} ({@code rel}) comes from: itself, or for a
     * metadata-only copy (kernel overlayfs.rst "Metadata only copy up") the lower file that holds
     * its data, found at its path or where its redirect points. A renamed directory (redirect_dir,
     * "Redirect dir") stands for a whole lower tree, which a layer of the upper alone cannot
     * carry: refused, as Docker's overlay2 runs with redirect_dir off for the same reason.
     */
    private Path dataOf(Path p, String rel, StatInfo st) throws IOException {
        String marked = null;
        String redirect = null;
        for (String x : os.listxattr(p)) {
            if (x.matches("(trusted|user)\\.overlay\\.metacopy")) marked = x;
            if (x.matches("(trusted|user)\\.overlay\\.redirect")) redirect = x;
        }
        if (marked == null && redirect == null) return p;
        if (marked == null || !st.isRegular()) {
            throw new dev.stratafs.core.error.FsException(dev.stratafs.core.error.ErrorKind.NOT_SUPPORTED,
                    p + " carries " + redirect + ": commit needs an upper made with redirect_dir=off");
        }
        String at = rel;
        if (redirect != null) {
            String to = new String(os.getxattr(p, redirect), StandardCharsets.UTF_8);
            int slash = rel.lastIndexOf('/');
            at = to.startsWith("/") ? to.substring(1) : (slash < 0 ? "" : rel.substring(0, slash + 1)) + to;
        }
        Path data = lowerData.find(at);
        StatInfo ds = data == null ? null : os.lstatOrNull(data);
        if (ds == null || !ds.isRegular() || ds.size() != st.size()) {
            throw new dev.stratafs.core.error.FsException(dev.stratafs.core.error.ErrorKind.NOT_SUPPORTED,
                    p + " is a metadata-only copy (" + marked + ") whose data is not a file of " + st.size()
                            + " bytes at /" + at + " in the base image's layers: commit it on the image it was made on");
        }
        return data;
    }

    private TarArchiveEntry entry(String name, byte flag, StatInfo st) {
        TarArchiveEntry e = entry(name, flag, st.perm());
        e.setUserId(st.uid());
        e.setGroupId(st.gid());
        return e;
    }

    private TarArchiveEntry entry(String name, byte flag, int perm) {
        TarArchiveEntry e = new TarArchiveEntry(name, flag, true);
        e.setMode(perm | (flag == TarConstants.LF_DIR ? StatInfo.S_IFDIR
                : flag == TarConstants.LF_SYMLINK ? StatInfo.S_IFLNK : flag == TarConstants.LF_FIFO ? StatInfo.S_IFIFO
                : flag == TarConstants.LF_CHR ? StatInfo.S_IFCHR : flag == TarConstants.LF_BLK ? StatInfo.S_IFBLK
                : flag == TarConstants.LF_LINK ? 0 : StatInfo.S_IFREG));
        e.setUserName("");
        e.setGroupName("");
        e.setUserId(0);
        e.setGroupId(0);
        e.setModTime(FileTime.fromMillis(mtime * 1000));
        return e;
    }

    /**
     * Adds the entry's xattrs as PAX SCHILY.xattr.* records. commons-compress can only write PAX
     * values as UTF-8 text, so when a value is binary (security.capability often is) the PAX
     * header is written here, raw, with the path in it, and the entry itself gets a plain ASCII
     * stand-in name so that commons-compress adds no second PAX header (Go's archive/tar keeps
     * only the last of consecutive PAX headers).
     */
    private void xattrs(TarArchiveOutputStream tar, Path p, TarArchiveEntry e) throws IOException {
        Map<String, byte[]> sorted = new TreeMap<>();
        boolean binary = false;
        for (String x : os.listxattr(p)) {
            if (x.startsWith("trusted.overlay.") || x.startsWith("user.overlay.") || x.startsWith("user.fuseoverlayfs.")) {
                continue;
            }
            byte[] v = os.getxattr(p, x);
            if (v != null) {
                sorted.put(x, v);
                binary |= !java.util.Arrays.equals(v, new String(v, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!binary) {
            sorted.forEach((k, v) -> e.addPaxHeader("SCHILY.xattr." + k, new String(v, StandardCharsets.UTF_8)));
            return;
        }
        java.io.ByteArrayOutputStream recs = new java.io.ByteArrayOutputStream();
        paxRecord(recs, "path", e.getName().getBytes(StandardCharsets.UTF_8));
        if (!e.getLinkName().isEmpty()) {
            paxRecord(recs, "linkpath", e.getLinkName().getBytes(StandardCharsets.UTF_8));
        }
        for (Map.Entry<String, byte[]> x : sorted.entrySet()) {
            paxRecord(recs, "SCHILY.xattr." + x.getKey(), x.getValue());
        }
        TarArchiveEntry h = new TarArchiveEntry("PaxHeaders/" + stub(e.getName(), false),
                TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
        h.setSize(recs.size());
        h.setModTime(FileTime.fromMillis(mtime * 1000));
        h.setUserName("");
        h.setGroupName("");
        put(tar, h, new java.io.ByteArrayInputStream(recs.toByteArray()));
        e.setName(stub(e.getName(), e.isDirectory()));
        if (!e.getLinkName().isEmpty()) {
            e.setLinkName(stub(e.getLinkName(), false));
        }
    }

    /** "LEN key=value\n" where LEN counts the whole record, its own digits included. */
    private static void paxRecord(java.io.ByteArrayOutputStream out, String key, byte[] value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int body = k.length + value.length + 3; // ' ', '=', '\n'
        int len = body + Integer.toString(body).length();
        if (Integer.toString(len).length() != Integer.toString(body).length()) {
            len++;
        }
        out.writeBytes((len + " ").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(k);
        out.write('=');
        out.writeBytes(value);
        out.write('\n');
    }

    /** A name that fits ustar's 100-byte field in plain ASCII; the PAX path record carries the real one. */
    private static String stub(String name, boolean dir) {
        String base = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
        StringBuilder sb = new StringBuilder();
        for (char c : base.toCharArray()) {
            sb.append(c < 0x80 && c >= 0x20 ? c : '_');
        }
        String s = sb.length() > 90 ? sb.substring(sb.length() - 90) : sb.toString();
        return dir ? s + "/" : s;
    }

    private static void put(TarArchiveOutputStream tar, TarArchiveEntry e, InputStream data) throws IOException {
        tar.putArchiveEntry(e);
        if (data != null) {
            long n = data.transferTo(tar);
            if (n != e.getSize()) {
                throw new IOException("file changed size while being committed: " + e.getName());
            }
        }
        tar.closeArchiveEntry();
    }

    /** Bytewise (UTF-8) order, the order `tar --sort=name` uses. */
    static int compareBytes(String a, String b) {
        return java.util.Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    /** A gzip-compressed layer in a staging directory: its diff_id, its blob digest, and the file named by it. */
    record GzLayer(Digest diffId, Digest blobDigest, Path file) {}

    /** Writes the uncompressed tar into the stream it is given. */
    interface TarBody {
        void write(java.io.OutputStream tar) throws java.io.IOException;
    }

    /**
     * Runs {@code body} into a gzip layer blob in {@code staging}, hashing the tar (diff_id) and
     * the compressed bytes (blob digest) as they pass, then names the file by the blob digest.
     */
    static GzLayer writeGzipped(Path staging, TarBody body) throws java.io.IOException {
        Path blob = staging.resolve("layer.tar.gz");
        java.security.MessageDigest diff = Digest.newSha256();
        java.security.MessageDigest comp = Digest.newSha256();
        try (java.io.OutputStream file = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(blob), 1 << 16);
             java.security.DigestOutputStream compressed = new java.security.DigestOutputStream(file, comp);
             java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(compressed, 1 << 16);
             java.security.DigestOutputStream tar = new java.security.DigestOutputStream(gz, diff)) {
            body.write(tar);
        }
        Digest diffId = Digest.of(diff);
        Digest blobDigest = Digest.of(comp);
        Path named = staging.resolve(blobDigest.hex());
        java.nio.file.Files.move(blob, named);
        return new GzLayer(diffId, blobDigest, named);
    }
}
