package dev.stratafs.core.image;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a tar member name into path components relative to the layer root. Absolute names and
 * `..` are refused outright (rather than stripped as GNU tar does) because a layer that carries
 * them was made to escape its directory.
 */
final class TarPaths {

    /** Components of {@code name}; empty for the root ("./" or "."). */
    static List<String> components(String name) throws FsException {
        if (name == null || name.indexOf('\0') >= 0) {
            throw new FsException(ErrorKind.INVALID, "tar entry name holds NUL: " + name);
        }
        if (name.startsWith("/")) {
            throw new FsException(ErrorKind.INVALID, "absolute path in layer: " + name);
        }
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw new FsException(ErrorKind.INVALID, "'..' in layer path: " + name);
            }
            if (c.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
                throw new FsException(ErrorKind.NAME_TOO_LONG, "name over 255 bytes in layer: " + name);
            }
            out.add(c);
        }
        return out;
    }

    static String join(List<String> comps) {
        return String.join("/", comps);
    }

    private TarPaths() {}
}
