package dev.stratafs.core.copyup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which filesystems order metadata, by statfs(2) type; on real mounts, see CopyUpDurabilityTest. */
class MetadataOrderTest {
    static Stream<Arguments> types() {
        return Stream.of(
                Arguments.of("ext4 with a journal", MetadataOrder.EXT, true, true),
                Arguments.of("ext2, or ext4 without a journal", MetadataOrder.EXT, false, false),
                Arguments.of("xfs", MetadataOrder.XFS, false, true),
                Arguments.of("btrfs", MetadataOrder.BTRFS, false, true),
                Arguments.of("zfs", MetadataOrder.ZFS, false, true),
                Arguments.of("tmpfs", MetadataOrder.TMPFS, false, true),
                Arguments.of("vfat", 0x4d44L, false, false),
                Arguments.of("fuse", 0x65735546L, true, false));
    }

    @ParameterizedTest(name = "{0}: ordered {3}")
    @MethodSource("types")
    void onlyJournalsAndTransactionsCountAsOrdered(String what, long type, boolean journal, boolean ordered) throws IOException {
        assertEquals(ordered, MetadataOrder.ordered(type, () -> journal));
    }
}
