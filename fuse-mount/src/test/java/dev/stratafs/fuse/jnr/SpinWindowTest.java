package dev.stratafs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The adaptive poll of the /dev/fuse reader, on a fake clock: each poll of "is a request
 * waiting" advances it by one microsecond, and a test sets how long the read after a missed
 * window blocked.
 */
class SpinWindowTest {
    private static final long US = 1_000;
    private long now;
    private int polls;

    private SpinWindow window(long maxNanos) {
        return new SpinWindow(maxNanos, () -> now);
    }

    /** A request arrives after {@code afterPolls} polls (never, if negative). */
    private BooleanSupplier requestAfter(int afterPolls) {
        polls = 0;
        return () -> {
            now += US;
            return afterPolls >= 0 && ++polls > afterPolls;
        };
    }

    /** One read: poll, then (when the poll missed) block for {@code blockedNanos} in all. */
    private boolean read(SpinWindow w, BooleanSupplier waiting, long blockedNanos) {
        long start = now;
        boolean caught = w.await(waiting);
        if (!caught) now = start + blockedNanos;
        w.received();
        return caught;
    }

    @Test
    void aRequestArrivingWithinTheWindowIsCaughtWithoutBlockingAndLeavesTheWindowAlone() {
        SpinWindow w = window(100 * US);
        assertTrue(read(w, requestAfter(30), 0));
        assertEquals(30, polls - 1, "polled until the request came, then stopped");
        assertEquals(100 * US, w.window());
    }

    @Test
    void aWindowThatRunsOutStopsPollingAtItsEnd() {
        SpinWindow w = window(100 * US);
        long start = now;
        assertFalse(w.await(requestAfter(-1)));
        assertEquals(100 * US, now - start);
    }

    @Test
    void aLongIdleHalvesTheWindowUntilItCloses() {
        SpinWindow w = window(100 * US);
        read(w, requestAfter(-1), 5_000 * US);
        assertEquals(50 * US, w.window());
        read(w, requestAfter(-1), 5_000 * US);
        assertEquals(25 * US, w.window());
        read(w, requestAfter(-1), 5_000 * US);
        assertEquals(12_500, w.window());
        read(w, requestAfter(-1), 5_000 * US);
        assertEquals(0, w.window(), "below the grow start it closes");
        long start = now;
        assertFalse(w.await(requestAfter(0)), "a closed window does not poll, even with a request waiting");
        assertEquals(start, now);
    }

    @Test
    void aBlockShorterThanTheMaximumReopensAndDoublesTheWindow() {
        SpinWindow w = window(100 * US);
        for (int i = 0; i < 4; i++) read(w, requestAfter(-1), 5_000 * US);
        assertEquals(0, w.window());
        read(w, requestAfter(-1), 40 * US);
        assertEquals(SpinWindow.GROW_START_NANOS, w.window());
        read(w, requestAfter(-1), 40 * US);
        assertEquals(20 * US, w.window());
        read(w, requestAfter(-1), 60 * US);
        assertEquals(40 * US, w.window());
        read(w, requestAfter(-1), 90 * US);
        assertEquals(80 * US, w.window());
        read(w, requestAfter(-1), 99 * US);
        assertEquals(100 * US, w.window(), "never above the maximum");
    }

    @Test
    void aZeroMaximumNeverPolls() {
        SpinWindow w = window(0);
        assertFalse(w.await(requestAfter(0)));
        assertEquals(0, polls);
        w.received();
        assertEquals(0, w.window());
    }

    @Test
    void oneCpuOrZeroMicrosecondsTurnPollingOff() {
        assertEquals(0, SpinWindow.maxNanos(100, 1));
        assertEquals(0, SpinWindow.maxNanos(0, 8));
        assertEquals(100 * US, SpinWindow.maxNanos(100, 2));
    }

    @Test
    void aNegativeMaximumIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SpinWindow(-1));
    }
}
