package dev.stratafs.core.image;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unpacks one OCI layer tar into an empty directory in the kernel overlayfs format, so the
 * directory can serve as a lowerdir as is: `.wh.NAME` becomes a 0/0 character device NAME and
 * `.wh..wh..opq` becomes trusted.overlay.opaque=y on its directory (opencontainers/image-spec
 * layer.md "Whiteouts"; kernel Documentation/filesystems/overlayfs.rst).
 *
 * <p>Nothing is ever created through a symlink: every parent component is checked with lstat and
 * an entry below a symlink is refused, as are absolute names, `..`, hard links leaving the layer,
 * and devices when not root. Directory metadata is applied last (children change mtimes) and
 * deepest first (a 0555 directory would otherwise block its children for non-root).
 */
final class LayerUnpacker {
    static final String WH_PREFIX = ".wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";
    static final String OPAQUE_XATTR = "trusted.overlay.opaque";
    private static final Logger LOG = LoggerFactory.getLogger(LayerUnpacker.class);

    private final NativeOs os;
    private final boolean root;

    LayerUnpacker(NativeOs os) {
        this.os = os;
        this.root = os.geteuid() == 0;
    }

    /**
     * Reads every entry of {@code tar} (an uncompressed tar stream; the caller drains the rest
     * for the diff_id) into {@code dest}, which must be an existing empty directory.
     */
    UnpackStats unpack(InputStream tar, Path dest) throws IOException {
        PaxXattrSniffer sniffer = new PaxXattrSniffer(tar);
        Run run = new Run(dest, sniffer);
        @SuppressWarnings("resource") // closing would close the caller's digesting stream
        TarArchiveInputStream tin = new TarArchiveInputStream(sniffer, StandardCharsets.UTF_8.name());
        TarArchiveEntry e;
        while ((e = tin.getNextEntry()) != null) {
            run.entry(e, tin);
        }
        run.finish();
        return new UnpackStats(run.entries, run.bytes, run.whiteouts, run.opaque.size());
    }

    /** glibc makedev(3). */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    static boolean isWhiteout(StatInfo st) {
        return st != null && st.isCharDevice() && st.rdev() == 0;
    }

    private final class Run {
        final Path dest;
        final PaxXattrSniffer sniffer;
        final Map<Path, Meta> dirMeta = new LinkedHashMap<>();
        int index = -1;
        final Set<Path> opaque = new LinkedHashSet<>();
        long entries;
        long bytes;
        long whiteouts;

        Run(Path dest, PaxXattrSniffer sniffer) {
            this.dest = dest;
            this.sniffer = sniffer;
        }

        void entry(TarArchiveEntry e, InputStream data) throws IOException {
            List<String> comps = TarPaths.components(e.getName());
            entries++;
            index++;
            Meta meta = new Meta(e, sniffer.xattrs(index));
            if (comps.isEmpty()) {
                if (!e.isDirectory()) {
                    throw new FsException(ErrorKind.INVALID, "layer root entry is not a directory: " + e.getName());
                }
                dirMeta.put(dest, meta);
                return;
            }
            String base = comps.get(comps.size() - 1);
            Path parent = ensureDirs(comps.subList(0, comps.size() - 1), e.getName());
            if (base.equals(OPAQUE_MARKER)) {
                opaque.add(parent);
                return;
            }
            if (base.startsWith(WH_PREFIX)) {
                whiteout(parent, base.substring(WH_PREFIX.length()), e.getName());
                return;
            }
            Path p = parent.resolve(base);
            StatInfo existing = os.lstatOrNull(p);
            if (e.isDirectory()) {
                if (existing != null && !existing.isDirectory()) {
                    // deleted and recreated within one layer: the lower content stays hidden
                    if (isWhiteout(existing)) {
                        opaque.add(p);
                    }
                    removeTree(p, existing);
                    existing = null;
                }
                if (existing == null) {
                    os.mkdir(p, 0700);
                }
                dirMeta.put(p, meta);
                return;
            }
            if (existing != null) {
                removeTree(p, existing); // a later entry of the same name wins, as with tar(1)
            }
            if (e.isSymbolicLink()) {
                os.symlink(e.getLinkName(), p);
            } else if (e.isLink()) {
                os.link(linkTarget(e), p);
                return; // one inode: the target already carries the metadata
            } else if (e.isCharacterDevice() || e.isBlockDevice()) {
                if (!root) {
                    throw new FsException(ErrorKind.NOT_PERMITTED, "device in layer needs root: " + e.getName());
                }
                int type = e.isCharacterDevice() ? StatInfo.S_IFCHR : StatInfo.S_IFBLK;
                os.mknod(p, type | (e.getMode() & 07777), makedev(e.getDevMajor(), e.getDevMinor()));
            } else if (e.isFIFO()) {
                os.mknod(p, StatInfo.S_IFIFO | (e.getMode() & 07777), 0);
            } else if (e.isFile()) {
                // no REPLACE_EXISTING: O_CREAT|O_EXCL, which refuses to follow anything at p
                long n = Files.copy(data, p);
                if (n != e.getSize()) {
                    throw new FsException(ErrorKind.INVALID, "truncated tar entry: " + e.getName());
                }
                bytes += n;
            } else {
                throw new FsException(ErrorKind.INVALID, "unsupported tar entry type '"
                        + (char) e.getLinkFlag() + "': " + e.getName());
            }
            applyMeta(p, meta, e.isSymbolicLink());
        }

        private void whiteout(Path parent, String victim, String name) throws FsException {
            if (victim.isEmpty() || victim.equals(".") || victim.equals("..")) {
                throw new FsException(ErrorKind.INVALID, "malformed whiteout: " + name);
            }
            Path p = parent.resolve(victim);
            if (os.lstatOrNull(p) != null) {
                return; // whiteouts apply to lower layers only; this layer's own entry stays
            }
            if (!root) {
                throw new FsException(ErrorKind.NOT_PERMITTED,
                        "whiteout needs mknod(2) of a 0/0 character device, which needs root: " + name);
            }
            os.mknod(p, StatInfo.S_IFCHR, 0);
            whiteouts++;
        }

        /** Creates missing parents (0755, as docker does); refuses symlinks and non-directories. */
        private Path ensureDirs(List<String> comps, String name) throws FsException {
            Path cur = dest;
            for (String c : comps) {
                cur = cur.resolve(c);
                StatInfo st = os.lstatOrNull(cur);
                if (st == null) {
                    os.mkdir(cur, 0755);
                } else if (st.isSymlink()) {
                    throw new FsException(ErrorKind.INVALID, "layer entry lies below a symlink: " + name);
                } else if (isWhiteout(st)) {
                    os.unlink(cur);
                    os.mkdir(cur, 0755);
                    opaque.add(cur);
                } else if (!st.isDirectory()) {
                    throw new FsException(ErrorKind.NOT_DIRECTORY, "layer entry lies below a non-directory: " + name);
                }
            }
            return cur;
        }

        /** A hard link's target must be an existing non-directory of this layer, reached without symlinks. */
        private Path linkTarget(TarArchiveEntry e) throws FsException {
            List<String> comps = TarPaths.components(e.getLinkName());
            if (comps.isEmpty()) {
                throw new FsException(ErrorKind.INVALID, "hard link to the layer root: " + e.getName());
            }
            Path cur = dest;
            for (int i = 0; i < comps.size(); i++) {
                cur = cur.resolve(comps.get(i));
                StatInfo st = os.lstatOrNull(cur);
                boolean last = i == comps.size() - 1;
                if (st == null || (!last && !st.isDirectory()) || (last && st.isDirectory())) {
                    throw new FsException(ErrorKind.INVALID, "hard link " + e.getName()
                            + " points to " + e.getLinkName() + ", which is not a file of this layer");
                }
            }
            return cur;
        }

        private void applyMeta(Path p, Meta meta, boolean symlink) throws IOException {
            TarArchiveEntry e = meta.entry();
            if (root) {
                os.lchown(p, (int) e.getLongUserId(), (int) e.getLongGroupId());
            }
            if (!symlink) {
                os.chmod(p, e.getMode() & 07777); // after chown, which clears set-id bits
            }
            for (Map.Entry<String, String> h : e.getExtraPaxHeaders().entrySet()) {
                if (!h.getKey().startsWith("SCHILY.xattr.")) {
                    continue;
                }
                String name = h.getKey().substring("SCHILY.xattr.".length());
                if (name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.")) {
                    // the kernel would obey these (redirects, metacopy): never take them from an image
                    LOG.warn("ignoring overlay-private xattr {} on {}", name, e.getName());
                    continue;
                }
                try {
                    os.setxattr(p, name, meta.value(name, h.getValue()), 0);
                } catch (FsException x) {
                    if (root || x.kind() != ErrorKind.NOT_PERMITTED) {
                        throw x;
                    }
                    LOG.warn("cannot set xattr {} on {} without root", name, e.getName());
                }
            }
            FileTime mt = e.getLastModifiedTime();
            FileTime at = e.getLastAccessTime() != null ? e.getLastAccessTime() : mt;
            os.utimens(p, at.to(TimeUnit.SECONDS), nanos(at), mt.to(TimeUnit.SECONDS), nanos(mt));
        }

        void finish() throws IOException {
            for (Path d : opaque) {
                StatInfo st = os.lstatOrNull(d);
                if (st != null && st.isDirectory()) {
                    os.setxattr(d, OPAQUE_XATTR, new byte[] {'y'}, 0);
                }
            }
            List<Path> dirs = new ArrayList<>(dirMeta.keySet());
            dirs.sort(Comparator.comparingInt(Path::getNameCount).reversed());
            for (Path d : dirs) {
                StatInfo st = os.lstatOrNull(d);
                if (st != null && st.isDirectory()) {
                    applyMeta(d, dirMeta.get(d), false);
                }
            }
        }
    }

    /** An entry and the raw bytes of its xattrs, where the sniffer saw them. */
    private record Meta(TarArchiveEntry entry, Map<String, byte[]> raw) {
        /** The raw value when it agrees with commons-compress's decoded string, else that string's bytes. */
        byte[] value(String name, String decoded) {
            byte[] r = raw == null ? null : raw.get(name);
            if (r != null && new String(r, StandardCharsets.UTF_8).equals(decoded)) {
                return r;
            }
            return decoded.getBytes(StandardCharsets.UTF_8);
        }
    }

    private static long nanos(FileTime t) {
        return Math.floorMod(t.to(TimeUnit.NANOSECONDS), 1_000_000_000L);
    }

    /** Deletes p and, for a directory, everything below it, never following symlinks. */
    static void removeTree(Path p, StatInfo st) throws IOException {
        if (st != null && !st.isDirectory()) {
            Files.delete(p);
            return;
        }
        Trees.delete(p);
    }
}
