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
 * A directory listing frozen at opendir, so that readdir offsets stay valid while the directory
 * changes (readdir(3) need not see concurrent changes; it must not skip or repeat survivors).
 * Entry i is resumed from offset i+1. Names are kept as NUL-terminated UTF-8, the shape the FUSE
 * fill function wants, encoded once per opendir rather than once per readdir call.
 */
public final class DirSnapshot {
    /** d_ino for an entry whose inode is not known (libfuse's FUSE_UNKNOWN_INO). */
    public static final long UNKNOWN_INO = 0xffffffffL;

    private final byte[][] names;
    private final long[] inos;
    private final int[] types;

    private DirSnapshot(int n) {
        names = new byte[n][];
        inos = new long[n];
        types = new int[n];
    }

    /** "." and ".." first, then {@code entries} in their order. */
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

    public static DirSnapshot of(long selfIno, long parentIno, int dirType, List<DirEntry> entries) {
        DirSnapshot s = new DirSnapshot(entries.size() + 2);
        s.set(0, ".", selfIno, dirType);
        s.set(1, "..", parentIno, dirType);
        int i = 2;
        for (DirEntry e : entries) {
            s.set(i++, e.name(), e.ino(), e.type());
        }
        return s;
    }

    private void set(int i, String name, long ino, int type) {
        byte[] b = name.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        names[i] = z;
        inos[i] = ino;
        types[i] = type;
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

    public long ino(int i) {
        return inos[i];
    }

    /** File type bits (S_IFMT part of st_mode) of entry i. */
    public int type(int i) {
        return types[i];
    }

    /** The first entry to return for a readdir at {@code offset}: offsets are "entries already seen". */
    public int startIndex(long offset) {
        if (offset <= 0) return 0;
        return offset >= names.length ? names.length : (int) offset;
    }

    /** The offset the kernel hands back to continue after entry i. */
    public static long nextOffset(int i) {
        return i + 1L;
    }
}
