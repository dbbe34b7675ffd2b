package dev.stratafs.core.image;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/** An image to import: its OCI manifest and a way to read blobs (unverified; the importer checks). */
interface ImageSource extends Closeable {
    /** The manifest as stored (OCI image manifest JSON). */
    byte[] manifest();

    /** A name the source carries (docker RepoTags, OCI ref annotation); null when none. */
    String suggestedName();

    /** Raw blob bytes; NOT_FOUND when the source lacks it. */
    InputStream openBlob(Digest d) throws IOException;

    @Override
    default void close() throws IOException {}
}
