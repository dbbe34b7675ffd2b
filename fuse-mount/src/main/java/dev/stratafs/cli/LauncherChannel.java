package dev.stratafs.cli;

import dev.stratafs.fuse.jnr.DaemonStdio;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The report pipe of scripts/stratafs, which starts the daemon JVM itself (no parent JVM) and
 * waits on a FIFO given to us as a descriptor: a line {@code LOG path} (where the daemon logs,
 * for the launcher's own messages), then {@code READY}, or {@code ERROR} and the message on the
 * following lines. The launcher exits 0 on READY without waiting for EOF; an ERROR is complete
 * at EOF, which comes when this process exits or {@link #close}s.
 */
final class LauncherChannel implements StartReport {
    private static final Logger LOG = LoggerFactory.getLogger(LauncherChannel.class);
    /** Internal: the descriptor number of the launcher's report pipe. */
    static final String FD_ENV = "STRATAFS_INTERNAL_REPORT_FD";

    private final int fd;
    private final OutputStream out;
    /**
     * Closed once: a second close(2) of the bare descriptor would close whatever file the daemon
     * has opened under that number since (a failure after READY still reaches {@link #failed}).
     */
    private boolean closed;

    private LauncherChannel(int fd, OutputStream out) {
        this.fd = fd;
        this.out = out;
    }

    /** Opens the pipe the launcher passed as descriptor {@code fd} (through /proc, Java cannot adopt a bare fd). */
    static LauncherChannel open(int fd) throws CliException {
        return open(fd, Path.of("/proc/self/fd/" + fd));
    }

    static LauncherChannel open(int fd, Path path) throws CliException {
        try {
            return new LauncherChannel(fd, Files.newOutputStream(path, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new CliException("cannot write to the launcher's report pipe " + path + ": " + MountRunner.message(e), e);
        }
    }

    void logFile(Path log) {
        send("LOG " + log + "\n");
    }

    @Override
    public void ready() {
        send(DaemonChild.READY + "\n");
        close();
    }

    @Override
    public void failed(String message) {
        send(DaemonChild.ERROR + "\n" + message + "\n");
        close();
    }

    /** Closes our copy and the inherited descriptor, so the launcher sees EOF even while we run on. */
    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            // the launcher is gone; nothing to tell
        }
        if (fd > 2) {
            DaemonStdio.close(fd);
        }
    }

    private synchronized void send(String text) {
        if (closed) {
            return; // already reported; the log has the rest
        }
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            // The launcher was interrupted and is gone (EPIPE): it sent us SIGTERM as it went.
            LOG.warn("cannot report to the launcher: {}", e.toString());
        }
    }
}
