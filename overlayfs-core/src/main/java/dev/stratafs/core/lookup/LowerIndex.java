package dev.stratafs.core.lookup;

import java.util.List;
import java.util.Map;

/**
 * The names of one merged directory in its lower layers, read once: lower layers never change
 * while mounted, so a lookup costs a hash probe instead of one stat per layer (this is what keeps
 * a 500-layer lookup as cheap as a 1-layer one). For each name, the positions in the directory's
 * lower list where it occurs, topmost first; an AUFS marker {@code .wh.NAME} is stored as
 * {@code -(pos+1)}.
 */
final class LowerIndex {
    final int[] lowers;
    final Map<String, int[]> names;
    final long weight;
    /** The visible lower entries, for listings: the topmost object of each name, not a whiteout. */
    final List<Resolver.Entry> visible;

    LowerIndex(int[] lowers, Map<String, int[]> names, List<Resolver.Entry> visible) {
        this.lowers = lowers;
        this.names = names;
        this.visible = visible;
        this.weight = 1 + names.size() + visible.size();
    }
}
