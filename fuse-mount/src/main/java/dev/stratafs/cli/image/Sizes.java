package dev.stratafs.cli.image;

import java.util.Locale;

/** Sizes the way docker prints them: decimal units, three significant digits ("1.23MB"). */
final class Sizes {
    static String human(long bytes) {
        if (bytes < 0) {
            return "?";
        }
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? bytes + "B" : String.format(Locale.ROOT, "%.3g%s", v, units[u]);
    }

    private Sizes() {}
}
