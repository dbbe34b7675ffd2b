package dev.stratafs.fuse;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The latest listing of each directory node that is being read without a handle (no OPENDIR:
 * the kernel reads directories without opening them once the filesystem answers OPENDIR with
 * ENOSYS, fs/fuse/file.c fuse_file_open). A directory read in several READDIR requests costs one
 * merge: offset 0 takes a new listing, later offsets continue the stored one. Because a
 * listing's offsets are name hashes ({@link DirSnapshot}), continuing another reader's newer
 * listing is still correct, so concurrent readers of one directory need no coordination.
 *
 * <p>Bounded: a listing leaves when a read finds nothing more in it (end of directory), and the
 * least recently used leaves when more than {@code capacity} directories are mid-read. Thread safe.
 */
public final class DirListings {
    private final Map<Long, DirSnapshot> recent;

    public DirListings(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity " + capacity);
        this.recent = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, DirSnapshot> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The listing to continue for a read of {@code node} at a nonzero offset, or null. */
    public synchronized DirSnapshot get(long node) {
        return recent.get(node);
    }

    /** Remembers {@code listing} as the one to continue for {@code node}. */
    public synchronized void put(long node, DirSnapshot listing) {
        recent.put(node, listing);
    }

    /** The read of {@code node} reached the end: its listing is no longer needed. */
    public synchronized void done(long node) {
        recent.remove(node);
    }

    public synchronized int size() {
        return recent.size();
    }
}
