package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.FuseOptions;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FuseArgsTest {
    private static List<String> words(List<String> args) {
        assertEquals(2, args.size(), args.toString());
        assertEquals("-o", args.get(0));
        return Arrays.asList(args.get(1).split("(?<!\\\\),"));
    }

    @Test
    void defaultsGiveTheFixedOptionSet() {
        List<String> args = FuseArgs.of(FuseOptions.builder().build(), false);
        assertEquals(List.of("-o", "use_ino,atomic_o_trunc,big_writes,max_write=131072,entry_timeout=1000000000,"
                + "attr_timeout=1000000000,negative_timeout=1000000000,auto_cache,ac_attr_timeout=0,fsname=stratafs,"
                + "subtype=stratafs"), args);
    }

    @Test
    void neverSingleThreadedNorDebugInOptions() {
        List<String> args = FuseArgs.of(FuseOptions.builder().debug(true).build(), false);
        assertFalse(args.contains("-s"));
        assertFalse(args.contains("-d")); // -d goes through jnr-fuse's debug flag
    }

    @Test
    void permissionAndSharingFlagsFollowOptions() {
        List<String> w = words(FuseArgs.of(FuseOptions.builder().defaultPermissions(true).allowOther(true).build(), false));
        assertTrue(w.contains("default_permissions"));
        assertTrue(w.contains("allow_other"));
        List<String> none = words(FuseArgs.of(FuseOptions.builder().build(), false));
        assertFalse(none.contains("default_permissions"));
        assertFalse(none.contains("allow_other"));
    }

    @Test
    void timeoutsAreDecimalSeconds() {
        List<String> w = words(FuseArgs.of(FuseOptions.builder().timeoutSeconds(0.25).build(), false));
        assertTrue(w.contains("entry_timeout=0.25"));
        assertTrue(w.contains("attr_timeout=0.25"));
        assertTrue(w.contains("negative_timeout=0.25"));
        assertEquals("0", FuseArgs.seconds(0));
        assertEquals("1000000", FuseArgs.seconds(1e6));
    }

    @Test
    void readOnlyBackendMountsRo() {
        assertTrue(words(FuseArgs.of(FuseOptions.builder().build(), true)).contains("ro"));
        assertFalse(words(FuseArgs.of(FuseOptions.builder().build(), false)).contains("ro"));
    }

    @Test
    void fsnameCommasAndBackslashesAreEscaped() {
        List<String> w = words(FuseArgs.of(FuseOptions.builder().fsName("a,b\\c").build(), false));
        assertTrue(w.contains("fsname=a\\,b\\\\c"), w.toString());
    }

    @Test
    void extraOptionsComeLast() {
        List<String> w = words(FuseArgs.of(FuseOptions.builder().extraFuseOption("max_readahead=65536")
                .extraFuseOption("noatime").build(), false));
        assertEquals(List.of("max_readahead=65536", "noatime"), w.subList(w.size() - 2, w.size()));
    }
}
