package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
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
}
