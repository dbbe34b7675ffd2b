package dev.stratafs.cli.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.core.image.Progress;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The terminal progress line, driven by a fake clock into a StringWriter. */
class TerminalProgressTest {
    private static final long MS = 1_000_000L;
    private long now;
    private final StringWriter out = new StringWriter();
    private final TerminalProgress p = new TerminalProgress(out, () -> now, 80);

    private void at(long ms, long bytes) {
        now = ms * MS;
        p.advance(bytes);
    }

    private long frames() {
        return out.toString().chars().filter(c -> c == '\r').count();
    }

    @Test
    void redrawsAtMostTenTimesASecondAndEndsWithTheFinalLine() {
        p.start("layer 1/1 sha256:abcd1234ef56 unpacking", 10_000_000);
        for (int ms = 10; ms <= 1000; ms += 10) { // 100 advances of 100kB over one second
            at(ms, 100_000);
        }
        long before = frames();
        assertTrue(before >= 9 && before <= 10, "frames in one second: " + before);
        p.done();
        String s = out.toString();
        assertEquals(before + 1, frames(), "done draws one final frame");
        assertTrue(s.endsWith("\n"), s);
        String last = s.substring(s.lastIndexOf('\r') + 1, s.length() - 1);
        // the bar takes the width the label and numbers leave on an 80-column line
        assertEquals("layer 1/1 sha256:abcd1234ef56 unpacking [==============] 10.0MB/10.0MB 10.0MB/s", last);
        assertEquals(79, last.length());
        assertEquals(1, s.chars().filter(c -> c == '\n').count(), "one line per phase");
    }

    @Test
    void midwayFrameShowsPartialBarAndRate() {
        p.start("exporting img:latest", 1_000_000);
        at(100, 250_000);
        assertEquals("\rexporting img:latest [" + "=".repeat(7) + ">" + " ".repeat(22) + "] 250kB/1.00MB 2.50MB/s", out.toString());
    }

    @Test
    void phaseOverWithinItsFirstFrameDrawsNothing() {
        p.start("layer 1/2 sha256:abcd1234ef56 copying", 5000);
        at(5, 5000);
        now = 20 * MS;
        p.done();
        p.start("layer 2/2 sha256:abcd1234ef56 copying", 5000);
        at(50, 5000);
        p.done();
        assertEquals("", out.toString());
    }

    @Test
    void unknownTotalShowsBytesAndRateWithoutBar() {
        p.start("committing upper", -1);
        at(200, 3_000_000);
        p.done();
        String s = out.toString();
        assertFalse(s.contains("["), s);
        assertEquals("\rcommitting upper 3.00MB 15.0MB/s\rcommitting upper 3.00MB 15.0MB/s\n", s);
    }

    @Test
    void longLabelIsCutToFitTheWidth() {
        String line = TerminalProgress.line("x".repeat(200), 100, 50, 1_000_000_000L, 79);
        assertTrue(line.length() <= 79, line);
        assertTrue(line.matches("x{40,} \\[=====> {4}\\] 50B/100B 50B/s"), line);
    }

    @Test
    void barKeepsItsWidthWhileTheNumbersGrow() {
        String early = TerminalProgress.line("layer 1/1 sha256:abcd1234ef56 copying", 250_000_000, 9_990_000, 1_000_000_000L, 79);
        String late = TerminalProgress.line("layer 1/1 sha256:abcd1234ef56 copying", 250_000_000, 100_000_000, 1_000_000_000L, 79);
        assertEquals(early.indexOf(']'), late.indexOf(']'), early + "\n" + late);
    }

    @Test
    void shorterFrameWipesTheRestOfTheLongerOne() {
        p.start("scan", -1);
        at(100, 5_000_000); // "scan 5.00MB 50.0MB/s"
        at(10_000, 1);      // rate falls: "scan 5.00MB 500kB/s", one character shorter
        String second = out.toString().substring(out.toString().lastIndexOf('\r') + 1);
        assertEquals("scan 5.00MB 500kB/s ", second);
    }

    @Test
    void onlyATerminalWithoutStrataFsProgressZeroGetsALine() {
        assertTrue(TerminalProgress.wanted(true, Map.of()));
        assertTrue(TerminalProgress.wanted(true, Map.of("STRATAFS_PROGRESS", "1")));
        assertFalse(TerminalProgress.wanted(true, Map.of("STRATAFS_PROGRESS", "0")));
        assertFalse(TerminalProgress.wanted(false, Map.of()));
        // under surefire fd 2 is a pipe: the real factory hands out the silent NONE
        assertSame(Progress.NONE, TerminalProgress.forStderr(dev.stratafs.core.nat.Natives.get(), Map.of(), System.err));
    }

    @Test
    void widthComesFromColumnsWhenExported() {
        assertEquals(120, TerminalProgress.columns(Map.of("COLUMNS", "120")));
        assertEquals(80, TerminalProgress.columns(Map.of()));
        assertEquals(80, TerminalProgress.columns(Map.of("COLUMNS", "wide")));
    }
}
