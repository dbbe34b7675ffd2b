package dev.stratafs.fuse;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The names of the threads an engine's callbacks ran on, each recorded once (a thread-local flag
 * spares the set on every request). Tests check that they are the loop's own Java threads, never
 * native threads that jffi attached for a single call.
 */
public final class CallbackThreads {
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private final ThreadLocal<Boolean> noted = ThreadLocal.withInitial(() -> Boolean.FALSE);

    /** Records the calling thread, once. */
    public void note() {
        if (!noted.get()) {
            noted.set(Boolean.TRUE);
            names.add(Thread.currentThread().getName());
        }
    }

    public Set<String> names() {
        return Set.copyOf(names);
    }
}
