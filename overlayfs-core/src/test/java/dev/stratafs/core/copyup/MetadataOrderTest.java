package dev.stratafs.core.copyup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MetadataOrderTest {
    /** Two mounts of one device (a bind mount) and a tmpfs, as proc(5) shows them. */
    private static final String MOUNTINFO = String.join("\n",
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "35 22 7:0 / /var/lib/containers rw,relatime shared:5 - xfs /dev/loop0 rw,attr2",
            "36 22 7:0 /sub /mnt/bind rw,relatime shared:5 - xfs /dev/loop0 rw,attr2",
            "40 22 0:41 / /tmp rw,nosuid,nodev shared:20 - tmpfs tmpfs rw,size=8g",
            "41 22 0:50 / /mnt/odd rw shared:21 master:3 - btrfs /dev/sdb rw");

    static Stream<Arguments> devices() {
        return Stream.of(
                Arguments.of("8:1", Optional.of("ext4")),
                Arguments.of("7:0", Optional.of("xfs")),
                Arguments.of("0:41", Optional.of("tmpfs")),
                Arguments.of("0:50", Optional.of("btrfs")),
                Arguments.of("9:9", Optional.empty()));
    }

    @ParameterizedTest(name = "device {0} is {1}")
    @MethodSource("devices")
    void theTypeOfADevicesMountComesAfterTheSeparator(String majMin, Optional<String> type) {
        assertEquals(type, MetadataOrder.fsType(MOUNTINFO, majMin));
    }

    static Stream<Arguments> types() {
        return Stream.of(
                Arguments.of("ext4", true, true),
                Arguments.of("ext4", false, false),
                Arguments.of("ext3", true, true),
                Arguments.of("ext2", true, false),
                Arguments.of("xfs", false, true),
                Arguments.of("btrfs", false, true),
                Arguments.of("zfs", false, true),
                Arguments.of("tmpfs", false, true),
                Arguments.of("vfat", false, false),
                Arguments.of("fuse.sshfs", true, false));
    }

    @ParameterizedTest(name = "{0}, journal {1}: ordered {2}")
    @MethodSource("types")
    void onlyJournalsAndTransactionsCountAsOrdered(String type, boolean journal, boolean ordered) throws IOException {
        assertEquals(ordered, MetadataOrder.ordered(type, () -> journal));
    }
}
