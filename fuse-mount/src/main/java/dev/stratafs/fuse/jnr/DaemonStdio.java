package dev.stratafs.fuse.jnr;

import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_APPEND;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_CLOEXEC;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_CREAT;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_RDWR;
import static dev.stratafs.core.nat.NativeOs.OpenFlags.O_WRONLY;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What daemon(3) does to a process's standard descriptors, for a JVM that cannot fork: stdin and
 * stdout onto /dev/null, stderr onto the log file (appended), so that the caller that started us
 * (podman reads the mount program's stderr until EOF) stops seeing them, and JVM or libfuse
 * messages still land in the log. {@link System#out} and {@link System#err} keep writing to fds 1
 * and 2, now the new files.
 */
public final class DaemonStdio {
    /** libc's open(2), dup2(2) and close(2). Public only because jnr-ffi implements it in a class loader of its own. */
    public interface Libc {
        int open(String path, int flags, int mode);

        int dup2(int oldfd, int newfd);

        int close(int fd);
    }

    private static final class Lib {
        static final Libc INSTANCE = NativeLibs.load(Libc.class, "c", "libc.so.6");
    }

    private DaemonStdio() {}

    /** Points fds 0 and 1 at /dev/null and fd 2 at {@code log}, opened for appending (created 0644). */
    public static void detach(Path log) throws IOException {
        Libc libc = Lib.INSTANCE;
        int nul = libc.open("/dev/null", O_RDWR | O_CLOEXEC, 0);
        if (nul < 0) {
            throw new IOException("cannot open /dev/null");
        }
        int err = libc.open(log.toString(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        try {
            if (err < 0) {
                throw new IOException("cannot open " + log + " for appending");
            }
            // dup2 clears FD_CLOEXEC on the new descriptor: 0-2 stay open across exec, as they should.
            if (libc.dup2(nul, 0) < 0 || libc.dup2(nul, 1) < 0 || libc.dup2(err, 2) < 0) {
                throw new IOException("dup2 onto the standard descriptors failed");
            }
        } finally {
            libc.close(nul);
            if (err >= 0) {
                libc.close(err);
            }
        }
    }

    /** Closes a descriptor this process inherited (the launcher's report pipe); errors are ignored. */
    public static void close(int fd) {
        Lib.INSTANCE.close(fd);
    }
}
