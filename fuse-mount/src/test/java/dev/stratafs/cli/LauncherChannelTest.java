package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report the launcher reads line by line (scripts/stratafs, run_daemon), written to a plain file here. */
class LauncherChannelTest {
    @TempDir
    Path tmp;

    @Test
    void readyFollowsTheLogLine() throws Exception {
        Path report = Files.createFile(tmp.resolve("report"));
        LauncherChannel c = LauncherChannel.open(-1, report);
        c.logFile(Path.of("/var/log/stratafs.log"));
        c.ready();
        assertEquals("LOG /var/log/stratafs.log\nREADY\n", Files.readString(report));
    }

    @Test
    void failureIsErrorThenTheWholeMessage() throws Exception {
        Path report = Files.createFile(tmp.resolve("report"));
        LauncherChannel.open(-1, report).failed("cannot open the layers:\nlowerdir /x does not exist");
        assertEquals("ERROR\ncannot open the layers:\nlowerdir /x does not exist\n", Files.readString(report));
    }

    @Test
    void failureAfterReadyIsNotSentAndClosesNothingTwice() throws Exception {
        Path report = Files.createFile(tmp.resolve("report"));
        LauncherChannel c = LauncherChannel.open(-1, report);
        c.ready();
        c.failed("internal error after the mount was live");
        c.close();
        assertEquals("READY\n", Files.readString(report));
    }

    @Test
    void pipeThatCannotBeOpenedIsAUsageError() {
        CliException e = assertThrows(CliException.class, () -> LauncherChannel.open(-1, tmp.resolve("missing/report")));
        assertEquals(true, e.getMessage().startsWith("cannot write to the launcher's report pipe "), e.getMessage());
    }

    @Test
    void launcherFdIsTakenOnlyAsASmallNumber() {
        assertEquals(3, Main.launcherFd(java.util.Map.of(LauncherChannel.FD_ENV, "3")));
        assertEquals(-1, Main.launcherFd(java.util.Map.of(LauncherChannel.FD_ENV, "")));
        assertEquals(-1, Main.launcherFd(java.util.Map.of(LauncherChannel.FD_ENV, "3; rm")));
        assertEquals(-1, Main.launcherFd(java.util.Map.of()));
    }
}
