package dev.stratafs.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * <pre>
 *   rootfs/etc/passwd   app:x:1000:1001::/home/app:/bin/sh
 *   rootfs/etc/group    staff:x:50:
 * </pre>
 */
class RuntimeSpecTest {
    @TempDir Path rootfs;

    private JsonObject rt(String json) {
        return JsonParser.parseString(json).getAsJsonObject();
    }

    private void etc() throws IOException {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\nstaff:x:50:\n");
    }

    @Test
    void entrypointAndCmdFormTheProcessArgs() throws FsException {
        JsonObject spec = JsonParser.parseString(RuntimeSpec.build(
                rt("{\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo hi\"],\"Env\":[\"A=1\"],\"WorkingDir\":\"/work\"}"),
                rootfs, List.of(), "c1")).getAsJsonObject();
        JsonObject p = spec.getAsJsonObject("process");
        assertEquals("[\"/bin/sh\",\"-c\",\"echo hi\"]", p.get("args").toString());
        assertEquals("/work", p.get("cwd").getAsString());
        assertEquals("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", p.getAsJsonArray("env").get(0).getAsString());
        assertEquals("rootfs", spec.getAsJsonObject("root").get("path").getAsString());
    }

    @Test
    void userNamesAreResolvedInTheImage() throws Exception {
        etc();
        assertArrayEquals(new long[] {1000, 1001}, RuntimeSpec.user("app", rootfs));
        assertArrayEquals(new long[] {1000, 50}, RuntimeSpec.user("app:staff", rootfs));
        assertArrayEquals(new long[] {7, 8}, RuntimeSpec.user("7:8", rootfs));
        assertArrayEquals(new long[] {1000, 1001}, RuntimeSpec.user("1000", rootfs));
    }

    @Test
    void unknownUserIsAClearError() throws Exception {
        etc();
        FsException e = assertThrows(FsException.class, () -> RuntimeSpec.user("ghost", rootfs));
        assertEquals(true, e.getMessage().contains("ghost"));
    }

    @Test
    void imageWithoutCommandNeedsOne() {
        assertThrows(FsException.class, () -> RuntimeSpec.build(rt("{}"), rootfs, List.of(), "c"));
    }
}
