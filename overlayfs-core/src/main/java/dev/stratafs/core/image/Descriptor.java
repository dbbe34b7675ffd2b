package dev.stratafs.core.image;

import com.google.gson.JsonObject;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;

/** An OCI content descriptor (image-spec descriptor.md): media type, digest, size in bytes. */
public record Descriptor(String mediaType, Digest digest, long size) {
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";

    static Descriptor from(JsonObject o, String what) throws FsException {
        if (o == null) {
            throw new FsException(ErrorKind.INVALID, what + ": missing descriptor");
        }
        Digest d = Digest.parse(Json.requireString(o, "digest", what));
        long size = o.has("size") ? o.get("size").getAsLong() : -1;
        if (size < -1) {
            throw new FsException(ErrorKind.INVALID, what + ": negative size");
        }
        return new Descriptor(Json.string(o, "mediaType"), d, size);
    }

    JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("mediaType", mediaType);
        o.addProperty("digest", digest.toString());
        o.addProperty("size", size);
        return o;
    }
}
