package dev.stratafs.core.image;

/**
 * One entry of an image config's history (image-spec config.md): the layer it made (null for
 * empty_layer entries or when the history outnumbers the layers: docker prints `<missing>`),
 * when, by what, and the layer's unpacked size.
 */
public record HistoryEntry(Digest layer, String created, String createdBy, String comment, long size) {}
