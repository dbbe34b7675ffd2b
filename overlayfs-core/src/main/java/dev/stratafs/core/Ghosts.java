package dev.stratafs.core;

import dev.stratafs.core.copyup.WorkDir;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;

/**
 * Files replaced by a rename while the kernel still knows them. A process that resolved a name
 * just before another renamed a new file over it (the write-and-rename idiom) goes on to stat or
 * open the old file; on a local filesystem, and on the kernel overlay, that works, and the name
 * never stops existing. The replaced upper file is kept as a link in the workdir's scratch
 * directory, a replaced lower file simply stays where it is, until the kernel forgets the inode.
 * A crash leaves nothing: the scratch directory is emptied at every mount.
 */
final class Ghosts {
    private record Ghost(Path path, boolean lower) {}

    private final NativeOs os;
    private final WorkDir work;
    private final ConcurrentHashMap<Long, Ghost> byIno = new ConcurrentHashMap<>();
    private volatile LongPredicate referenced = ino -> false;

    Ghosts(NativeOs os, WorkDir work) {
        this.os = os;
        this.work = work;
    }

    /** Which mount inodes are still known to someone who may ask for them (the FUSE node table). */
    void keepWhile(LongPredicate referenced) {
        this.referenced = referenced;
    }

    /** Under the namespace write lock, before the upper non-directory at {@code host} is renamed over. */
    void keepUpper(long ino, Path host) {
        if (work == null || byIno.containsKey(ino) || !referenced.test(ino)) return;
        Path g = work.newTemp();
        try {
            os.link(host, g);
            byIno.put(ino, new Ghost(g, false));
        } catch (FsException e) {
            // Best effort: the removal goes ahead, and a late request finds nothing, as before.
        }
    }

    /** Under the namespace write lock, before the lower non-directory at {@code host} is renamed over. */
    void keepLower(long ino, Path host) {
        if (byIno.containsKey(ino) || !referenced.test(ino)) return;
        byIno.put(ino, new Ghost(host, true));
    }

    /** The attributes of a kept file (no name: nlink as without the kept link), or null. */
    FileAttr attr(long ino) throws FsException {
        Ghost g = byIno.get(ino);
        if (g == null) return null;
        StatInfo st = os.lstatOrNull(g.path);
        if (st == null) return null;
        return FileAttr.of(st, ino, g.lower ? 0 : Math.max(0, st.nlink() - 1));
    }

    /** Opens a kept file, or -1 when none is kept; a lower one for reading only (see {@link OverlayFs#openRemoved}). */
    int open(long ino, int flags) throws FsException {
        Ghost g = byIno.get(ino);
        if (g == null) return -1;
        if (g.lower && NativeOs.OpenFlags.writes(flags)) {
            throw new FsException(ErrorKind.EXISTS, "a removed lower file cannot be copied up to be written");
        }
        return os.open(g.path, g.lower ? flags | NativeOs.OpenFlags.O_NOATIME : flags, 0);
    }

    /** The kernel forgot the inode: a kept upper copy goes. */
    void forget(long ino) {
        Ghost g = byIno.remove(ino);
        if (g != null && !g.lower) work.discard(g.path);
    }
}
