package dev.stratafs.core.image;

import dev.stratafs.core.nat.NativeOs;
import dev.stratafs.core.nat.StatInfo;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Computes {@link Analysis} for a stored image (see there for the definitions). */
public final class ImageAnalyzer {
    private final ImageStore store;

    public ImageAnalyzer(ImageStore store) {
        this.store = store;
    }

    private static final class PathData {
        long cumulative;
        long min = -1;
        int count;
    }

    public Analysis analyze(String ref) throws IOException {
        return analyze(ref, Progress.NONE);
    }

    /**
     * {@link #analyze(String)}, reporting a "scanning" phase per layer that advances by the size
     * of each regular file seen; its total is the content size counted at unpack time (a hard
     * link counted there once may be seen here twice, so a phase can overshoot a little).
     */
    public Analysis analyze(String ref, Progress progress) throws IOException {
        StoredImage im = store.image(ref);
        NativeOs os = store.os();
        Map<String, PathData> paths = new HashMap<>();
        MergedView below = new MergedView();
        for (int i = 0; i < im.layers().size(); i++) {
            StoredImage.Layer layer = im.layers().get(i);
            Path root = store.layerDir(layer.diffId());
            progress.start(Progress.layer(i, im.layers().size(), layer.blob().digest(), "scanning"), layer.size());
            try {
                visitLeaves(os, root, "", below, paths, progress);
            } finally {
                progress.done();
            }
            below.add(os, i, root);
        }
        long min = 0;
        long cumulative = 0;
        long wasted = 0;
        List<Analysis.Waste> waste = new ArrayList<>();
        for (Map.Entry<String, PathData> e : paths.entrySet()) {
            PathData d = e.getValue();
            min += d.min;
            cumulative += d.cumulative;
            if (d.count > 1) {
                wasted += d.cumulative;
                waste.add(new Analysis.Waste("/" + e.getKey(), d.count, d.cumulative));
            }
        }
        waste.sort(Comparator.comparingLong(Analysis.Waste::cumulativeSize).reversed()
                .thenComparing(Analysis.Waste::path));
        long size = im.size();
        long user = im.layers().isEmpty() ? 0 : size - im.layers().get(0).size();
        double efficiency = cumulative == 0 ? 1.0 : (double) min / cumulative;
        double userWasted = user <= 0 ? 0 : (double) wasted / user;
        return new Analysis(size, user, efficiency, wasted, userWasted, waste);
    }

    private void visitLeaves(NativeOs os, Path dir, String rel, MergedView below, Map<String, PathData> paths,
                             Progress progress) throws IOException {
        List<Path> kids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(kids::add);
        }
        for (Path c : kids) {
            String r = rel.isEmpty() ? c.getFileName().toString() : rel + "/" + c.getFileName();
            StatInfo st = os.lstatOrNull(c);
            if (st == null) {
                continue;
            }
            if (st.isDirectory()) {
                boolean empty;
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(c)) {
                    empty = !ds.iterator().hasNext();
                }
                if (!empty) {
                    visitLeaves(os, c, r, below, paths, progress);
                    continue;
                }
            }
            long size;
            if (LayerUnpacker.isWhiteout(st)) {
                MergedView.Entry prev = below.entries().get(r);
                size = prev != null && prev.stat().isDirectory() ? below.sizeBelow(r) : 0;
            } else {
                size = st.isRegular() ? st.size() : 0;
                if (size > 0) {
                    progress.advance(size);
                }
            }
            PathData d = paths.computeIfAbsent(r, k -> new PathData());
            d.cumulative += size;
            d.min = d.min < 0 ? size : Math.min(d.min, size);
            d.count++;
        }
    }
}
