package dev.stratafs.core.image;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/** Image names as docker spells them (`repo/name:tag`); ":latest" is implied when no tag is given. */
final class ImageName {
    private static final Pattern OK = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@-]{0,254}");

    static String normalize(String name) throws FsException {
        if (name == null || !OK.matcher(name).matches() || name.contains("..") || name.contains("//")) {
            throw new FsException(ErrorKind.INVALID, "bad image name: " + name);
        }
        int slash = name.lastIndexOf('/');
        return name.indexOf(':', slash + 1) < 0 ? name + ":latest" : name;
    }

    /** A single file name for images/ (no '/' survives URL encoding). */
    static String fileName(String normalized) {
        return URLEncoder.encode(normalized, StandardCharsets.UTF_8);
    }

    static String fromFileName(String file) {
        return URLDecoder.decode(file, StandardCharsets.UTF_8);
    }

    private ImageName() {}
}
