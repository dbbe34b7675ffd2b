package dev.stratafs.core.copyup;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Whether a filesystem writes metadata changes to the disk in the order they were made, so that
 * after a crash a rename is never there without the size and xattrs set on the file before it.
 * A journal (ext3/ext4 with one, xfs) or copy-on-write transactions (btrfs, zfs) do; ext2, an
 * ext4 made without a journal, and anything not known here may not, and get the fsync.
 *
 * <p>The type comes from statfs(2), not from the mount table: a btrfs subvolume's files report a
 * device number of their own, which /proc/self/mountinfo does not list.
 */
final class MetadataOrder {
    /** statfs f_type of filesystems whose every instance commits metadata in order (or keeps nothing over a crash). */
    static final long XFS = 0x58465342L;
    static final long BTRFS = 0x9123683EL;
    static final long ZFS = 0x2FC12FC1L;
    static final long TMPFS = 0x01021994L;
    private static final Set<Long> ALWAYS = Set.of(XFS, BTRFS, ZFS, TMPFS);
    /** ext2, ext3 and ext4 share one magic number: only a journal orders their metadata. */
    static final long EXT = 0xEF53L;

    private MetadataOrder() {}

    /** For the filesystem holding {@code dir}; false when it cannot be told. */
    static boolean ordered(NativeOs os, Path dir) {
        try {
            long type = os.fsType(dir);
            StatInfo st = os.lstat(dir);
            String majMin = StatInfo.major(st.dev()) + ":" + StatInfo.minor(st.dev());
            return ordered(type, () -> hasJbd2Journal(majMin));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    interface JournalProbe {
        boolean hasJournal() throws IOException;
    }

    static boolean ordered(long fsType, JournalProbe journal) throws IOException {
        if (ALWAYS.contains(fsType)) return true;
        return fsType == EXT && journal.hasJournal();
    }

    /** jbd2 lists each journal it runs as /proc/fs/jbd2/DEVICE-INODE (DEVICE as in /sys/block). */
    private static boolean hasJbd2Journal(String majMin) throws IOException {
        Path dev = Path.of("/sys/dev/block", majMin);
        if (!Files.exists(dev)) return false;
        String name = dev.toRealPath().getFileName().toString();
        Path jbd2 = Path.of("/proc/fs/jbd2");
        if (!Files.isDirectory(jbd2)) return false;
        try (Stream<Path> s = Files.list(jbd2)) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith(name + "-"));
        }
    }
}
