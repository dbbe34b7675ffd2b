package dev.stratafs.core.copyup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stratafs.core.copyup.MetadataOrder.Level;
import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What each filesystem keeps in order, by statfs(2) type; on real mounts, see CopyUpDurabilityTest. */
class MetadataOrderTest {
    static Stream<Arguments> types() {
        return Stream.of(
                Arguments.of("ext4 with a journal", MetadataOrder.EXT, true, Level.METADATA_AFTER_DATA),
                Arguments.of("ext2, or ext4 without a journal", MetadataOrder.EXT, false, Level.NONE),
                Arguments.of("xfs", MetadataOrder.XFS, false, Level.METADATA_AFTER_DATA),
                Arguments.of("tmpfs", MetadataOrder.TMPFS, false, Level.METADATA_AFTER_DATA),
                Arguments.of("btrfs", MetadataOrder.BTRFS, false, Level.METADATA),
                Arguments.of("zfs", MetadataOrder.ZFS, false, Level.METADATA),
                Arguments.of("vfat", 0x4d44L, false, Level.NONE),
                Arguments.of("fuse", 0x65735546L, true, Level.NONE));
    }

    @ParameterizedTest(name = "{0}: {3}")
    @MethodSource("types")
    void onlyJournalsAndTransactionsKeepOrder(String what, long type, boolean journal, Level level) throws IOException {
        assertEquals(level, MetadataOrder.of(type, () -> journal));
    }
}
