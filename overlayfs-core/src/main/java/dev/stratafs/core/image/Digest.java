package dev.stratafs.core.image;

import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A sha256 content digest ("sha256:" + 64 lowercase hex). Parsing is strict because digests
 * become file names in the store and in image layouts: anything else could walk out of blobs/.
 */
public record Digest(String hex) {
    private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

    public Digest {
        if (hex == null || !HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a sha256 hex digest: " + hex);
        }
    }

    /** Parses "sha256:HEX"; other algorithms are refused (the OCI spec only requires sha256). */
    public static Digest parse(String s) throws FsException {
        if (s == null || !s.startsWith("sha256:") || !HEX.matcher(s.substring(7)).matches()) {
            throw new FsException(ErrorKind.INVALID, "unsupported or malformed digest: " + s);
        }
        return new Digest(s.substring(7));
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JRE", e);
        }
    }

    static Digest of(MessageDigest md) {
        return new Digest(HexFormat.of().formatHex(md.digest()));
    }

    static Digest of(byte[] data) {
        MessageDigest md = newSha256();
        md.update(data);
        return of(md);
    }

    /** The 12-hex short form `docker images` shows. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    @Override
    public String toString() {
        return "sha256:" + hex;
    }
}
