package dev.stratafs.core.image;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.stratafs.core.error.ErrorKind;
import dev.stratafs.core.error.FsException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An OCI runtime config.json (runtime-spec 1.0) for an image: process from the image config's
 * Entrypoint + Cmd, Env, WorkingDir and User (names resolved in the rootfs' /etc/passwd and
 * /etc/group), with the default namespaces, mounts and masked paths of {@code runc spec}.
 */
public final class RuntimeSpec {
    private RuntimeSpec() {}

    /** The image's runtime settings ("config" of the image config), or an empty object. */
    public static JsonObject imageRuntimeConfig(ImageStore store, String ref) throws IOException {
        StoredImage img = store.image(ref);
        JsonObject config = Json.object(Files.readAllBytes(store.blobPath(img.config())), "image config");
        JsonObject rt = Json.obj(config, "config");
        return rt == null ? new JsonObject() : rt;
    }

    /**
     * Builds config.json. {@code rootfs} is the mounted merged view (for user name lookups);
     * {@code args} overrides Entrypoint+Cmd when not empty.
     */
    public static String build(JsonObject rt, Path rootfs, List<String> args, String hostname) throws FsException {
        List<String> argv = new ArrayList<>(args);
        if (argv.isEmpty()) {
            argv.addAll(strings(rt.get("Entrypoint")));
            argv.addAll(strings(rt.get("Cmd")));
        }
        if (argv.isEmpty()) {
            throw new FsException(ErrorKind.INVALID, "the image has no Entrypoint or Cmd; give the command to run");
        }
        List<String> env = strings(rt.get("Env"));
        if (env.stream().noneMatch(e -> e.startsWith("PATH="))) {
            env.add(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        }
        String cwd = Json.string(rt, "WorkingDir");
        if (cwd == null || cwd.isEmpty()) cwd = "/";
        long[] ids = user(Json.string(rt, "User"), rootfs);

        JsonObject process = new JsonObject();
        process.addProperty("terminal", false);
        JsonObject user = new JsonObject();
        user.addProperty("uid", ids[0]);
        user.addProperty("gid", ids[1]);
        process.add("user", user);
        process.add("args", array(argv));
        process.add("env", array(env));
        process.addProperty("cwd", cwd);
        JsonObject caps = new JsonObject();
        JsonArray defaultCaps = array(List.of("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN",
                "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_SYS_CHROOT"));
        for (String set : List.of("bounding", "effective", "permitted")) caps.add(set, defaultCaps.deepCopy());
        process.add("capabilities", caps);
        JsonArray rlimits = new JsonArray();
        JsonObject nofile = new JsonObject();
        nofile.addProperty("type", "RLIMIT_NOFILE");
        nofile.addProperty("hard", 1024);
        nofile.addProperty("soft", 1024);
        rlimits.add(nofile);
        process.add("rlimits", rlimits);
        process.addProperty("noNewPrivileges", true);

        JsonObject spec = new JsonObject();
        spec.addProperty("ociVersion", "1.0.2");
        spec.add("process", process);
        JsonObject root = new JsonObject();
        root.addProperty("path", "rootfs");
        root.addProperty("readonly", false);
        spec.add("root", root);
        spec.addProperty("hostname", hostname);
        JsonArray mounts = new JsonArray();
        mounts.add(mount("/proc", "proc", "proc", List.of()));
        mounts.add(mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
        mounts.add(mount("/dev/pts", "devpts", "devpts", List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620")));
        mounts.add(mount("/dev/shm", "shm", "tmpfs", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
        mounts.add(mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
        mounts.add(mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
        spec.add("mounts", mounts);
        JsonObject linux = new JsonObject();
        JsonArray ns = new JsonArray();
        for (String t : List.of("pid", "network", "ipc", "uts", "mount")) {
            JsonObject n = new JsonObject();
            n.addProperty("type", t);
            ns.add(n);
        }
        linux.add("namespaces", ns);
        linux.add("maskedPaths", array(List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi")));
        linux.add("readonlyPaths", array(List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")));
        spec.add("linux", linux);
        return new GsonBuilder().disableHtmlEscaping().setPrettyPrinting().create().toJson(spec) + "\n";
    }

    private static JsonObject mount(String dest, String source, String type, List<String> options) {
        JsonObject m = new JsonObject();
        m.addProperty("destination", dest);
        m.addProperty("type", type);
        m.addProperty("source", source);
        if (!options.isEmpty()) m.add("options", array(options));
        return m;
    }

    /** "uid[:gid]" or "name[:group]" (looked up in the image), as docker resolves Config.User. */
    static long[] user(String spec, Path rootfs) throws FsException {
        if (spec == null || spec.isEmpty()) return new long[] {0, 0};
        String[] parts = spec.split(":", 2);
        long uid;
        Long gid = null;
        if (parts[0].matches("\\d+")) {
            uid = Long.parseLong(parts[0]);
            String[] pw = findEntry(rootfs.resolve("etc/passwd"), 2, parts[0]);
            if (pw != null && pw.length > 3 && pw[3].matches("\\d+")) gid = Long.parseLong(pw[3]);
        } else {
            String[] pw = findEntry(rootfs.resolve("etc/passwd"), 0, parts[0]);
            if (pw == null || pw.length < 4) {
                throw new FsException(ErrorKind.NOT_FOUND, "image user '" + parts[0] + "' is not in the image's /etc/passwd");
            }
            uid = Long.parseLong(pw[2]);
            gid = Long.parseLong(pw[3]);
        }
        if (parts.length == 2) {
            if (parts[1].matches("\\d+")) {
                gid = Long.parseLong(parts[1]);
            } else {
                String[] gr = findEntry(rootfs.resolve("etc/group"), 0, parts[1]);
                if (gr == null || gr.length < 3) {
                    throw new FsException(ErrorKind.NOT_FOUND, "image group '" + parts[1] + "' is not in the image's /etc/group");
                }
                gid = Long.parseLong(gr[2]);
            }
        }
        return new long[] {uid, gid == null ? 0 : gid};
    }

    private static String[] findEntry(Path file, int field, String value) {
        try {
            // The rootfs is the mounted merged view: stratafs never follows links inside layers,
            // but /etc/passwd itself must not be a link out of the image either.
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return null;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.split(":", -1);
                if (f.length > field && f[field].equals(value)) return f;
            }
        } catch (IOException e) {
            return null;
        }
        return null;
    }

    private static List<String> strings(JsonElement e) {
        List<String> out = new ArrayList<>();
        if (e != null && e.isJsonArray()) {
            for (JsonElement x : e.getAsJsonArray()) out.add(x.getAsString());
        }
        return out;
    }

    private static JsonArray array(List<String> l) {
        JsonArray a = new JsonArray();
        l.forEach(a::add);
        return a;
    }
}
