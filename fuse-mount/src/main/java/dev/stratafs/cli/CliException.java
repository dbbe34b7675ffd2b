package dev.stratafs.cli;

/**
 * A failure the command line reports as {@code stratafs: MESSAGE} on stderr with exit status 1.
 * The message is written for the person (or engine) that ran the command, without a stack trace.
 */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    CliException(String message) {
        super(message);
    }

    CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
