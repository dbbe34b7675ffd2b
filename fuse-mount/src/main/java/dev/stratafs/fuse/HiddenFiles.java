package dev.stratafs.fuse;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Files unlinked while open. libfuse 2's high-level API (without hard_remove) does not unlink
 * an open file: it renames it to {@code .fuse_hiddenXXXXXXXXXXXXXXXX} in the same directory and
 * unlinks that name at the last release, so that requests on the open file (fstat, which the
 * kernel sends without a handle) still have a path. Passing that rename to the layers would
 * leave .fuse_hidden files in the upper layer and make rmdir of their directory fail; instead the
 * adapter unlinks the real name and remembers the hidden name here, answering for it from the
 * open handle. (hard_remove avoids the rename but then fstat of such a file fails with ENOENT.)
 */
public final class HiddenFiles {
    private static final String PREFIX = ".fuse_hidden";

    private final ConcurrentHashMap<String, Long> inoByPath = new ConcurrentHashMap<>();

    /**
     * True when {@code path}'s last component has the shape libfuse 2.9 gives hidden files
     * (fuse.c hidden_name: ".fuse_hidden%08x%08x"). Callers also check that the file is open,
     * as libfuse hides only open files, before treating a rename to such a name as a hide.
     */
    public static boolean isHiddenName(String path) {
        int start = path.lastIndexOf('/') + 1;
        if (path.length() - start != PREFIX.length() + 16 || !path.startsWith(PREFIX, start)) return false;
        for (int i = start + PREFIX.length(); i < path.length(); i++) {
            char c = path.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
        }
        return true;
    }

    public boolean isEmpty() {
        return inoByPath.isEmpty();
    }

    public void hide(String hiddenPath, long ino) {
        inoByPath.put(hiddenPath, ino);
    }

    /** The inode behind a hidden name, or null when {@code path} is not one. */
    public Long inoOf(String path) {
        return inoByPath.get(path);
    }

    /** Forgets a hidden name (libfuse unlinks it at the last release); true when it was one. */
    public boolean forget(String path) {
        return inoByPath.remove(path) != null;
    }
}
