package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.Sh;
import dev.stratafs.fuse.mount.MountSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upper runs out of space during a copy-up: the caller gets ENOSPC, the lower and the merged
 * view are unchanged, no partial copy is left in the upper or the workdir, and the mount keeps
 * serving.
 *
 * <pre>
 * tmp/lower/big      32 MiB of pseudo-random bytes (no holes: a sparse copy would not fill anything)
 * tmp/lower/small    "small"
 * tmp/small/         tmpfs size=8m, holding upper/ and work/
 * tmp/mnt
 * </pre>
 */
class EnospcIT {
    static final long BIG = 32L << 20;
    @TempDir
    Path tmp;
    Path lower;
    Path small;
    Path upper;
    Path work;
    Path mnt;
    OverlayFs fs;
    MountSession session;
    String lowerHash;

    @BeforeEach
    void setUp() throws Exception {
        Host.assumeRootAndFuse();
        lower = Files.createDirectory(tmp.resolve("lower"));
        Trees.writePattern(lower.resolve("big"), BIG, 7);
        Files.writeString(lower.resolve("small"), "small");
        lowerHash = Trees.sha256(lower.resolve("big"));
        small = Files.createDirectory(tmp.resolve("small"));
        Sh2.run(30, "mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", small.toString()).requireOk();
        upper = Files.createDirectory(small.resolve("upper"));
        work = Files.createDirectory(small.resolve("work"));
        mnt = Files.createDirectory(tmp.resolve("mnt"));
        fs = OverlayFs.open(StackConfig.builder().lower(lower).upper(upper, work).build());
        session = MountSession.mount(fs, mnt, FuseOptions.builder().timeoutSeconds(0).build());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (small == null) return; // skipped
        try {
            if (session != null) session.close();
            if (fs != null) fs.close();
        } finally {
            if (Mounts.mountedAt(small, "tmpfs")) Sh2.run(30, "umount", "-l", small.toString());
        }
    }

    private long tmpfsUsed() throws Exception {
        var store = Files.getFileStore(small);
        return store.getTotalSpace() - store.getUnallocatedSpace();
    }

    @Test
    void appendNeedingACopyUpLargerThanTheUpperFailsWithEnospcAndLeavesNothingBehind() throws Exception {
        long usedBefore = tmpfsUsed();
        Sh.Result r = Sh2.sh(60, "echo x >> " + mnt.resolve("big"));
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("No space left on device"), "expected ENOSPC, got: " + r.err());

        assertEquals(lowerHash, Trees.sha256(lower.resolve("big")), "lower changed");
        assertEquals(BIG, Files.size(mnt.resolve("big")), "merged view changed");
        assertEquals(lowerHash, Trees.sha256(mnt.resolve("big")));
        assertFalse(Files.exists(upper.resolve("big")), "partial copy in the upper");
        assertEquals(List.of(), Trees.names(work.resolve("work")), "workdir temp left behind");
        assertTrue(tmpfsUsed() - usedBefore < (1 << 20), "space not given back: " + (tmpfsUsed() - usedBefore));

        // The mount keeps serving: small copy-ups and new files still work.
        Sh2.sh(30, "echo more >> " + mnt.resolve("small")).requireOk();
        assertEquals("smallmore\n", Files.readString(mnt.resolve("small")));
        Files.writeString(mnt.resolve("new"), "new");
        assertEquals("new", Files.readString(upper.resolve("new")));
        assertEquals(0, session.unexpectedFailures());
    }

    @Test
    void writingAnUpperFilePastTheFreeSpaceFailsWithEnospcAndTheMountRecovers() throws Exception {
        Sh.Result r = Sh2.run(60, "dd", "if=/dev/zero", "of=" + mnt.resolve("fill"), "bs=1M", "count=16", "status=none");
        assertNotEquals(0, r.exit());
        assertTrue(r.err().contains("No space left on device"), "expected ENOSPC, got: " + r.err());
        Files.delete(mnt.resolve("fill"));
        assertFalse(Files.exists(upper.resolve("fill")));
        Sh2.sh(30, "echo more >> " + mnt.resolve("small")).requireOk();
        assertEquals("smallmore\n", Files.readString(upper.resolve("small")));
        assertEquals(0, session.unexpectedFailures());
    }
}
