package dev.stratafs.core.copyup;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Whether a filesystem writes metadata changes to the disk in the order they were made, so that
 * after a crash a rename is never there without the size and xattrs set on the file before it.
 * A journal (ext3/ext4 with one, xfs) or copy-on-write transactions (btrfs, zfs) do; ext2, an
 * ext4 made without a journal, and anything not known here may not, and get the fsync.
 */
final class MetadataOrder {
    /** Filesystems whose every instance commits metadata in order (or keeps nothing over a crash). */
    private static final Set<String> ALWAYS = Set.of("xfs", "btrfs", "zfs", "tmpfs");
    /** Filesystems that do when the instance has a journal. */
    private static final Set<String> WITH_JOURNAL = Set.of("ext3", "ext4");

    private MetadataOrder() {}

    /** For the filesystem holding {@code dir}; false when it cannot be told. */
    static boolean ordered(NativeOs os, Path dir) {
        try {
            StatInfo st = os.lstat(dir);
            String majMin = StatInfo.major(st.dev()) + ":" + StatInfo.minor(st.dev());
            Optional<String> type = fsType(Files.readString(Path.of("/proc/self/mountinfo")), majMin);
            return type.isPresent() && ordered(type.get(), () -> hasJbd2Journal(majMin));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    interface JournalProbe {
        boolean hasJournal() throws IOException;
    }

    static boolean ordered(String fsType, JournalProbe journal) throws IOException {
        if (ALWAYS.contains(fsType)) return true;
        return WITH_JOURNAL.contains(fsType) && journal.hasJournal();
    }

    /**
     * The filesystem type of the mount of device {@code majMin} ("8:1") in a mountinfo listing
     * (proc(5): field 3 is major:minor, the type follows the " - " separator).
     */
    static Optional<String> fsType(String mountinfo, String majMin) {
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            if (f.length < 3 || !f[2].equals(majMin)) continue;
            int sep = line.indexOf(" - ");
            if (sep < 0) continue;
            String[] tail = line.substring(sep + 3).split(" ");
            if (tail.length > 0 && !tail[0].isEmpty()) return Optional.of(tail[0]);
        }
        return Optional.empty();
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
