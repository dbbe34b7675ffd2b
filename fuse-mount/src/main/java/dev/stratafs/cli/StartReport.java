package dev.stratafs.cli;

/**
 * How a daemon tells whoever waits for its start (the parent JVM, or the launcher script) that the
 * mount is live or why it is not. Each is said at most once.
 */
interface StartReport extends MountRunner.Readiness {
    void failed(String message);
}
