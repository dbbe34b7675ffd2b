package dev.stratafs.core;

import dev.stratafs.core.path.FsPath;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Paths known to have no {@code security.capability} xattr. Without FUSE_HANDLE_KILLPRIV_V2
 * (which libfuse 3.14 cannot negotiate) the kernel asks for that xattr before every write(2)
 * and chown(2) to see whether to drop it (security/commoncap.c cap_inode_need_killpriv): an
 * untar sends one such GETXATTR per write, and nearly every one finds nothing.
 *
 * <p>Only absences are kept, so a removal never makes an entry wrong. An entry goes when the
 * name may come to mean another object or the object may gain the attribute: the name is made,
 * removed, renamed or linked over ({@link #forget}), or anything sets {@code security.capability}
 * or a directory is renamed ({@link #forgetAll}: hard links and moved subtrees have other names).
 * Callers change entries under the namespace write lock and record a miss under its read lock,
 * so a miss found before a change is never recorded after it.
 */
final class CapabilityMisses {
    static final String NAME = "security.capability";
    /** About 100 bytes each; recent names are the ones asked again (write after create). */
    private static final int LIMIT = 16_384;

    private final Set<FsPath> absent = ConcurrentHashMap.newKeySet();

    boolean known(FsPath p) {
        return absent.contains(p);
    }

    void remember(FsPath p) {
        if (absent.size() >= LIMIT) absent.clear();
        absent.add(p);
    }

    void forget(FsPath p) {
        absent.remove(p);
    }

    void forgetAll() {
        absent.clear();
    }
}
