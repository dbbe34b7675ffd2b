package dev.stratafs.core.image;

import java.util.List;

/**
 * Image efficiency as dive (github.com/wagoodman/dive, filetree/efficiency.go) defines it: every
 * leaf path of every layer adds its size (a whiteout adds the size of what it deletes) to the
 * path's cumulative size; efficiency = sum of each path's smallest size / sum of cumulative
 * sizes; wasted bytes = cumulative sizes of paths seen in more than one layer; user wasted
 * percent = wasted bytes / (image size - first layer size).
 */
public record Analysis(long imageSize, long userSize, double efficiency, long wastedBytes,
                       double userWastedPercent, List<Waste> inefficiencies) {
    public Analysis {
        inefficiencies = List.copyOf(inefficiencies);
    }

    /** A path found in {@code count} layers, with the bytes those copies add up to. */
    public record Waste(String path, int count, long cumulativeSize) {}
}
