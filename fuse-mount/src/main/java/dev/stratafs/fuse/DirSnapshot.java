package dev.stratafs.fuse;

import dev.stratafs.core.DirEntry;
import dev.stratafs.core.FileAttr;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A directory listing as readdir hands it out: "." and "..", then the entries in the order of
 * their offset cookies. An entry's cookie (the offset the kernel hands back to continue after it)
 * is a hash of its name, not its position, so a listing taken later resumes an earlier one
 * correctly: readdir(3) need not see entries added or removed meanwhile, but must not skip or
 * repeat the ones that stayed (the way ext4 answers with hash positions, fs/ext4/dir.c). That is
 * what lets a listing be read in several requests without a handle holding one snapshot
 * ({@link DirListings}). Names are kept as NUL-terminated UTF-8, the shape the FUSE fill
 * function wants, encoded once per listing rather than once per readdir call.
 */
public final class DirSnapshot {
    /** d_ino for an entry whose inode is not known (libfuse's FUSE_UNKNOWN_INO). */
    public static final long UNKNOWN_INO = 0xffffffffL;

    /** Cookies of "." and ".."; every name's cookie is larger. */
    private static final long DOT = 1, DOTDOT = 2;

    private final byte[][] names;
    private final long[] inos;
    private final int[] types;
    /** Strictly increasing from index 0. */
    private final long[] cookies;

    private DirSnapshot(int n) {
        names = new byte[n][];
        inos = new long[n];
        types = new int[n];
        cookies = new long[n];
    }

    /**
     * The listing of directory {@code path} as both engines serve it: "." and ".." with the
     * directory's and its parent's inode numbers (the parent's unknown when it cannot be
     * read), then the merged entries. NOT_DIRECTORY for anything else.
     */
    public static DirSnapshot read(FsBackend fs, String path) throws IOException {
        FileAttr self = fs.getattr(path);
        if (!self.isDirectory()) throw new FsException(ErrorKind.NOT_DIRECTORY, "opendir: " + path);
        long parentIno = self.ino();
        int slash = path.lastIndexOf('/');
        if (slash >= 0 && path.length() > 1) {
            try {
                parentIno = fs.getattr(slash == 0 ? "/" : path.substring(0, slash)).ino();
            } catch (IOException | RuntimeException e) {
                parentIno = UNKNOWN_INO;
            }
        }
        return of(self.ino(), parentIno, StatInfo.S_IFDIR, fs.readdir(path));
    }

    /** "." and ".." first, then {@code entries} (distinct names) in cookie order. */
    public static DirSnapshot of(long selfIno, long parentIno, int dirType, List<DirEntry> entries) {
        int n = entries.size();
        byte[][] z = new byte[n][];
        long[] hash = new long[n];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            z[i] = nulTerminated(entries.get(i).name());
            hash[i] = cookieOf(z[i]);
            order[i] = i;
        }
        // Equal hashes sort by name, so two listings of the same names agree on every cookie.
        java.util.Arrays.sort(order, (a, b) -> hash[a] != hash[b] ? Long.compare(hash[a], hash[b])
                : java.util.Arrays.compareUnsigned(z[a], z[b]));
        DirSnapshot s = new DirSnapshot(n + 2);
        s.set(0, nulTerminated("."), selfIno, dirType, DOT);
        s.set(1, nulTerminated(".."), parentIno, dirType, DOTDOT);
        long last = DOTDOT;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            // A collision takes the next free value: only the colliding names lose resumability.
            long c = Math.max(hash[i], last + 1);
            DirEntry e = entries.get(i);
            s.set(k + 2, z[i], e.ino(), e.type(), c);
            last = c;
        }
        return s;
    }

    /**
     * 3 .. 2^62: FNV-1a over the UTF-8 bytes, then a 64-bit finalizer (splitmix64) so that
     * similar names spread. The headroom above keeps collision bumps from overflowing.
     */
    static long cookieOf(byte[] nameZ) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < nameZ.length - 1; i++) {
            h = (h ^ (nameZ[i] & 0xff)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
        h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return Math.max(DOTDOT + 1, h >>> 2);
    }

    private static byte[] nulTerminated(String name) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        return java.util.Arrays.copyOf(b, b.length + 1);
    }

    private void set(int i, byte[] nameZ, long ino, int type, long cookie) {
        names[i] = nameZ;
        inos[i] = ino;
        types[i] = type;
        cookies[i] = cookie;
    }

    public int size() {
        return names.length;
    }

    /** The name of entry i as UTF-8 with a trailing NUL; do not modify. */
    public byte[] nameZ(int i) {
        return names[i];
    }

    public String name(int i) {
        return new String(names[i], 0, names[i].length - 1, StandardCharsets.UTF_8);
    }

    /** The index of {@code name}, or -1 (a linear search: for tests and diagnostics). */
    public int indexOf(String name) {
        for (int i = 0; i < names.length; i++) {
            if (name(i).equals(name)) return i;
        }
        return -1;
    }

    public long ino(int i) {
        return inos[i];
    }

    /** File type bits (S_IFMT part of st_mode) of entry i. */
    public int type(int i) {
        return types[i];
    }

    /**
     * The first entry to return for a readdir at {@code offset}: 0 starts over, any other value
     * is the cookie of the last entry seen (from this listing or an earlier one of the same directory).
     */
    public int startIndex(long offset) {
        if (offset == 0) return 0;
        if (offset < 0) return names.length; // beyond 2^63 as the kernel's u64: past every cookie
        int i = java.util.Arrays.binarySearch(cookies, offset);
        return i >= 0 ? i + 1 : -i - 1;
    }

    /** The offset the kernel hands back to continue after entry i. */
    public long nextOffset(int i) {
        return cookies[i];
    }
}
