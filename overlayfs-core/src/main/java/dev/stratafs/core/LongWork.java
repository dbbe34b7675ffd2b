package dev.stratafs.core;

/**
 * Tells whoever runs core calls on a thread that a call is about to do long work: copy a file's
 * bytes, wait for the disk in an fsync or a read of uncached data, or wait for another thread's
 * copy-up. A server that answers quick requests on one thread, with others queued behind it,
 * hands those on to another thread first. The core knows nothing of who listens.
 */
public final class LongWork {
    /** Who is told, and whether it still cares (a check that costs a syscall is skipped if not). */
    public interface Listener {
        boolean listening();

        void starting();
    }

    private static final ThreadLocal<Listener> LISTENER = new ThreadLocal<>();

    private LongWork() {}

    /** Tells {@code listener} (on this thread) before each long piece of work of a core call here; null stops. */
    public static void listen(Listener listener) {
        if (listener == null) {
            LISTENER.remove();
        } else {
            LISTENER.set(listener);
        }
    }

    /** Whether anyone on this thread wants to know now. */
    public static boolean listening() {
        Listener l = LISTENER.get();
        return l != null && l.listening();
    }

    /** Called by the core, holding no lock, just before long work. */
    public static void starting() {
        Listener l = LISTENER.get();
        if (l != null) l.starting();
    }
}
