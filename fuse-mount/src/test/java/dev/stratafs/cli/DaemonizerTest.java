package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DaemonizerTest {
    @Test
    void cmdlineSplitsOnNul() {
        byte[] raw = "java\0-cp\0a:b\0dev.stratafs.cli.Main\0-o\0lowerdir=/x y\0/m\0".getBytes(StandardCharsets.UTF_8);
        assertEquals(List.of("java", "-cp", "a:b", "dev.stratafs.cli.Main", "-o", "lowerdir=/x y", "/m"), Daemonizer.splitNul(raw));
    }

    @Test
    void childCommandIsTheSameJvmWithDashFInFront() {
        // Our own cmdline ends in the JUnit runner's arguments, not these: the prefix falls back
        // to java -cp CLASSPATH Main, which is what a child needs.
        String[] args = {"-o", "lowerdir=/a", "/m"};
        List<String> cmd = new Daemonizer(Map.of("PATH", "/nonexistent"), 0).childCommand(args);
        int main = cmd.indexOf(Main.class.getName());
        assertTrue(main > 0, cmd.toString());
        assertEquals(List.of("-f", "-o", "lowerdir=/a", "/m"), cmd.subList(main + 1, cmd.size()));
        assertTrue(cmd.contains(System.getProperty("java.class.path")));
    }

    @Test
    void logTailShowsOnlyWhatTheDaemonWroteAndAtMostTenLines() throws IOException {
        Path log = Files.createTempFile(Path.of("/tmp"), "stratafs-tail", ".log");
        try {
            Files.writeString(log, "old line from an earlier daemon\n");
            long start = Files.size(log);
            StringBuilder more = new StringBuilder("Error: Could not find or load main class x\n");
            for (int i = 1; i <= 12; i++) {
                more.append("line ").append(i).append('\n');
            }
            Files.writeString(log, more, java.nio.file.StandardOpenOption.APPEND);
            String tail = Daemonizer.logTail(log, start);
            assertEquals(":\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\nline 9\nline 10\nline 11\nline 12", tail);
            assertEquals("", Daemonizer.logTail(log, Files.size(log)));
            assertEquals("", Daemonizer.logTail(log, -1));
        } finally {
            Files.delete(log);
        }
    }
}
