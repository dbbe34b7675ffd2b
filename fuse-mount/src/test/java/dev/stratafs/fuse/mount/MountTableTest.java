package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MountTableTest {
    private static final String SAMPLE = String.join("\n",
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "36 22 0:45 / /tmp/m\\040one rw,nosuid,nodev,relatime shared:20 - fuse.stratafs stratafs rw,user_id=0,group_id=0",
            "37 22 0:46 / /tmp/plain rw,relatime - fuse fsx rw,user_id=0",
            "38 22 0:47 / /tmp/ovl rw,relatime - overlay overlay rw,lowerdir=/a",
            "39 22 0:48 / /tmp/ovl rw,relatime shared:3 master:2 - fuse.stratafs top rw",
            "");

    @Test
    void octalEscapesInMountPointsAreDecoded() {
        MountTable t = MountTable.parse(SAMPLE);
        MountTable.Entry e = t.find(Path.of("/tmp/m one")).orElseThrow();
        assertEquals("fuse.stratafs", e.fsType());
        assertEquals("stratafs", e.source());
        assertEquals(0, e.major());
        assertEquals(45, e.minor());
        assertTrue(e.isFuse());
    }

    @Test
    void plainFuseCountsAsFuseButOverlayDoesNot() {
        MountTable t = MountTable.parse(SAMPLE);
        assertTrue(t.hasFuseAt(Path.of("/tmp/plain")));
        assertFalse(t.find(Path.of("/")).orElseThrow().isFuse());
    }

    @Test
    void laterMountOverTheSamePathWins() {
        MountTable.Entry e = MountTable.parse(SAMPLE).find(Path.of("/tmp/ovl")).orElseThrow();
        assertEquals("top", e.source());
        assertEquals(48, e.minor());
    }

    @Test
    void absentMountPointIsNotFound() {
        MountTable t = MountTable.parse(SAMPLE);
        assertTrue(t.find(Path.of("/tmp/m")).isEmpty());
        assertFalse(t.hasFuseAt(Path.of("/tmp/nothing")));
    }

    @Test
    void unescapeLeavesNonEscapesAlone() {
        assertEquals("a\\b", MountTable.unescape("a\\b"));
        assertEquals("a\\", MountTable.unescape("a\\134"));
        assertEquals("tab\there", MountTable.unescape("tab\\011here"));
    }

    @Test
    void thisProcessMountTableIsReadable() throws Exception {
        assertTrue(MountTable.read().find(Path.of("/")).isPresent());
    }
}
