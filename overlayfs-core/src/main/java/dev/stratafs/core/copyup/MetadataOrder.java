package dev.stratafs.core.copyup;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a crash keeps, in order, of the changes made on the upper filesystem: how much of a
 * copy's fsync copy-up can leave to the filesystem ({@link Level}).
 *
 * <p>The type comes from statfs(2), not from the mount table: a btrfs subvolume's files report a
 * device number of their own, which /proc/self/mountinfo does not list.
 */
final class MetadataOrder {
    /** statfs f_type values (linux/magic.h). */
    static final long XFS = 0x58465342L;
    static final long BTRFS = 0x9123683EL;
    static final long ZFS = 0x2FC12FC1L;
    static final long TMPFS = 0x01021994L;
    /** ext2, ext3 and ext4 share one magic number: only a journal orders their metadata. */
    static final long EXT = 0xEF53L;

    enum Level {
        /** Nothing known (ext2, an ext4 without a journal, anything else): every copy is fsync'ed. */
        NONE,
        /**
         * Metadata reaches the disk in the order it was made, so a rename is never there without
         * the size, xattrs and reflinks set before it: a journal or copy-on-write transactions.
         */
        METADATA,
        /**
         * That, and the commit of a rename first makes durable every data write completed before
         * it: jbd2 writes its commit record with REQ_PREFLUSH|REQ_FUA, xfs flushes the device
         * before a checkpoint (fs/xfs/xfs_log.c, "journal IO cache flush reductions"). Data
         * written out and waited for (sync_file_range) before the rename is then on the disk
         * whenever the rename is; the wait also covers ext4's unwritten-extent conversion and
         * xfs's size update, which run before a page's writeback ends. Not btrfs: it records a
         * write's extents after the writeback ends (btrfs_finish_ordered_io).
         */
        METADATA_AFTER_DATA
    }

    private static final Set<Long> AFTER_DATA = Set.of(XFS, TMPFS);
    private static final Set<Long> METADATA_ONLY = Set.of(BTRFS, ZFS);

    private MetadataOrder() {}

    /** For the filesystem holding {@code dir}; NONE when it cannot be told. */
    static Level of(NativeOs os, Path dir) {
        try {
            long type = os.fsType(dir);
            StatInfo st = os.lstat(dir);
            String majMin = StatInfo.major(st.dev()) + ":" + StatInfo.minor(st.dev());
            return of(type, () -> hasJbd2Journal(majMin));
        } catch (IOException | RuntimeException e) {
            return Level.NONE;
        }
    }

    interface JournalProbe {
        boolean hasJournal() throws IOException;
    }

    static Level of(long fsType, JournalProbe journal) throws IOException {
        if (AFTER_DATA.contains(fsType)) return Level.METADATA_AFTER_DATA;
        if (METADATA_ONLY.contains(fsType)) return Level.METADATA;
        return fsType == EXT && journal.hasJournal() ? Level.METADATA_AFTER_DATA : Level.NONE;
    }

    /**
     * jbd2 lists each journal it runs as /proc/fs/jbd2/DEVICE-INODE (DEVICE as in /sys/block).
     * An external journal is listed under its own device, so such an ext4 counts as NONE: its
     * commit record flushes the journal's device, not necessarily the data's.
     */
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
