package dev.stratafs.cli.image;

import dev.stratafs.core.image.Progress;
import dev.stratafs.core.nat.NativeOs;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.Charset;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A progress line on a terminal: "PHASE [=====>      ] 12.3MB/27.1MB 8.20MB/s", redrawn in place
 * with a carriage return at most every {@link #FRAME_NANOS}. A phase over within its first frame
 * is never drawn, so quick work stays silent; a drawn phase ends with its final numbers (average
 * rate) and a newline. Used only when stderr is a terminal (see {@link #forStderr}): pipes and CI
 * logs get no carriage returns.
 */
final class TerminalProgress implements Progress {
    static final long FRAME_NANOS = 100_000_000L;
    private static final int MIN_BAR = 10;
    private static final int MAX_BAR = 30;

    private final Writer out;
    private final LongSupplier nanoClock;
    private final int columns;

    private String phase;
    private long total;
    private long count;
    private long phaseStart;
    private long lastDraw;
    private boolean drawn;
    private int lastLength;

    /** @param columns the terminal's width; lines are kept one shorter so the cursor never wraps */
    TerminalProgress(Writer out, LongSupplier nanoClock, int columns) {
        this.out = out;
        this.nanoClock = nanoClock;
        this.columns = Math.max(columns, 40);
    }

    /**
     * A renderer on {@code err} when fd 2 is a terminal (isatty(3)) and $STRATAFS_PROGRESS is not
     * "0"; else {@link Progress#NONE}. The width is $COLUMNS when exported, else 80.
     */
    static Progress forStderr(NativeOs os, Map<String, String> env, PrintStream err) {
        if (!wanted(os.isatty(2), env)) {
            return Progress.NONE;
        }
        return new TerminalProgress(new OutputStreamWriter(err, Charset.defaultCharset()), System::nanoTime, columns(env));
    }

    static boolean wanted(boolean stderrIsTerminal, Map<String, String> env) {
        return stderrIsTerminal && !"0".equals(env.get("STRATAFS_PROGRESS"));
    }

    static int columns(Map<String, String> env) {
        try {
            int c = Integer.parseInt(env.getOrDefault("COLUMNS", "").trim());
            return c > 0 ? c : 80;
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    @Override
    public void start(String phase, long totalBytes) {
        if (this.phase != null) {
            done(); // a phase left open by its caller: close it rather than overwrite its line
        }
        this.phase = phase;
        this.total = totalBytes;
        this.count = 0;
        this.phaseStart = nanoClock.getAsLong();
        this.drawn = false;
    }

    @Override
    public void advance(long bytes) {
        if (phase == null) {
            return;
        }
        count += bytes;
        long now = nanoClock.getAsLong();
        if (now - phaseStart >= FRAME_NANOS && (!drawn || now - lastDraw >= FRAME_NANOS)) {
            draw(now, false);
        }
    }

    @Override
    public void done() {
        if (phase == null) {
            return;
        }
        if (drawn) {
            draw(nanoClock.getAsLong(), true);
        }
        phase = null;
        lastLength = 0;
    }

    private void draw(long now, boolean last) {
        String line = line(phase, total, count, now - phaseStart, columns - 1);
        StringBuilder sb = new StringBuilder(line.length() + 8).append('\r').append(line);
        for (int i = line.length(); i < lastLength; i++) {
            sb.append(' '); // wipe what a longer previous frame left
        }
        if (last) {
            sb.append('\n');
        }
        try {
            out.write(sb.toString());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lastLength = line.length();
        lastDraw = now;
        drawn = true;
    }

    /** One frame, at most {@code width} characters: the label is what gets cut. */
    static String line(String label, long total, long done, long elapsedNanos, int width) {
        String amount = total >= 0 ? Sizes.human(done) + "/" + Sizes.human(total) : Sizes.human(done);
        String rate = elapsedNanos > 0 ? Sizes.human((long) (done * 1e9 / elapsedNanos)) + "/s" : "";
        String tail = " " + amount + (rate.isEmpty() ? "" : " " + rate);
        // the bar's width comes from the widest numbers this phase can show, so it stays put
        // from frame to frame while "9.99MB" becomes "10.0MB" (Sizes.human: at most 6 characters)
        int tailWidth = total >= 0 ? Math.max(tail.length(), 1 + 6 + 1 + Sizes.human(total).length() + 1 + 8)
                : tail.length();
        int bar = 0;
        if (total >= 0) {
            bar = Math.max(MIN_BAR, Math.min(MAX_BAR, width - label.length() - tailWidth - 3));
        }
        int room = width - tailWidth - (bar > 0 ? bar + 3 : 0);
        String l = label.length() <= room ? label : label.substring(0, Math.max(0, room));
        StringBuilder sb = new StringBuilder(l);
        if (bar > 0) {
            sb.append(" [").append(bar(total, done, bar)).append(']');
        }
        return sb.append(tail).toString();
    }

    private static String bar(long total, long done, int width) {
        int filled = total <= 0 ? width : (int) Math.min(width, done * width / total);
        StringBuilder sb = new StringBuilder(width);
        for (int i = 0; i < width; i++) {
            sb.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        return sb.toString();
    }
}
