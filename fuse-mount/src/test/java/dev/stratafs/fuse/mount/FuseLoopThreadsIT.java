package dev.stratafs.fuse.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stratafs.fuse.DirBackend;
import dev.stratafs.fuse.FuseOptions;
import dev.stratafs.fuse.Sh;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The FUSE loop runs on the session's own Java threads (not on libfuse's pthreads, which jffi
 * would attach to the JVM per callback) and serves requests in parallel.
 *
 * <pre>
 * dir/                  (0755, so that another uid can reach the mount)
 *   back/               (host directory, the backend)
 *     hello.txt  "hello\n"
 *     d0/slow .. d11/slow  (empty; getattr of them can be made to block)
 *   mnt/                (the mount of back/)
 * </pre>
 */
class FuseLoopThreadsIT {
    private static final int PARALLEL = 12;
    Path dir;
    Path back;
    Path mnt;
    DirBackend backend;
    MountSession session;

    @BeforeEach
    void setUp() throws IOException {
        dir = Files.createTempDirectory("fuseloop", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        back = Files.createDirectory(dir.resolve("back"));
        mnt = Files.createDirectory(dir.resolve("mnt"));
        Files.setPosixFilePermissions(back, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(back.resolve("hello.txt"), "hello\n");
        for (int i = 0; i < PARALLEL; i++) Files.createFile(Files.createDirectory(back.resolve("d" + i)).resolve("slow"));
        backend = new DirBackend(back);
    }

    @AfterEach
    void tearDown() throws IOException, InterruptedException {
        try {
            if (session != null) session.close();
            assertFalse(DirBackendMountIT.fuseMountedAt(mnt), "mount left behind at " + mnt);
        } finally {
            Sh.run("rm", "-rf", dir.toString());
        }
    }

    private void mount(FuseOptions.Builder options) throws IOException {
        // No caches: every stat below must reach the filesystem.
        session = MountSession.mount(backend, mnt, options.timeoutSeconds(0).build());
    }

    @Test
    void callbacksRunOnTheSessionsWorkerThreadsAndDestroyOnItsLoopThread() throws Exception {
        mount(FuseOptions.builder());
        for (int i = 0; i < 50; i++) {
            assertEquals("hello\n", Files.readString(mnt.resolve("hello.txt")));
            try (Stream<Path> s = Files.list(mnt)) {
                assertEquals(PARALLEL + 1, s.count());
            }
        }
        session.close();
        Set<String> names = session.callbackThreadNames();
        assertTrue(names.stream().anyMatch(n -> n.startsWith("stratafs-fuse-worker-")), names.toString());
        // destroy comes from fuse_teardown on the thread that started the loop
        assertTrue(names.stream().anyMatch(n -> n.startsWith("stratafs-fuse-loop ")), names.toString());
        for (String n : names) {
            assertTrue(n.startsWith("stratafs-fuse-worker-") || n.startsWith("stratafs-fuse-loop "),
                    "callback on a thread the loop did not start: " + n + " in " + names);
        }
    }

    @Test
    void blockingRequestsAreServedConcurrently() throws Exception {
        // Each getattr of a slow file waits until all PARALLEL of them are in the filesystem at
        // once: served one at a time, the first would wait out the barrier and fail. One
        // directory each: without FUSE_PARALLEL_DIROPS (libfuse 2 does not offer it) the kernel
        // serializes lookups within one directory.
        CyclicBarrier allIn = new CyclicBarrier(PARALLEL);
        backend.beforeGetattr(path -> {
            if (!path.endsWith("/slow")) return;
            try {
                allIn.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException | BrokenBarrierException | TimeoutException e) {
                throw new IllegalStateException("requests were not served in parallel: " + e);
            }
        });
        mount(FuseOptions.builder());
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Future<Long>> sizes = new ArrayList<>();
            for (int i = 0; i < PARALLEL; i++) {
                Path p = mnt.resolve("d" + i).resolve("slow");
                sizes.add(pool.submit(() -> {
                    try {
                        return (Long) Files.getAttribute(p, "unix:size", LinkOption.NOFOLLOW_LINKS);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
            }
            for (Future<Long> f : sizes) assertEquals(0L, f.get(30, TimeUnit.SECONDS));
        } finally {
            allIn.reset(); // frees any waiter should the test fail
            pool.shutdownNow();
        }
        assertEquals(0, session.unexpectedFailures());
    }

    @Test
    void anIdleMountsWorkersStopPollingAfterOneWindow() throws Exception {
        // The longest window (10 ms): a reader that kept polling while no request came would
        // show about the whole second below as CPU time.
        mount(FuseOptions.builder().busyPollMicros(FuseOptions.MAX_BUSY_POLL_MICROS));
        for (int i = 0; i < 200; i++) assertEquals("hello\n", Files.readString(mnt.resolve("hello.txt")));
        Thread.sleep(200);
        long before = workerCpuNanos();
        Thread.sleep(1000);
        long used = workerCpuNanos() - before;
        assertTrue(used < TimeUnit.MILLISECONDS.toNanos(50), "idle workers used " + used / 1_000_000 + " ms of CPU in 1 s");
        assertEquals("hello\n", Files.readString(mnt.resolve("hello.txt")), "served again after the idle spell");
    }

    /** CPU time of this JVM's FUSE worker threads so far. */
    private static long workerCpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t == null || !t.getThreadName().startsWith("stratafs-fuse-worker-")) continue;
            long cpu = mx.getThreadCpuTime(t.getThreadId());
            if (cpu > 0) total += cpu;
        }
        return total;
    }

    @Test
    void workerThreadsSeeTheCallingProcessInTheFuseContext() throws Exception {
        mount(FuseOptions.builder().allowOther(true));
        // DirBackend.create owns the new file to the caller libfuse reports (fuse_get_context).
        Sh.run("setpriv", "--reuid=4321", "--regid=4322", "--clear-groups", "touch", mnt.resolve("mine").toString()).requireOk();
        assertEquals(4321, Files.getAttribute(back.resolve("mine"), "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(4322, Files.getAttribute(back.resolve("mine"), "unix:gid", LinkOption.NOFOLLOW_LINKS));
    }
}
