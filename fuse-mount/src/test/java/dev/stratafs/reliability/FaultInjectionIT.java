package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.stratafs.core.OverlayFs;
import dev.stratafs.core.StackConfig;
import dev.stratafs.fuse.FsBackend;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.RequestGuard;
import dev.stratafs.fuse.Sh;
import dev.stratafs.fuse.mount.MountSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A bug (an unchecked exception) inside a request of the real core, mounted: the caller gets
 * EIO, the guard logs the stack once per kind of failure, and the daemon keeps serving every
 * other request, then this one too once the bug is gone.
 *
 * <pre>
 * lower/bad.txt "bad"   lower/good.txt "good"   lower/dir/inner
 * upper/, work/ empty
 * </pre>
 */
class FaultInjectionIT {
    @TempDir
    Path tmp;
    OverlayFs fs;
    FaultyBackend faulty;
    MountSession session;
    Path mnt;
    ListAppender<ILoggingEvent> logged;
    Logger guardLog;

    @BeforeEach
    void setUp() throws Exception {
        Host.assumeRootAndFuse();
        Path lower = Files.createDirectories(tmp.resolve("lower/dir"));
        Files.writeString(lower.resolve("inner"), "inner");
        Files.writeString(tmp.resolve("lower/bad.txt"), "bad");
        Files.writeString(tmp.resolve("lower/good.txt"), "good");
        Path upper = Files.createDirectory(tmp.resolve("upper"));
        Path work = Files.createDirectory(tmp.resolve("work"));
        mnt = Files.createDirectory(tmp.resolve("mnt"));
        guardLog = (Logger) LoggerFactory.getLogger(RequestGuard.class);
        logged = new ListAppender<>();
        logged.start();
        guardLog.addAppender(logged);
        fs = OverlayFs.open(StackConfig.builder().lower(tmp.resolve("lower")).upper(upper, work).build());
        faulty = new FaultyBackend(FsBackend.of(fs));
        // Kernel caching off: every call of the tests must reach the faulty backend, a repeated
        // stat too, not be answered from the kernel's cache.
        session = MountSession.mount(faulty, mnt, FuseOptions.builder().timeoutSeconds(0).build());
    }

    @AfterEach
    void tearDown() throws Exception {
        if (guardLog == null) return; // skipped
        try {
            if (session != null) session.close();
            if (fs != null) fs.close();
        } finally {
            guardLog.detachAppender(logged);
        }
        assertFalse(Mounts.fuseAt(mnt), "mount left behind");
    }

    private long errors() {
        return logged.list.stream().filter(e -> e.getLevel() == Level.ERROR).count();
    }

    private static void assertEio(Sh.Result r, String what) {
        assertNotEquals(0, r.exit(), what);
        assertTrue(r.err().contains("Input/output error") || r.err().contains("I/O error"), what + ": " + r.err());
    }

    @Test
    void aBugInGetattrAnswersEioLogsOnceAndTheDaemonKeepsServing() throws Exception {
        faulty.arm("/bad.txt", "getattr");
        for (int i = 0; i < 20; i++) assertEio(Sh2.run(30, "stat", mnt.resolve("bad.txt").toString()), "stat");
        assertTrue(session.unexpectedFailures() >= 20);
        assertEquals(1, errors(), "the same bug is logged with its stack once, then counted");
        assertTrue(logged.list.stream().anyMatch(e -> e.getLevel() == Level.ERROR && e.getThrowableProxy() != null
                && e.getThrowableProxy().getMessage().contains("injected bug")), "stack of the bug logged");
        assertEquals("good", Files.readString(mnt.resolve("good.txt")));
        Files.writeString(mnt.resolve("new.txt"), "new");
        assertEquals(List.of("bad.txt", "dir", "good.txt", "new.txt"), Sh2.sh(30, "ls " + mnt).out().lines().toList());
        faulty.disarm();
        assertEquals("bad", Files.readString(mnt.resolve("bad.txt")));
    }

    @Test
    void bugsInDataAndNamespaceRequestsAnswerEioAndLeaveTheStackConsistent() throws Exception {
        faulty.arm("/bad.txt", "open", "unlink", "rename", "setxattr", "chmod", "truncate");
        assertEio(Sh2.run(30, "cat", mnt.resolve("bad.txt").toString()), "open");
        assertEio(Sh2.run(30, "rm", "-f", mnt.resolve("bad.txt").toString()), "unlink");
        assertEio(Sh2.run(30, "mv", mnt.resolve("bad.txt").toString(), mnt.resolve("moved").toString()), "rename");
        assertEio(Sh2.run(30, "setfattr", "-n", "user.k", "-v", "v", mnt.resolve("bad.txt").toString()), "setxattr");
        assertEio(Sh2.run(30, "chmod", "600", mnt.resolve("bad.txt").toString()), "chmod");
        faulty.arm("/dir", "readdir");
        assertEio(Sh2.run(30, "ls", mnt.resolve("dir").toString()), "readdir");
        faulty.arm("/good.txt", "read", "write");
        assertEio(Sh2.run(30, "cat", mnt.resolve("good.txt").toString()), "read");
        assertEio(Sh2.sh(30, "echo x >> " + mnt.resolve("good.txt")), "write");
        assertEquals(8, errors(), "one log with stack per distinct bug");

        faulty.disarm();
        assertEquals("bad", Files.readString(mnt.resolve("bad.txt")), "failed requests changed nothing");
        assertFalse(Files.exists(mnt.resolve("moved")));
        assertEquals(List.of("inner"), Trees.names(mnt.resolve("dir")));
        Sh2.sh(30, "echo x >> " + mnt.resolve("good.txt")).requireOk();
        assertEquals("goodx\n", Files.readString(mnt.resolve("good.txt")));
        Sh2.run(30, "mv", mnt.resolve("bad.txt").toString(), mnt.resolve("moved").toString()).requireOk();
        assertEquals("bad", Files.readString(mnt.resolve("moved")));
        assertTrue(session.isRunning());
    }
}
