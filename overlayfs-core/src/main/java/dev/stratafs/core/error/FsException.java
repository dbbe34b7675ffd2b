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
        super(message);
        this.kind = kind;
    }

    public FsException(ErrorKind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public ErrorKind kind() {
        return kind;
    }

    public static FsException of(ErrorKind kind, String what, Object path) {
        return new FsException(kind, what + ": " + path);
    }
}
