package dev.stratafs.fuse.jnr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import org.junit.jupiter.api.Test;

/** The poll behind the worker pool's hand-on, on a pipe standing in for /dev/fuse. */
class PendingRequestsTest {
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();

    @Test
    void anEmptyPipeHasNothingWaitingAndOneWithBytesHas() {
        int[] pipe = new int[2];
        assertEquals(0, POSIX.pipe(pipe));
        try {
            PendingRequests waiting = new PendingRequests(pipe[0]);
            assertFalse(waiting.getAsBoolean(), "nothing written yet");
            assertEquals(1, POSIX.write(pipe[1], new byte[] {7}, 1));
            assertTrue(waiting.getAsBoolean(), "a byte waits");
            assertTrue(waiting.getAsBoolean(), "polling reads nothing: it still waits");
            assertEquals(1, POSIX.read(pipe[0], new byte[1], 1));
            assertFalse(waiting.getAsBoolean(), "read again");
        } finally {
            POSIX.close(pipe[0]);
            POSIX.close(pipe[1]);
        }
    }

    @Test
    void aClosedConnectionCountsAsWaitingSoTheNextReaderSeesTheEnd() {
        // The kernel answers POLLERR once the FUSE connection is gone; a pipe whose writer
        // closed answers POLLHUP.
        int[] pipe = new int[2];
        assertEquals(0, POSIX.pipe(pipe));
        try {
            POSIX.close(pipe[1]);
            assertTrue(new PendingRequests(pipe[0]).getAsBoolean());
        } finally {
            POSIX.close(pipe[0]);
        }
    }

    @Test
    void aFailedPollCountsAsWaiting() {
        // Handing on is always safe, only slower.
        assertTrue(new PendingRequests((fds, nfds, timeout) -> -1, 0).getAsBoolean());
    }
}
