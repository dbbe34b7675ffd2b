package dev.stratafs.core.path;

import dev.stratafs.core.error.FsException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A validated path relative to the root of the merged view: a list of {@link Name}s. The root is
 * the empty path. Immutable; parsed from the absolute form the FUSE layer uses ("/a/b").
 */
public final class FsPath {
    public static final FsPath ROOT = new FsPath(List.of(), "");

    /**
     * Recent parses by string identity. The FUSE engine asks again and again with the very string
     * its node table keeps for a node (a file being written gets SETATTR, GETATTR, GETXATTR in a
     * row), and parsing (splitting, validating each name) was ~4% of a request's CPU. Keyed by
     * identity, so a hit needs no comparison of characters; entries are immutable, so racing
     * writers only lose entries.
     */
    private static final int PARSED_SLOTS = 256;
    private static final Parsed[] PARSED = new Parsed[PARSED_SLOTS];

    private record Parsed(String text, FsPath path) {}

    /** Where this path lies in one layer, memoized like {@link String#hashCode}: see {@link #in}. */
    private record Host(Path root, Path host) {}

    private final List<Name> names;
    private final String relative;
    private Host host;

    private FsPath(List<Name> names, String relative) {
        this.names = names;
        this.relative = relative;
    }

    /** Parses "/a/b", "a/b" or "/" (repeated and trailing slashes are ignored). */
    public static FsPath parse(String path) throws FsException {
        int slot = path.hashCode() & (PARSED_SLOTS - 1);
        Parsed recent = PARSED[slot];
        if (recent != null && recent.text == path) return recent.path;
        FsPath p = parseText(path);
        PARSED[slot] = new Parsed(path, p);
        return p;
    }

    private static FsPath parseText(String path) throws FsException {
        // No limit on the whole path: PATH_MAX bounds one syscall argument (path_resolution(7)),
        // which the kernel checks before FUSE sees anything; a process that chdir'ed deep may
        // reach names far below it, and kernel overlayfs serves them. Names keep NAME_MAX.
        List<Name> names = new ArrayList<>();
        int i = 0;
        int n = path.length();
        while (i < n) {
            while (i < n && path.charAt(i) == '/') i++;
            int j = i;
            while (j < n && path.charAt(j) != '/') j++;
            if (j > i) {
                names.add(Name.of(path.substring(i, j)));
            }
            i = j;
        }
        if (names.isEmpty()) return ROOT;
        // The adapter's paths are canonical ("/a/b"): then the relative form is a substring.
        boolean canonical = path.charAt(0) == '/' && path.charAt(n - 1) != '/' && path.indexOf("//") < 0;
        return canonical ? new FsPath(Collections.unmodifiableList(names), path.substring(1)) : of(names);
    }

    public static FsPath of(List<Name> names) {
        if (names.isEmpty()) return ROOT;
        StringBuilder sb = new StringBuilder();
        for (Name nm : names) {
            if (sb.length() > 0) sb.append('/');
            sb.append(nm.value());
        }
        return new FsPath(Collections.unmodifiableList(new ArrayList<>(names)), sb.toString());
    }

    public boolean isRoot() {
        return names.isEmpty();
    }

    public List<Name> names() {
        return names;
    }

    public int depth() {
        return names.size();
    }

    public Name fileName() {
        if (names.isEmpty()) throw new IllegalStateException("root has no name");
        return names.get(names.size() - 1);
    }

    public FsPath parent() {
        if (names.isEmpty()) throw new IllegalStateException("root has no parent");
        if (names.size() == 1) return ROOT;
        // Names never contain '/': the parent's relative form ends at the last one.
        return new FsPath(names.subList(0, names.size() - 1), relative.substring(0, relative.lastIndexOf('/')));
    }

    public FsPath resolve(Name child) {
        List<Name> l = new ArrayList<>(names.size() + 1);
        l.addAll(names);
        l.add(child);
        return new FsPath(Collections.unmodifiableList(l), relative.isEmpty() ? child.value() : relative + "/" + child.value());
    }

    /** True when this path equals {@code other} or lies below it. */
    public boolean startsWith(FsPath other) {
        if (other.names.size() > names.size()) return false;
        return names.subList(0, other.names.size()).equals(other.names);
    }

    /**
     * This path below {@code root} (a layer's directory). The last answer is kept: a request
     * makes several syscalls on one object, and each built the same host path again.
     */
    public Path in(Path root) {
        Host h = host;
        if (h != null && h.root == root) return h.host;
        Path p = names.isEmpty() ? root : root.resolve(relative);
        host = new Host(root, p);
        return p;
    }

    /** The relative form without a leading slash; "" for the root. */
    public String relative() {
        return relative;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FsPath && ((FsPath) o).relative.equals(relative);
    }

    @Override
    public int hashCode() {
        return relative.hashCode();
    }

    @Override
    public String toString() {
        return "/" + relative;
    }
}
