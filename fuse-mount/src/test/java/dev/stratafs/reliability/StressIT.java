package dev.stratafs.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.stratafs.fuse.MountedStack;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fsx-style stress through a real mount: 4 workers run random create / write / append /
 * truncate / rename / unlink / read / readdir in two shared merged directories, including
 * copy-ups of lower files. Each worker owns its names (prefix wN-), so a per-worker model
 * predicts every byte; reads of the others' files only must not fail oddly. Checked after every
 * own read, at the end, and again after an unmount and a fresh mount of the same upper.
 * A watchdog fails the test (with a thread dump) if the workers do not finish: a deadlock.
 *
 * <pre>
 * lower0/a/wN-lK, lower0/b/wN-lK   8 lower files per worker (4..64 KiB)
 * upper/, work/                    empty at start
 * </pre>
 * -Dstratafs.soak.seconds=N (default 60) sets the run time; -Dstratafs.stress.seed=N replays.
 */
class StressIT {
    static final int WORKERS = 4;
    static final int MAX_SIZE = 256 << 10;
    static final long SECONDS = Long.getLong("stratafs.soak.seconds", 60);
    static final long SEED = Long.getLong("stratafs.stress.seed", System.nanoTime());
    static final long WATCHDOG_SECONDS = 120;

    @TempDir
    Path tmp;
    MountedStack stack;

    @AfterEach
    void tearDown() throws IOException {
        if (stack != null) stack.close();
    }

    /** One worker's view of its own files: relative path → content. */
    static final class Worker implements Runnable {
        final int id;
        final Path mnt;
        final SplittableRandom rnd;
        final Map<String, byte[]> model = new TreeMap<>();
        final ArrayDeque<String> recent = new ArrayDeque<>();
        final long endNanos;
        long ops;
        int counter;

        Worker(int id, Path mnt, long seed, long endNanos) {
            this.id = id;
            this.mnt = mnt;
            this.rnd = new SplittableRandom(seed);
            this.endNanos = endNanos;
        }

        private void log(String op) {
            if (recent.size() == 30) recent.removeFirst();
            recent.addLast(op);
        }

        private String anyOwn() {
            if (model.isEmpty()) return null;
            List<String> keys = new ArrayList<>(model.keySet());
            return keys.get(rnd.nextInt(keys.size()));
        }

        private String freshName() {
            return (rnd.nextBoolean() ? "a/" : "b/") + "w" + id + "-n" + (counter++);
        }

        private byte[] bytes(int n) {
            byte[] b = new byte[n];
            rnd.nextBytes(b);
            return b;
        }

        @Override
        public void run() {
            try {
                while (System.nanoTime() < endNanos && !Thread.currentThread().isInterrupted()) {
                    step();
                    ops++;
                }
            } catch (Throwable t) {
                throw new AssertionError("worker " + id + " failed after " + ops + " ops; last ops:\n  "
                        + String.join("\n  ", recent) + "\n" + t, t);
            }
        }

        void step() throws IOException {
            int op = rnd.nextInt(100);
            String own = anyOwn();
            if (op < 12 || own == null) {
                String n = freshName();
                byte[] data = bytes(rnd.nextInt(64 << 10));
                log("create " + n + " " + data.length);
                Files.write(mnt.resolve(n), data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                model.put(n, data);
            } else if (op < 30) {
                byte[] cur = model.get(own);
                int off = rnd.nextInt(Math.min(cur.length + 4096, MAX_SIZE - 8192) + 1);
                byte[] data = bytes(1 + rnd.nextInt(8192));
                log("pwrite " + own + " @" + off + " " + data.length);
                try (FileChannel ch = FileChannel.open(mnt.resolve(own), StandardOpenOption.WRITE)) {
                    ByteBuffer b = ByteBuffer.wrap(data);
                    long pos = off;
                    while (b.hasRemaining()) pos += ch.write(b, pos);
                    if (rnd.nextInt(8) == 0) ch.force(true);
                }
                byte[] next = Arrays.copyOf(cur, Math.max(cur.length, off + data.length));
                System.arraycopy(data, 0, next, off, data.length);
                model.put(own, next);
            } else if (op < 40) {
                byte[] cur = model.get(own);
                if (cur.length > MAX_SIZE - 8192) return;
                byte[] data = bytes(1 + rnd.nextInt(8192));
                log("append " + own + " " + data.length);
                Files.write(mnt.resolve(own), data, StandardOpenOption.APPEND);
                byte[] next = Arrays.copyOf(cur, cur.length + data.length);
                System.arraycopy(data, 0, next, cur.length, data.length);
                model.put(own, next);
            } else if (op < 48) {
                int size = rnd.nextInt(MAX_SIZE / 2);
                log("truncate " + own + " " + size);
                try (RandomAccessFile f = new RandomAccessFile(mnt.resolve(own).toFile(), "rw")) {
                    f.setLength(size);
                }
                model.put(own, Arrays.copyOf(model.get(own), size));
            } else if (op < 58) {
                String to = rnd.nextInt(3) == 0 && model.size() > 1 ? anyOwn() : freshName();
                if (to.equals(own)) return;
                log("rename " + own + " -> " + to);
                Files.move(mnt.resolve(own), mnt.resolve(to), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                model.put(to, model.remove(own));
            } else if (op < 64) {
                log("unlink " + own);
                Files.delete(mnt.resolve(own));
                model.remove(own);
            } else if (op < 84) {
                log("read " + own);
                byte[] got = Files.readAllBytes(mnt.resolve(own));
                if (!Arrays.equals(model.get(own), got)) {
                    throw new AssertionError("content of " + own + " differs from the model: size " + got.length
                            + ", expected " + model.get(own).length);
                }
            } else if (op < 92) {
                String dir = rnd.nextBoolean() ? "a" : "b";
                log("readdir " + dir);
                List<String> names;
                try (Stream<Path> s = Files.list(mnt.resolve(dir))) {
                    names = s.map(p -> p.getFileName().toString()).toList();
                }
                Set<String> unique = new HashSet<>(names);
                if (unique.size() != names.size()) throw new AssertionError("duplicate names in readdir of " + dir + ": " + names);
                for (String k : model.keySet()) {
                    if (k.startsWith(dir + "/") && !unique.contains(k.substring(2))) {
                        throw new AssertionError("own file " + k + " missing from readdir of " + dir);
                    }
                }
                for (String n : names) {
                    if (n.startsWith("w" + id + "-") && !model.containsKey(dir + "/" + n)) {
                        throw new AssertionError("readdir of " + dir + " shows " + n + ", which this worker removed");
                    }
                }
            } else {
                // another worker's file, which may move or vanish meanwhile: only odd errors count
                String dir = rnd.nextBoolean() ? "a" : "b";
                String n = "w" + ((id + 1 + rnd.nextInt(WORKERS - 1)) % WORKERS) + "-l" + rnd.nextInt(8);
                log("read-other " + dir + "/" + n);
                try {
                    Files.readAllBytes(mnt.resolve(dir).resolve(n));
                } catch (NoSuchFileException expected) {
                    // renamed or removed by its owner
                }
            }
        }
    }

    @Test
    void concurrentMixedOperationsMatchTheModelAndSurviveARemount() throws Exception {
        Host.assumeRootAndFuse();
        stack = MountedStack.create(tmp, 1);
        Map<String, byte[]> initial = new TreeMap<>();
        SplittableRandom seeds = new SplittableRandom(SEED);
        for (String dir : List.of("a", "b")) {
            Files.createDirectories(stack.lower(0).resolve(dir));
            for (int w = 0; w < WORKERS; w++) {
                for (int k = 0; k < 4; k++) {
                    String rel = dir + "/w" + w + "-l" + (dir.equals("a") ? k : k + 4);
                    byte[] data = new byte[4096 + seeds.nextInt(60 << 10)];
                    seeds.nextBytes(data);
                    Files.write(stack.lower(0).resolve(rel), data);
                    initial.put(rel, data);
                }
            }
        }
        stack.mount();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        List<Worker> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            Worker wk = new Worker(w, stack.mnt(), seeds.nextLong(), end);
            String prefix = "w" + w + "-";
            initial.forEach((k, v) -> {
                if (k.substring(2).startsWith(prefix)) wk.model.put(k, v);
            });
            workers.add(wk);
        }
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (Worker wk : workers) fs.add(pool.submit(wk));
            pool.shutdown();
            if (!pool.awaitTermination(SECONDS + WATCHDOG_SECONDS, TimeUnit.SECONDS)) {
                fail("workers still running " + WATCHDOG_SECONDS + " s after the end (deadlock?), seed " + SEED + "\n" + threadDump());
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new AssertionError("seed " + SEED + ": " + e.getCause().getMessage(), e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long total = workers.stream().mapToLong(w -> w.ops).sum();
        System.out.println("StressIT: " + total + " ops in " + SECONDS + " s by " + WORKERS + " workers (seed " + SEED + ")");
        assertEquals(0, stack.session().unexpectedFailures(), "requests answered EIO because of a bug");

        Map<String, byte[]> expected = new TreeMap<>();
        workers.forEach(w -> expected.putAll(w.model));
        verify(stack.mnt(), expected);
        stack.close();
        assertEquals(List.of(), Trees.names(stack.work().resolve("work")), "workdir leftovers after unmount");
        assertArrayEquals(initial.get("a/w0-l0"), Files.readAllBytes(stack.lower(0).resolve("a/w0-l0")), "lower changed");
        stack.mount();
        verify(stack.mnt(), expected);
    }

    private static void verify(Path mnt, Map<String, byte[]> expected) throws IOException {
        Map<String, byte[]> actual = new TreeMap<>();
        for (String dir : List.of("a", "b")) {
            for (String n : Trees.names(mnt.resolve(dir))) actual.put(dir + "/" + n, Files.readAllBytes(mnt.resolve(dir).resolve(n)));
        }
        assertEquals(expected.keySet(), actual.keySet(), "seed " + SEED);
        for (String k : expected.keySet()) assertArrayEquals(expected.get(k), actual.get(k), k + ", seed " + SEED);
    }

    private static String threadDump() {
        StringBuilder sb = new StringBuilder();
        Thread.getAllStackTraces().forEach((t, st) -> {
            sb.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement e : st) sb.append("    at ").append(e).append('\n');
        });
        return sb.toString();
    }
}
