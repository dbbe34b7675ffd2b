package dev.stratafs.cli;

import java.io.PrintStream;

/**
 * The child half of daemon mode: reports to the waiting parent over its stdout pipe, one line
 * {@code READY}, or {@code ERROR} followed by the message lines. After READY the pipe stays open
 * but unused (closing fd 1 would let a later open(2) reuse it); System.out is pointed at stderr,
 * which the parent opened on the log file.
 */
final class DaemonChild implements MountRunner.Readiness {
    static final String READY = "READY";
    static final String ERROR = "ERROR";

    private final PrintStream channel;

    /** Takes over System.out as the report channel. */
    DaemonChild() {
        this.channel = System.out;
        System.setOut(System.err);
    }

    @Override
    public void ready() {
        channel.println(READY);
        channel.flush();
    }

    void failed(String message) {
        channel.println(ERROR);
        channel.println(message);
        channel.flush();
    }
}
