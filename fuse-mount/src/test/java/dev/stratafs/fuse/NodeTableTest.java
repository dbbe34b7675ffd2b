package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.util.List;
import org.junit.jupiter.api.Test;

/*
 * Fixture, by inode number:
 *   /
 *   /d           200  directory
 *   /d/sub       210  directory
 *   /d/sub/f     211
 *   /a           300  with a hard link /b (same inode)
 *   /x           400
 */
class NodeTableTest {
    private static final long ROOT = NodeTable.ROOT_ID;

    private final NodeTable t = new NodeTable();

    @Test
    void rootIsOneAndHasPathSlash() throws Exception {
        assertEquals("/", t.path(ROOT));
        assertEquals(1, t.size());
        t.forget(ROOT, 5);
        assertEquals("/", t.path(ROOT), "the root is never forgotten");
    }

    /** Each step: lookups by the kernel then forgets; the count left and whether the node lives. */
    record CountCase(String name, int lookups, long forgets, long left, boolean alive) {}

    @Test
    void lookupCountsAddUpAndForgetSubtracts() throws Exception {
        for (CountCase c : List.of(
                new CountCase("one lookup, no forget", 1, 0, 1, true),
                new CountCase("three lookups, forget two", 3, 2, 1, true),
                new CountCase("three lookups, forget three", 3, 3, 0, false),
                new CountCase("two lookups, batch forget more than held", 2, 5, 0, false))) {
            NodeTable nt = new NodeTable();
            long id = 0;
            for (int i = 0; i < c.lookups; i++) id = nt.lookedUp(ROOT, "x", 400, false);
            if (c.forgets > 0) nt.forget(id, c.forgets);
            assertEquals(c.left, nt.lookups(id), c.name);
            if (c.alive) {
                assertEquals("/x", nt.path(id), c.name);
            } else {
                long fid = id;
                assertThrows(FsException.class, () -> nt.path(fid), c.name);
            }
        }
    }

    @Test
    void aForgottenNameGetsANewIdOnTheNextLookup() throws Exception {
        long first = t.lookedUp(ROOT, "x", 400, false);
        t.forget(first, 1);
        long second = t.lookedUp(ROOT, "x", 400, false);
        assertNotEquals(first, second, "node ids are never reused");
        assertEquals("/x", t.path(second));
    }

    @Test
    void pathsFollowTheParentChain() throws Exception {
        long d = t.lookedUp(ROOT, "d", 200, true);
        long sub = t.lookedUp(d, "sub", 210, true);
        long f = t.lookedUp(sub, "f", 211, false);
        assertEquals("/d/sub/f", t.path(f));
        assertEquals("/d/sub/g", t.childPath(sub, "g"));
        assertEquals("/top", t.childPath(ROOT, "top"));
    }

    @Test
    void renamingADirectoryMovesItsSubtree() throws Exception {
        long d = t.lookedUp(ROOT, "d", 200, true);
        long sub = t.lookedUp(d, "sub", 210, true);
        long f = t.lookedUp(sub, "f", 211, false);
        long e = t.lookedUp(ROOT, "e", 500, true);
        assertEquals("/d/sub/f", t.path(f)); // asked before the move: a remembered path must not outlive it
        t.renamed(d, "sub", e, "moved", false);
        assertEquals("/e/moved", t.path(sub));
        assertEquals("/e/moved/f", t.path(f));
        t.renamed(ROOT, "e", ROOT, "e2", false);
        assertEquals("/e2/moved/f", t.path(f));
        assertEquals(sub, t.lookedUp(e, "moved", 210, true), "the moved directory keeps its node");
    }

    @Test
    void renameOverATargetDetachesTheTarget() throws Exception {
        long a = t.lookedUp(ROOT, "x", 400, false);
        long target = t.lookedUp(ROOT, "y", 600, false);
        t.renamed(ROOT, "x", ROOT, "y", false);
        assertEquals("/y", t.path(a));
        assertNull(t.path(target), "the replaced file has no name left but lives while looked up");
    }

    @Test
    void renameExchangeSwapsNames() throws Exception {
        long x = t.lookedUp(ROOT, "x", 400, false);
        long d = t.lookedUp(ROOT, "d", 200, true);
        long f = t.lookedUp(d, "f", 211, false);
        t.renamed(ROOT, "x", ROOT, "d", true);
        assertEquals("/d", t.path(x));
        assertEquals("/x", t.path(d));
        assertEquals("/x/f", t.path(f));
    }

    @Test
    void renameBetweenTwoLinksOfOneFileChangesNothing() throws Exception {
        long a = t.lookedUp(ROOT, "a", 300, false);
        assertEquals(a, t.lookedUp(ROOT, "b", 300, false));
        t.renamed(ROOT, "a", ROOT, "b", false);
        t.unlinked(ROOT, "b");
        assertEquals("/a", t.path(a), "rename(2) of a link onto another link of the same file does nothing");
    }

    @Test
    void hardLinksShareOneNodeAndSurviveUnlinkOfOneName() throws Exception {
        long a = t.lookedUp(ROOT, "a", 300, false);
        long b = t.lookedUp(ROOT, "b", 300, false);
        assertEquals(a, b);
        assertEquals(2, t.lookups(a));
        t.unlinked(ROOT, "a");
        assertEquals("/b", t.path(a), "the other name still reaches the file");
        t.unlinked(ROOT, "b");
        assertNull(t.path(a));
    }

    @Test
    void unlinkWhileLookedUpKeepsTheNodeWithoutPath() throws Exception {
        long x = t.lookedUp(ROOT, "x", 400, false);
        t.unlinked(ROOT, "x");
        assertNull(t.path(x));
        assertEquals(400, t.ino(x), "the inode stays known, for the open handle that answers getattr");
        assertEquals(1, t.lookups(x));
        t.forget(x, 1);
        assertThrows(FsException.class, () -> t.ino(x));
    }

    @Test
    void aReusedInodeNumberAfterUnlinkGetsAFreshNode() throws Exception {
        long old = t.lookedUp(ROOT, "x", 400, false);
        t.unlinked(ROOT, "x");
        long fresh = t.lookedUp(ROOT, "new", 400, false);
        assertNotEquals(old, fresh, "an unlinked node is never joined by a new file with its inode number");
        assertEquals("/new", t.path(fresh));
    }

    @Test
    void aNameNowNamingAnotherInodeDetachesTheOldNode() throws Exception {
        long old = t.lookedUp(ROOT, "x", 400, false);
        long replaced = t.lookedUp(ROOT, "x", 401, false);
        assertNotEquals(old, replaced);
        assertNull(t.path(old));
        assertEquals("/x", t.path(replaced));
    }

    @Test
    void childrenOfARemovedDirectoryHaveNoPath() throws Exception {
        long d = t.lookedUp(ROOT, "d", 200, true);
        long f = t.lookedUp(d, "f", 211, false);
        t.unlinked(d, "f");
        t.unlinked(ROOT, "d");
        assertNull(t.path(d));
        FsException e = assertThrows(FsException.class, () -> t.childPath(d, "g"));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertNull(t.path(f));
    }

    @Test
    void unknownNodeIdsAreNotFound() {
        FsException e = assertThrows(FsException.class, () -> t.path(999));
        assertEquals(ErrorKind.NOT_FOUND, e.kind());
        assertThrows(FsException.class, () -> t.lookedUp(999, "x", 1, false));
        t.forget(999, 1); // ignored
    }
}
