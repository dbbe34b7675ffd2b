package dev.stratafs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HelpTextTest {
    @Test
    void readmeQuotesTheHelpVerbatim() throws IOException {
        // Maven runs tests in the module directory; the README is at the repository root.
        String readme = Files.readString(Path.of("..", "README.md"));
        assertTrue(readme.contains("```text\n" + HelpText.HELP + "```"),
                "README.md must contain the --help text in a ```text block; update it from HelpText.HELP");
    }

    @Test
    void versionLineHasTheFormPodmanParses() {
        assertEquals("stratafs version " + HelpText.VERSION, HelpText.versionLine());
        assertTrue(HelpText.VERSION.matches("[0-9]+\\.[0-9]+\\.[0-9]+"));
    }

    @Test
    void everyParsedOptionIsInTheHelp() {
        for (String word : new String[] {"lowerdir=", "upperdir=", "workdir=", "volatile", "fsync=", "metacopy=", "timeout=", "writeback=", "passthrough=", "busy_poll=",
                "squash_to_root", "squash_to_uid=", "squash_to_gid=", "uidmapping=", "gidmapping=", "static_nlink",
                "noacl", "lowlevel", "highlevel", "xattr_permissions=", "allow_other", "default_permissions", "fsname=", "debug", "log=",
                " ro ", " rw ", "context=", "nodev"}) {
            assertTrue(HelpText.HELP.contains(word), word);
        }
    }
}
