package dev.stratafs.core.path;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.nio.charset.StandardCharsets;

/**
 * One validated path component: not empty, no '/', no NUL, not "." or "..", at most 255 bytes
 * in UTF-8 (NAME_MAX, see path_resolution(7)). Immutable.
 */
public final class Name implements Comparable<Name> {
    /** NAME_MAX on Linux filesystems. */
    public static final int MAX_BYTES = 255;

    private final String value;

    private Name(String value) {
        this.value = value;
    }

    public static Name of(String s) throws FsException {
        if (s.isEmpty() || s.equals(".") || s.equals("..")) {
            throw new FsException(ErrorKind.INVALID, "invalid file name: '" + s + "'");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == 0) {
                throw new FsException(ErrorKind.INVALID, "file name contains '/' or NUL: '" + s.replace("\0", "\\0") + "'");
            }
        }
        // A char is at most 3 UTF-8 bytes here: only names longer than MAX_BYTES/3 chars need encoding.
        if (s.length() * 3 > MAX_BYTES && s.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new FsException(ErrorKind.NAME_TOO_LONG, "file name longer than " + MAX_BYTES + " bytes");
        }
        return new Name(s);
    }

    public String value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Name && ((Name) o).value.equals(value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public int compareTo(Name o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
