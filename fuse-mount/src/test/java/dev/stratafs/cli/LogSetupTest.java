package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LogSetupTest {
    @Test
    void logOptionBeatsEnvironment() {
        assertEquals(Path.of("/x.log"), LogSetup.daemonLogFile(Optional.of(Path.of("/x.log")), Map.of("STRATAFS_LOG", "/y.log"), 0));
    }

    @Test
    void environmentBeatsDefaults() {
        assertEquals(Path.of("/y.log"), LogSetup.daemonLogFile(Optional.empty(), Map.of("STRATAFS_LOG", "/y.log"), 0));
    }

    @Test
    void rootDefaultsToVarLog() {
        assertEquals(Path.of("/var/log/stratafs.log"), LogSetup.daemonLogFile(Optional.empty(), Map.of(), 0));
    }

    @Test
    void usersDefaultToRuntimeDirThenTmp() {
        assertEquals(Path.of("/run/user/1000/stratafs.log"),
                LogSetup.daemonLogFile(Optional.empty(), Map.of("XDG_RUNTIME_DIR", "/run/user/1000"), 1000));
        assertEquals(Path.of("/tmp/stratafs-1000.log"), LogSetup.daemonLogFile(Optional.empty(), Map.of(), 1000));
    }
}
