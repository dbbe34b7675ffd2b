package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.FuseOptions.IdRange;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class MountOptionsParserTest {
    private static final Path CWD = Path.of("/var/lib/containers/storage/overlay");
    private static final String G = "/var/lib/containers/storage";

    private static MountRequest parse(boolean root, String... args) throws CliException {
        return new MountOptionsParser(root, CWD).parse(List.of(args));
    }

    private static MountRequest parse(String... args) throws CliException {
        return parse(false, args);
    }

    @Test
    void podmanRunDataGivesLayersUpperWorkAndVolatile() throws CliException {
        // what podman passes for `podman run --rm`: two layers, upper and work, volatile
        MountRequest r = parse("-o", "lowerdir=" + G + "/overlay/l/ABC:" + G + "/overlay/l/DEF,upperdir=" + G
                + "/overlay/123/diff,workdir=" + G + "/overlay/123/work,volatile", G + "/overlay/123/merged");
        assertEquals(List.of(Path.of(G + "/overlay/l/ABC"), Path.of(G + "/overlay/l/DEF")), r.stack().lowers());
        assertEquals(Optional.of(Path.of(G + "/overlay/123/diff")), r.stack().upper());
        assertEquals(Optional.of(Path.of(G + "/overlay/123/work")), r.stack().work());
        assertFalse(r.stack().fsync());
        assertEquals(Path.of(G + "/overlay/123/merged"), r.mountPoint());
        assertFalse(r.foreground());
        assertEquals(List.of(), r.warnings());
    }

    @Test
    void podmanReadOnlyDataHasOnlyLowers() throws CliException {
        MountRequest r = parse("-o", "lowerdir=" + G + "/overlay/l/A", "/m");
        assertTrue(r.stack().readOnly());
        assertTrue(r.stack().fsync());
    }

    @Test
    void relativeLayerPathsResolveAgainstTheWorkingDirectory() throws CliException {
        // containers/storage passes l/ID relative to its overlay dir when the data gets long
        MountRequest r = parse("-o", "lowerdir=l/A:l/B,upperdir=123/diff,workdir=123/work", "123/merged");
        assertEquals(List.of(CWD.resolve("l/A"), CWD.resolve("l/B")), r.stack().lowers());
        assertEquals(Optional.of(CWD.resolve("123/diff")), r.stack().upper());
        assertEquals(CWD.resolve("123/merged"), r.mountPoint());
    }

    @Test
    void podmanExtrasAreApplied() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/l,upperdir=/u,workdir=/w,"
                + "context=\"system_u:object_r:container_file_t:s0:c1,c2\",uidmapping=0:100000:65536,"
                + "gidmapping=0:100000:1:1:200000:65535,squash_to_uid=5,squash_to_gid=6,xattr_permissions=2,nodev", "/m");
        assertEquals(List.of(new IdRange(0, 100000, 65536)), r.fuse().uidMap());
        assertEquals(List.of(new IdRange(0, 100000, 1), new IdRange(1, 200000, 65535)), r.fuse().gidMap());
        assertEquals(5, r.fuse().squashUid());
        assertEquals(6, r.fuse().squashGid());
        assertEquals(2, r.fuse().xattrPermissions());
        assertEquals(List.of(), r.warnings());
        assertEquals(List.of("ignoring context=system_u:object_r:container_file_t:s0:c1,c2"), r.notes());
    }

    @Test
    void repeatedDashOAccumulatesAndLaterWordsWin() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a", "-otimeout=2.5", "-o", "lowerdir=/b:/c,static_nlink,noacl", "/m");
        assertEquals(List.of(Path.of("/b"), Path.of("/c")), r.stack().lowers());
        assertEquals(2.5, r.fuse().timeoutSeconds());
        assertTrue(r.fuse().staticNlink());
        assertTrue(r.fuse().noAcl());
    }

    @Test
    void theLibfuse3EngineIsTheDefaultAndHighlevelSelectsLibfuse2() throws CliException {
        assertTrue(parse("-o", "lowerdir=/a", "/m").fuse().lowLevel());
        assertTrue(parse("-o", "lowerdir=/a,lowlevel", "/m").fuse().lowLevel());
        assertFalse(parse("-o", "lowerdir=/a,highlevel", "/m").fuse().lowLevel());
        assertFalse(parse("-o", "lowerdir=/a,lowlevel=0", "/m").fuse().lowLevel());
        assertTrue(parse("-o", "lowerdir=/a,highlevel,lowlevel", "/m").fuse().lowLevel());
    }

    @Test
    void escapedColonAndCommaStayInPaths() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a\\:1:/b\\,2,upperdir=/u\\,x,workdir=/w", "/m");
        assertEquals(List.of(Path.of("/a:1"), Path.of("/b,2")), r.stack().lowers());
        assertEquals(Optional.of(Path.of("/u,x")), r.stack().upper());
    }

    @Test
    void flagsMayClusterAndFollowTheMountpoint() throws CliException {
        MountRequest r = parse("/m", "-fo", "lowerdir=/a");
        assertTrue(r.foreground());
        assertFalse(r.debug());
        assertEquals(Path.of("/m"), r.mountPoint());
    }

    @Test
    void dashDMeansDebugAndForeground() throws CliException {
        MountRequest r = parse("-d", "-o", "lowerdir=/a", "/m");
        assertTrue(r.debug());
        assertTrue(r.foreground());
        assertTrue(r.fuse().debug());
    }

    @Test
    void debugWordDoesNotImplyForeground() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,debug", "/m");
        assertTrue(r.debug());
        assertFalse(r.foreground());
    }

    @Test
    void squashToRootSquashesBothIds() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,squash_to_root", "/m");
        assertEquals(0, r.fuse().squashUid());
        assertEquals(0, r.fuse().squashGid());
    }

    @Test
    void defaultsWhenNotRoot() throws CliException {
        MountRequest r = parse(false, "-o", "lowerdir=/a", "/m");
        assertFalse(r.fuse().allowOther());
        assertFalse(r.fuse().defaultPermissions());
        assertEquals(1e9, r.fuse().timeoutSeconds());
        assertNull(r.fuse().squashUid());
        assertEquals(Optional.empty(), r.logFile());
        assertEquals("stratafs", r.fuse().fsName());
    }

    @Test
    void rootGetsAllowOtherAndDefaultPermissions() throws CliException {
        MountRequest r = parse(true, "-o", "lowerdir=/a", "/m");
        assertTrue(r.fuse().allowOther());
        assertTrue(r.fuse().defaultPermissions());
    }

    @Test
    void rootMayTurnTheDefaultsOff() throws CliException {
        MountRequest r = parse(true, "-o", "lowerdir=/a,allow_other=0,default_permissions=0", "/m");
        assertFalse(r.fuse().allowOther());
        assertFalse(r.fuse().defaultPermissions());
    }

    @Test
    void nonRootMayAskForAllowOther() throws CliException {
        MountRequest r = parse(false, "-o", "lowerdir=/a,allow_other,default_permissions", "/m");
        assertTrue(r.fuse().allowOther());
        assertTrue(r.fuse().defaultPermissions());
    }

    @Test
    void writebackIsOffUnlessAskedAndTakesFuseOverlayfsSpelling() throws CliException {
        assertFalse(parse("-o", "lowerdir=/a", "/m").fuse().writeback());
        assertTrue(parse("-o", "lowerdir=/a,writeback", "/m").fuse().writeback());
        assertTrue(parse("-o", "lowerdir=/a,writeback=1", "/m").fuse().writeback());
        assertFalse(parse("-o", "lowerdir=/a,writeback=1,writeback=0", "/m").fuse().writeback());
        assertThrows(CliException.class, () -> parse("-o", "lowerdir=/a,writeback=yes", "/m"));
    }

    @Test
    void writebackWithThePathEngineIsIgnoredWithAWarning() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,writeback=1,highlevel", "/m");
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("writeback")), r.warnings().toString());
    }

    @Test
    void passthroughIsOnUnlessTurnedOff() throws CliException {
        assertTrue(parse("-o", "lowerdir=/a", "/m").fuse().passthrough());
        assertFalse(parse("-o", "lowerdir=/a,passthrough=0", "/m").fuse().passthrough());
        assertTrue(parse("-o", "lowerdir=/a,passthrough=0,passthrough", "/m").fuse().passthrough());
        assertThrows(CliException.class, () -> parse("-o", "lowerdir=/a,passthrough=on", "/m"));
    }

    @Test
    void busyPollIsAHundredMicrosecondsUnlessSetAndZeroTurnsItOff() throws CliException {
        assertEquals(100, parse("-o", "lowerdir=/a", "/m").fuse().busyPollMicros());
        assertEquals(0, parse("-o", "lowerdir=/a,busy_poll=0", "/m").fuse().busyPollMicros());
        assertEquals(10_000, parse("-o", "lowerdir=/a,busy_poll=10000", "/m").fuse().busyPollMicros());
    }

    @Test
    void passthroughAskedWhereItCannotApplyIsIgnoredWithAWarning() throws CliException {
        assertTrue(parse("-o", "lowerdir=/a,writeback=1", "/m").warnings().isEmpty(), "the default says nothing");
        MountRequest withWriteback = parse("-o", "lowerdir=/a,writeback=1,passthrough=1", "/m");
        assertTrue(withWriteback.warnings().stream().anyMatch(w -> w.contains("ignoring passthrough")),
                withWriteback.warnings().toString());
        MountRequest pathEngine = parse("-o", "lowerdir=/a,highlevel,passthrough=1", "/m");
        assertTrue(pathEngine.warnings().stream().anyMatch(w -> w.contains("ignoring passthrough")),
                pathEngine.warnings().toString());
    }

    @Test
    void roIgnoresUpperAndWork() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,upperdir=/u,workdir=/w,ro", "/m");
        assertTrue(r.stack().readOnly());
        assertEquals(Optional.empty(), r.stack().work());
    }

    @Test
    void rwAfterRoRestoresUpper() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,upperdir=/u,workdir=/w,ro,rw", "/m");
        assertFalse(r.stack().readOnly());
    }

    @Test
    void fsyncZeroAndOneSwitchSync() throws CliException {
        assertFalse(parse("-o", "lowerdir=/a,fsync=0", "/m").stack().fsync());
        assertTrue(parse("-o", "lowerdir=/a,volatile,fsync=1", "/m").stack().fsync());
    }

    @Test
    void metacopyIsOffUnlessTurnedOnAsOnTheKernelOverlay() throws CliException {
        assertFalse(parse("-o", "lowerdir=/a,upperdir=/u,workdir=/w", "/m").stack().metacopy());
        assertTrue(parse("-o", "lowerdir=/a,upperdir=/u,workdir=/w,metacopy=on", "/m").stack().metacopy());
        assertFalse(parse("-o", "lowerdir=/a,upperdir=/u,workdir=/w,metacopy=on,metacopy=off", "/m").stack().metacopy());
    }

    @Test
    void logAndFsnameAreTaken() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,log=logs/s.log,fsname=ctr1", "/m");
        assertEquals(Optional.of(CWD.resolve("logs/s.log")), r.logFile());
        assertEquals("ctr1", r.fuse().fsName());
    }

    @Test
    void mountFlagsAreAcceptedSilently() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,rw,dev,nodev,suid,nosuid,exec,noexec,atime,noatime,relatime", "/m");
        assertEquals(List.of(), r.warnings());
        assertEquals(List.of(), r.notes());
    }

    @Test
    void unknownWordsWarnAndAreIgnored() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,frobnicate,plugins=x", "/m");
        assertEquals(List.of("ignoring unknown option 'frobnicate'", "ignoring unknown option 'plugins=x'"), r.warnings());
    }

    @Test
    void workdirWithoutUpperWarns() throws CliException {
        MountRequest r = parse("-o", "lowerdir=/a,workdir=/w", "/m");
        assertTrue(r.stack().readOnly());
        assertEquals(List.of("ignoring workdir= without upperdir="), r.warnings());
    }

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of(List.of("/m"), "missing lowerdir= option: at least one lower layer is required"),
                Arguments.of(List.of("-o", "upperdir=/u,workdir=/w", "/m"), "missing lowerdir= option: at least one lower layer is required"),
                Arguments.of(List.of("-o", "lowerdir=/a,upperdir=/u", "/m"), "upperdir= needs workdir= as well"),
                Arguments.of(List.of("-o", "lowerdir=/a"), "missing mountpoint (see stratafs --help)"),
                Arguments.of(List.of("-o", "lowerdir=/a", "/m", "/n"), "unexpected argument '/n': only one mountpoint is allowed"),
                Arguments.of(List.of("-o"), "option -o needs an argument"),
                Arguments.of(List.of("-x", "/m"), "unknown option '-x' (see stratafs --help)"),
                Arguments.of(List.of("--frob", "/m"), "unknown option '--frob' (see stratafs --help)"),
                Arguments.of(List.of("-o", "lowerdir=", "/m"), "option lowerdir= needs a value"),
                Arguments.of(List.of("-o", "lowerdir=/a::/b", "/m"), "empty layer path in lowerdir='/a::/b'"),
                Arguments.of(List.of("-o", "lowerdir=/a,timeout=abc", "/m"), "bad value for timeout: 'abc' (expected seconds >= 0, e.g. 1.5)"),
                Arguments.of(List.of("-o", "lowerdir=/a,timeout=-1", "/m"), "bad value for timeout: '-1' (expected seconds >= 0, e.g. 1.5)"),
                Arguments.of(List.of("-o", "lowerdir=/a,timeout=NaN", "/m"), "bad value for timeout: 'NaN' (expected seconds >= 0, e.g. 1.5)"),
                Arguments.of(List.of("-o", "lowerdir=/a,fsync=2", "/m"), "bad value for fsync: '2' (expected 0 or 1)"),
                Arguments.of(List.of("-o", "lowerdir=/a,metacopy=1", "/m"), "bad value for metacopy: '1' (expected on or off)"),
                Arguments.of(List.of("-o", "lowerdir=/a,metacopy", "/m"), "option metacopy= needs a value"),
                Arguments.of(List.of("-o", "lowerdir=/a,busy_poll=-5", "/m"), "bad value for busy_poll: '-5' (expected microseconds, 0 to 10000; 0 turns polling off)"),
                Arguments.of(List.of("-o", "lowerdir=/a,busy_poll=10001", "/m"), "bad value for busy_poll: '10001' (expected microseconds, 0 to 10000; 0 turns polling off)"),
                Arguments.of(List.of("-o", "lowerdir=/a,busy_poll=1e3", "/m"), "bad value for busy_poll: '1e3' (expected microseconds, 0 to 10000; 0 turns polling off)"),
                Arguments.of(List.of("-o", "lowerdir=/a,busy_poll", "/m"), "option busy_poll= needs a value"),
                Arguments.of(List.of("-o", "lowerdir=/a,squash_to_uid=-1", "/m"), "bad value for squash_to_uid: '-1' (expected a non-negative integer)"),
                Arguments.of(List.of("-o", "lowerdir=/a,squash_to_gid=x", "/m"), "bad value for squash_to_gid: 'x' (expected a non-negative integer)"),
                Arguments.of(List.of("-o", "lowerdir=/a,squash_to_uid=3000000000", "/m"), "bad value for squash_to_uid: '3000000000' (id too large)"),
                Arguments.of(List.of("-o", "lowerdir=/a,xattr_permissions=3", "/m"), "bad value for xattr_permissions: '3' (expected 0, 1 or 2)"),
                Arguments.of(List.of("-o", "lowerdir=/a,uidmapping=0:1000", "/m"), "bad uidmapping '0:1000': expected CONTAINER:HOST:SIZE[:CONTAINER:HOST:SIZE...]"),
                Arguments.of(List.of("-o", "lowerdir=/a,gidmapping=0:a:1", "/m"), "bad value for gidmapping: 'a' (expected a non-negative integer)"),
                Arguments.of(List.of("-o", "lowerdir=/a,uidmapping=0:1000:0", "/m"),
                        "bad uidmapping range '0:1000:0': size must be >= 1 and ids must stay below 4294967295"),
                Arguments.of(List.of("-o", "lowerdir=/a,uidmapping=0:4294967290:10", "/m"),
                        "bad uidmapping range '0:4294967290:10': size must be >= 1 and ids must stay below 4294967295"),
                Arguments.of(List.of("-o", "lowerdir=/a,noacl=yes", "/m"), "option noacl takes no value (got 'yes')"),
                Arguments.of(List.of("-o", "lowerdir=/a,context=\"x", "/m"), "unterminated quote in options 'lowerdir=/a,context=\"x'"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("errors")
    void badCommandLinesGiveClearErrors(List<String> args, String message) {
        CliException e = assertThrows(CliException.class, () -> new MountOptionsParser(false, CWD).parse(args));
        assertEquals(message, e.getMessage());
    }
}
