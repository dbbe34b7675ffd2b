package dev.stratafs.core.error;

import java.io.IOException;

/**
 * A filesystem operation failed for a reason a caller can act on. Carries a portable
 * {@link ErrorKind}; the message names the operation and path for logs and command-line users.
 */
public final class FsException extends IOException {
    private static final long serialVersionUID = 1L;
    private final ErrorKind kind;

    public FsException(ErrorKind kind, String message) {
        super(stackless(kind, message));
        this.kind = kind;
    }

    public FsException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /**
     * Answers such as "no such file" are ordinary and frequent (PATH and library searches miss
     * most of the time); capturing a stack for each cost ~15% of a negative lookup. Marks the
     * exception being constructed on this thread as one that needs no stack.
     */
    private static final ThreadLocal<Boolean> SKIP_STACK = new ThreadLocal<>();

    private static String stackless(ErrorKind kind, String message) {
        if (kind == ErrorKind.NOT_FOUND || kind == ErrorKind.EXISTS || kind == ErrorKind.NO_ATTRIBUTE
                || kind == ErrorKind.NOT_EMPTY) {
            SKIP_STACK.set(Boolean.TRUE);
        }
        return message;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        if (SKIP_STACK.get() != null) {
            SKIP_STACK.remove();
            return this;
        }
        return super.fillInStackTrace();
    }

    public ErrorKind kind() {
        return kind;
    }

    public static FsException of(ErrorKind kind, String what, Object path) {
        return new FsException(kind, what + ": " + path);
    }
}
