package dev.stratafs.fuse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdMapperTest {
    // uidmapping=0:100000:65536 (a container's root is host 100000), gidmapping=0:200000:10,1000:5000:1
    private final IdMapper mapped = new IdMapper(
            List.of(new FuseOptions.IdRange(0, 100000, 65536)),
            List.of(new FuseOptions.IdRange(0, 200000, 10), new FuseOptions.IdRange(1000, 5000, 1)),
            null, null);

    @Test
    void withoutMappingsIdsPassUnchanged() throws Exception {
        IdMapper id = IdMapper.of(FuseOptions.builder().build());
        assertTrue(id.isIdentity());
        assertEquals(1234, id.uidToHost(1234));
        assertEquals(1234, id.uidToContainer(1234));
        assertEquals(-2, id.gidToHost(-2)); // 4294967294 stays itself
    }

    @Test
    void storedIdsAreReportedAsHostIds() {
        assertFalse(mapped.isIdentity());
        assertEquals(100000, mapped.uidToHost(0));
        assertEquals(100000 + 65535, mapped.uidToHost(65535));
        assertEquals(200009, mapped.gidToHost(9));
        assertEquals(5000, mapped.gidToHost(1000));
    }

    @Test
    void hostIdsAreStoredAsContainerIds() throws Exception {
        assertEquals(0, mapped.uidToContainer(100000));
        assertEquals(42, mapped.uidToContainer(100042));
        assertEquals(1000, mapped.gidToContainer(5000));
    }

    @Test
    void unmappedStoredIdShowsAsOverflow() {
        assertEquals(IdMapper.OVERFLOW_ID, mapped.uidToHost(65536));
        assertEquals(IdMapper.OVERFLOW_ID, mapped.gidToHost(10));
    }

    @Test
    void unmappedHostIdCannotBeStored() {
        FsException e = assertThrows(FsException.class, () -> mapped.uidToContainer(0));
        assertEquals(ErrorKind.INVALID, e.kind());
        assertEquals(IdMapper.OVERFLOW_ID, mapped.uidToContainerOrOverflow(0));
    }

    @Test
    void squashReplacesEveryReportedOwner() throws Exception {
        IdMapper squash = IdMapper.of(FuseOptions.builder().squashUid(0).squashGid(7)
                .uidMap(List.of(new FuseOptions.IdRange(0, 100000, 10))).build());
        assertEquals(0, squash.uidToHost(5));
        assertEquals(0, squash.uidToHost(99));
        assertEquals(7, squash.gidToHost(1));
        // squash only changes what is shown; storing still maps
        assertEquals(5, squash.uidToContainer(100005));
    }

    @Test
    void rangesCoverUnsignedIdsAboveTwoToThe31() {
        IdMapper big = new IdMapper(List.of(new FuseOptions.IdRange(0, 3_000_000_000L, 10)), List.of(), null, null);
        assertEquals((int) 3_000_000_005L, big.uidToHost(5));
    }
}
