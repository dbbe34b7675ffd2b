package dev.stratafs.core.image;

import java.util.List;

/**
 * Where a path of an image comes from. {@code provider} is the index (0 = bottom) of the layer
 * whose entry is visible, or -1 when the path is not visible; {@code deletedBy} the layer whose
 * whiteout or opaque directory removed it (-1 if none); {@code shadowed} the lower layers that
 * also hold the path but are hidden by the provider (for directories: replaced, not merged).
 * {@code merged} lists lower layers whose directory of this path merges into the visible one.
 */
public record WhichResult(String path, int provider, int deletedBy, List<Integer> shadowed, List<Integer> merged) {
    public WhichResult {
        shadowed = List.copyOf(shadowed);
        merged = List.copyOf(merged);
    }
}
