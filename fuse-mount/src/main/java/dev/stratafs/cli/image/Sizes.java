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

    /** "20MB", "512kB", "1.5GB", "123" (bytes); decimal units as docker and dive print them, i-units binary. */
    static long parse(String s) throws Args.UsageException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)\\s*([0-9.]+)\\s*([kmgtp]?)(i?)b?\\s*").matcher(s);
        if (!m.matches()) {
            throw new Args.UsageException("not a size: " + s);
        }
        double base = m.group(3).isEmpty() ? 1000 : 1024;
        int exp = m.group(2).isEmpty() ? 0 : "kmgtp".indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1;
        try {
            return (long) (Double.parseDouble(m.group(1)) * Math.pow(base, exp));
        } catch (NumberFormatException e) {
            throw new Args.UsageException("not a size: " + s);
        }
    }

    private Sizes() {}
}
