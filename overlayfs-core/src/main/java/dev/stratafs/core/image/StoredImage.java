package dev.stratafs.core.image;

import java.util.List;

/**
 * An image in the store: its name, manifest and config digests, layers bottom-up, and the config
 * creation time (may be null).
 */
public record StoredImage(String name, Digest manifest, Digest config, List<Layer> layers, String created) {
    public StoredImage {
        layers = List.copyOf(layers);
    }

    /** One layer: the uncompressed-tar digest that names its directory, and its stored blob. */
    public record Layer(Digest diffId, Descriptor blob, long size) {}

    /** Sum of the layers' unpacked content sizes. */
    public long size() {
        return layers.stream().mapToLong(Layer::size).sum();
    }
}
