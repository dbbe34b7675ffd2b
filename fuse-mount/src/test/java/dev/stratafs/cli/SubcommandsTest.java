package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SubcommandsTest {
    @Test
    void onlyTheFirstWordSelectsASubcommand() {
        assertTrue(Subcommands.handles(new String[] {"image", "ls"}));
        assertTrue(Subcommands.handles(new String[] {"mount", "--image", "x", "/m"}));
        // a mountpoint named "image" after the options is still a mount
        assertFalse(Subcommands.handles(new String[] {"-o", "lowerdir=/a", "image"}));
        assertFalse(Subcommands.handles(new String[] {}));
    }

    @Test
    void withoutTheImagePackageSubcommandsSayTheyAreMissing() {
        assumeFalse(imageCommandPresent(), "this build has dev.stratafs.cli.image");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int code = Subcommands.run(new String[] {"mount", "--image", "x", "/m"}, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertEquals(1, code);
        assertEquals("stratafs: image commands are not available in this build\n", buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void withTheImagePackageImageWordsReachItAndItsStatusIsReturned() {
        assumeTrue(imageCommandPresent(), "this build has no dev.stratafs.cli.image");
        PrintStream unused = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        // "image --help" is a success there; "image" alone is a usage error (status 2), so the
        // status travels back unchanged rather than being flattened to 0/1.
        assertEquals(0, Subcommands.run(new String[] {"image", "--help"}, unused));
        assertEquals(2, Subcommands.run(new String[] {"image"}, unused));
    }

    private static boolean imageCommandPresent() {
        try {
            Class.forName(Subcommands.IMAGE_COMMAND);
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
