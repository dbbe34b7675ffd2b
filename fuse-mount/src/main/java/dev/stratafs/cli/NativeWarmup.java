package dev.stratafs.cli;

/**
 * Binds the core's native calls (jnr-ffi generates their glue at run time, the biggest single
 * start-up cost) on a helper thread while the main thread sets up logging. The core does not
 * log, so nothing here races logging's own start-up. A failure is kept so the main thread can
 * report the real cause instead of "Could not initialize class".
 */
final class NativeWarmup {
    private static volatile Throwable failure;

    private NativeWarmup() {}

    static void start() {
        Thread t = new Thread(() -> {
            try {
                dev.stratafs.core.nat.Natives.get();
            } catch (Throwable e) {
                failure = e;
            }
        }, "stratafs-native-warmup");
        t.setDaemon(true);
        t.start();
    }

    /** The warm-up's own failure, if any. */
    static Throwable failure() {
        return failure;
    }
}
