package dev.stratafs.core.image;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/** Layer compression, told by magic bytes rather than media types (docker-archive has none). */
enum Compression {
    NONE("application/vnd.oci.image.layer.v1.tar"),
    GZIP("application/vnd.oci.image.layer.v1.tar+gzip"),
    ZSTD("application/vnd.oci.image.layer.v1.tar+zstd");

    final String ociMediaType;

    Compression(String ociMediaType) {
        this.ociMediaType = ociMediaType;
    }

    /** Peeks at the first bytes of a mark-supporting stream without consuming them. */
    static Compression detect(BufferedInputStream in) throws IOException {
        in.mark(8);
        byte[] b = in.readNBytes(4);
        in.reset();
        if (b.length >= 2 && (b[0] & 0xff) == 0x1f && (b[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        // zstd frame magic 0xFD2FB528, little endian (RFC 8878 section 3.1.1)
        if (b.length == 4 && (b[0] & 0xff) == 0x28 && (b[1] & 0xff) == 0xb5
                && (b[2] & 0xff) == 0x2f && (b[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }

    /** The uncompressed tar stream of a layer blob. */
    static InputStream decompress(InputStream raw) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
        return switch (detect(in)) {
            case GZIP -> new GzipCompressorInputStream(in, true);
            case ZSTD -> new ZstdInputStream(in);
            case NONE -> in;
        };
    }
}
