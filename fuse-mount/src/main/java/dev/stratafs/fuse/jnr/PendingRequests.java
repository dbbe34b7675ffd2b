package dev.stratafs.fuse.jnr;

import java.nio.ByteOrder;
import java.util.function.BooleanSupplier;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;

/**
 * Whether a request waits in the kernel's queue of one /dev/fuse descriptor: poll(2) for POLLIN
 * with a zero timeout. The kernel's fuse_dev_poll reports POLLIN while a request, interrupt or
 * forget is pending, and POLLERR once the connection is gone; either answers true, so a worker
 * pool hands the reading on and the next reader sees it. A failed poll answers true as well:
 * handing on is always safe, only slower.
 */
final class PendingRequests implements BooleanSupplier {
    /** libc's poll(2). Public only because jnr-ffi implements it in a class loader of its own. */
    public interface Libc {
        int poll(@In @Out int[] fds, @size_t long nfds, int timeout);
    }

    private static final class Lib {
        static final Libc INSTANCE = NativeLibs.load(Libc.class, "c", "libc.so.6");
    }

    private static final int POLLIN = 0x1;
    /**
     * struct pollfd { int fd; short events; short revents; } as two ints: events is the first
     * short of the second int, its low half on a little-endian machine.
     */
    private static final int EVENTS_WORD =
            ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? POLLIN : POLLIN << 16;

    private final Libc libc;
    private final int fd;

    PendingRequests(int fd) {
        this(Lib.INSTANCE, fd);
    }

    PendingRequests(Libc libc, int fd) {
        this.libc = libc;
        this.fd = fd;
    }

    /** Thread-safe: each call polls its own struct. */
    @Override
    public boolean getAsBoolean() {
        int[] pollfd = {fd, EVENTS_WORD};
        return libc.poll(pollfd, 1, 0) != 0;
    }
}
