package dev.stratafs.core;

/**
 * Tells whoever runs core calls on a thread that a call is about to do long work: copy a file's
 * bytes, wait for the disk in an fsync or a read of uncached data, or wait for another thread's
 * copy-up. A server that
 * answers quick requests on one thread, with others queued behind it, hands those on to another
 * thread first. The core knows nothing of who listens.
 */
public final class LongWork {
    private static final ThreadLocal<Runnable> LISTENER = new ThreadLocal<>();

    private LongWork() {}

    /** Runs {@code listener} on this thread before each long piece of work of a core call here; null stops. */
    public static void listen(Runnable listener) {
        if (listener == null) {
            LISTENER.remove();
        } else {
            LISTENER.set(listener);
        }
    }

    /** Whether anyone listens on this thread (a check that costs a syscall can be skipped if not). */
    public static boolean listening() {
        return LISTENER.get() != null;
    }

    /** Called by the core, holding no lock, just before long work. */
    public static void starting() {
        Runnable r = LISTENER.get();
        if (r != null) r.run();
    }
}
