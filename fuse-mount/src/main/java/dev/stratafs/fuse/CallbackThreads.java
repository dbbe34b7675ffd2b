package dev.stratafs.fuse;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The names of the threads an engine's callbacks ran on. The set is touched only when the thread
 * differs from the last one (a thread-local flag cost 1% of a request's CPU). Tests check that
 * they are the loop's own Java threads, never native threads that jffi attached for one call.
 */
public final class CallbackThreads {
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    /** The thread noted last: a run of requests on one worker costs one comparison each. */
    private volatile Thread last;

    /** Records the calling thread. */
    public void note() {
        Thread t = Thread.currentThread();
        if (t == last) return;
        last = t;
        names.add(t.getName());
    }

    public Set<String> names() {
        return Set.copyOf(names);
    }
}
