package dev.stratafs.core.diff;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Snapshots a directory tree of the host (a kernel overlay mount, or an upper directory on disk)
 * through java.nio without following symlinks, and its xattrs with one recursive getfattr(1):
 * java.nio only knows the user.* namespace and the comparison needs trusted.* too.
 */
final class HostWalker {
    private static final String ATTRS = "unix:mode,ino,rdev,nlink,uid,gid,size,lastModifiedTime";

    private HostWalker() {}

    static TreeSnapshot snapshot(String label, Path root) {
        List<Path> paths = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    paths.add(dir);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    paths.add(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof java.nio.file.NoSuchFileException) return FileVisitResult.CONTINUE; // a ghost, see names()
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot walk " + root, e);
        }
        Map<String, SortedMap<String, String>> xattrs = xattrs(paths);
        Map<String, Node> nodes = new HashMap<>();
        for (Path p : paths) {
            String rel = root.relativize(p).toString();
            try {
                nodes.put(rel, node(rel, p, xattrs.getOrDefault(p.toString(), new TreeMap<>())));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + p, e);
            }
        }
        return new TreeSnapshot(label, nodes, List.of());
    }

    static Node node(String rel, Path p, SortedMap<String, String> xattrs) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, ATTRS, LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        int type = mode & dev.stratafs.core.nat.StatInfo.S_IFMT;
        String content = null;
        String target = null;
        if (type == dev.stratafs.core.nat.StatInfo.S_IFREG) {
            content = Node.describeContent(read(p));
        } else if (type == dev.stratafs.core.nat.StatInfo.S_IFLNK) {
            target = Files.readSymbolicLink(p).toString();
        }
        FileTime mt = (FileTime) a.get("lastModifiedTime");
        return new Node(rel, mode, (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("size"),
                content, target, (Long) a.get("rdev"), xattrs, (Integer) a.get("nlink"),
                mt.toInstant().getEpochSecond(), mt.toInstant().getNano(), (Long) a.get("ino"));
    }

    static byte[] read(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(65536);
            while (ch.read(buf) > 0) {
                out.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            return out.toByteArray();
        }
    }

    /**
     * Absolute path -> (xattr name -> hex value) for each given path that has any: getfattr(1)
     * on the listed paths (in batches that fit an argv), never its own recursive walk, so what
     * it reads is exactly what java.nio walked.
     */
    static Map<String, SortedMap<String, String>> xattrs(List<Path> paths) {
        Map<String, SortedMap<String, String>> all = new HashMap<>();
        for (int i = 0; i < paths.size(); i += 200) {
            List<String> argv = new ArrayList<>(List.of("getfattr", "-h", "-d", "-m", "-", "-e", "hex", "--absolute-names", "--"));
            for (Path p : paths.subList(i, Math.min(paths.size(), i + 200))) argv.add(p.toString());
            Cmd.Result r = Cmd.run(argv);
            if (!r.ok() && !r.err().isBlank()) {
                throw new IllegalStateException("getfattr failed: " + r.err());
            }
            all.putAll(parseGetfattr(r.out()));
        }
        return all;
    }

    static Map<String, SortedMap<String, String>> parseGetfattr(String out) {
        Map<String, SortedMap<String, String>> m = new HashMap<>();
        SortedMap<String, String> cur = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("# file: ")) {
                String path = unescape(line.substring("# file: ".length()));
                cur = new TreeMap<>();
                m.put(path, cur);
            } else if (!line.isBlank() && cur != null) {
                int eq = line.indexOf('=');
                if (eq < 0) {
                    cur.put(line, "");
                } else {
                    cur.put(line.substring(0, eq), normalizeValue(line.substring(eq + 1)));
                }
            }
        }
        return m;
    }

    /** getfattr -e hex prints 0x...; an empty value prints as "" or nothing. */
    static String normalizeValue(String v) {
        if (v.startsWith("0x")) return v.substring(2).toLowerCase();
        if (v.equals("\"\"")) return "";
        return v;
    }

    /** getfattr escapes unusual bytes in names as \ooo octal. */
    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && Character.isDigit(s.charAt(i + 1))) {
                b.write(Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == '\\') {
                b.write('\\');
                i++;
            } else {
                byte[] cs = String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                b.write(cs, 0, cs.length);
            }
        }
        return b.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The names of a directory that are objects of the view. The kernel overlay lists a whiteout
     * that sits in a lower directory with nothing below it to merge with (it reads such a
     * directory as is) while lookup of the name answers ENOENT (ls shows "c?????????"); such
     * ghosts are left out here and by the walk, as no object is there.
     */
    static List<String> names(Path dir) throws IOException {
        List<String> names = new ArrayList<>();
        try (var s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) names.add(p.getFileName().toString());
            }
        }
        names.sort(null);
        return names;
    }
}
