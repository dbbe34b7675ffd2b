package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MountTableTest {
    private static final String MOUNTINFO = String.join("\n",
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "40 22 0:35 / /tmp/m rw,relatime shared:2 - tmpfs tmpfs rw",
            "41 40 0:36 / /tmp/m rw,nosuid,nodev,relatime shared:3 - fuse.stratafs stratafs rw,user_id=0,group_id=0",
            "42 22 0:37 / /tmp/with\\040space rw,relatime - fuse fuse-overlayfs rw",
            "");

    @Test
    void lastMountOnAPointIsOnTop() {
        List<MountTable.Entry> at = MountTable.at(MOUNTINFO, "/tmp/m");
        assertEquals(List.of(new MountTable.Entry(40, "/tmp/m", "tmpfs"), new MountTable.Entry(41, "/tmp/m", "fuse.stratafs")), at);
        assertTrue(at.get(1).isFuse());
        assertFalse(at.get(0).isFuse());
    }

    @Test
    void octalEscapedSpacesMatch() {
        assertEquals(List.of(new MountTable.Entry(42, "/tmp/with space", "fuse")), MountTable.at(MOUNTINFO, "/tmp/with space"));
    }

    @Test
    void prefixOfAMountPointDoesNotMatch() {
        assertEquals(List.of(), MountTable.at(MOUNTINFO, "/tmp"));
    }
}
