package dev.stratafs.fuse.jnr;

import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * How long the worker that reads /dev/fuse polls for the next request before it blocks in
 * read(2) ({@code busy_poll=}). A reader asleep in read(2) is woken by the kernel when a request
 * comes, and the client (tar, cat, a package manager) waits for that wake-up on every request.
 * Where idle CPUs halt, as the vCPUs of most VMs do, a wake-up costs a trip through the
 * hypervisor. A reader still polling when the next request arrives reads it at once.
 *
 * <p>The window adapts as the kernel's guest halt-polling does (Documentation/virt/
 * guest-halt-polling.rst): after a block that ended within the maximum, polling longer would
 * have caught the request, so the window doubles (from {@link #GROW_START_NANOS}); after a
 * block longer than the maximum it halves, so an idle mount soon stops polling. A request
 * caught while polling leaves it as it is.
 *
 * <p>Used by the one worker that holds the reading at a time; the pool's semaphore orders the
 * hand-over, so the fields need no locking of their own.
 */
final class SpinWindow {
    /** The window a short block grows a closed window to (guest_halt_poll_grow_start is 50 µs). */
    static final long GROW_START_NANOS = 10_000;

    private final long maxNanos;
    private final LongSupplier clock;
    /** The current window, 0 to {@link #maxNanos}. */
    private long window;
    private long start;
    private boolean caught;

    /** @param maxNanos the longest poll; 0 turns polling off */
    SpinWindow(long maxNanos) {
        this(maxNanos, System::nanoTime);
    }

    SpinWindow(long maxNanos, LongSupplier clock) {
        if (maxNanos < 0) throw new IllegalArgumentException("negative poll window: " + maxNanos);
        this.maxNanos = maxNanos;
        this.clock = clock;
        this.window = maxNanos;
    }

    /**
     * The window of {@code busy_poll=MICROS}. With one CPU it stays closed: the poll would only
     * keep the client, which has to send the request, off the CPU.
     */
    static SpinWindow of(int micros) {
        return new SpinWindow(maxNanos(micros, java.lang.Runtime.getRuntime().availableProcessors()));
    }

    static long maxNanos(int micros, int cpus) {
        return cpus < 2 ? 0 : micros * 1_000L;
    }

    /**
     * Polls {@code waiting} for up to the current window, before a read of /dev/fuse: true once
     * a request waits (the read will not block), false when the window ran out or is closed.
     */
    boolean await(BooleanSupplier waiting) {
        if (maxNanos == 0) return false;
        start = clock.getAsLong();
        caught = false;
        if (window == 0) return false;
        long end = start + window;
        do {
            if (waiting.getAsBoolean()) {
                caught = true;
                return true;
            }
            Thread.onSpinWait();
        } while (clock.getAsLong() - end < 0);
        return false;
    }

    /** After the read that followed {@link #await}: adapts the window to how long it blocked. */
    void received() {
        if (maxNanos == 0 || caught) return;
        long waited = clock.getAsLong() - start;
        if (waited <= maxNanos) {
            window = Math.min(maxNanos, Math.max(GROW_START_NANOS, window * 2));
        } else {
            window /= 2;
            if (window < GROW_START_NANOS) window = 0;
        }
    }

    /** The current window in nanoseconds (tests). */
    long window() {
        return window;
    }
}
