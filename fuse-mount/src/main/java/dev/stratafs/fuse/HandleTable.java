package dev.stratafs.fuse;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Open objects by the 64-bit handle the kernel hands back in fuse_file_info.fh. Ids start at 1
 * (0 means "no handle" to readers of fh) and are never reused within a table, so a stale fh can
 * only miss, never hit another file. Thread safe: the FUSE loop is multithreaded.
 */
public final class HandleTable<T> {
    private final ConcurrentHashMap<Long, T> handles = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong(1);

    /** Stores {@code value} and returns its new id (&gt; 0). */
    public long add(T value) {
        if (value == null) throw new NullPointerException("value");
        long id = next.getAndIncrement();
        handles.put(id, value);
        return id;
    }

    /** The object of {@code id}; BAD_HANDLE (EBADF) when there is none. */
    public T get(long id) throws FsException {
        T v = handles.get(id);
        if (v == null) throw new FsException(ErrorKind.BAD_HANDLE, "no open handle " + id);
        return v;
    }

    /** The object of {@code id} or null. */
    public T find(long id) {
        return handles.get(id);
    }

    /** Removes and returns the object of {@code id}, or null when there was none. */
    public T remove(long id) {
        return handles.remove(id);
    }

    /** Removes and returns everything still open (at unmount). */
    public List<T> drain() {
        List<T> out = new ArrayList<>();
        for (Long id : handles.keySet()) {
            T v = handles.remove(id);
            if (v != null) out.add(v);
        }
        return out;
    }

    /** A weakly consistent view of the open objects. */
    public Iterable<T> values() {
        return handles.values();
    }

    /** The first live value that matches, or null. */
    public T first(java.util.function.Predicate<? super T> test) {
        for (T v : handles.values()) {
            if (test.test(v)) return v;
        }
        return null;
    }

    public int size() {
        return handles.size();
    }
}
