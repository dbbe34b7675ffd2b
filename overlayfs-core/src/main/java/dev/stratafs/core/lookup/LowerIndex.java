package dev.stratafs.core.lookup;

import dev.stratafs.core.nat.StatInfo;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
    /**
     * The lstat of the topmost lower object of a name, as the last lookup of it found it
     * ({@link #HIDDEN} for a whiteout there), for opens to read (Resolver#resolveToOpen): an
     * OPEN after a READDIRPLUS then fstats the file it opened instead of walking its host path
     * first, which was a third of a lower file's OPEN in a cold read of every file (perf).
     */
    final ConcurrentHashMap<String, StatInfo> stats;
    /** In {@link #stats}: the topmost lower object of the name is a whiteout. */
    static final StatInfo HIDDEN = new StatInfo(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** {@code stats}: those the listing took already (entries whose type alone did not tell). */
    LowerIndex(int[] lowers, Map<String, int[]> names, List<Resolver.Entry> visible, Map<String, StatInfo> stats) {
        this.lowers = lowers;
        this.names = names;
        this.visible = visible;
        this.stats = new ConcurrentHashMap<>(stats);
        this.weight = 1 + names.size() + visible.size() + stats.size();
    }
}
