package dev.stratafs.core.image;

/**
 * Where long image operations (import, commit, export, squash, analyze) report how far they
 * are. Work comes in phases ("layer 3/5 sha256:abcd1234ef56 unpacking"); within a phase the
 * operation advances a byte count toward the phase's total. Callers count in their existing
 * buffer loops, so {@link #advance} is called once per buffer, not per byte; implementations
 * must still be cheap there. Called from the operation's own thread only.
 */
public interface Progress {
    /** Begins a phase; {@code totalBytes} is what it expects to count, -1 when unknown. */
    void start(String phase, long totalBytes);

    /** {@code bytes} more of the current phase are done. */
    void advance(long bytes);

    /** The current phase is over. */
    void done();

    /** Reports nowhere: the default of every operation. */
    Progress NONE = new Progress() {
        @Override
        public void start(String phase, long totalBytes) {}

        @Override
        public void advance(long bytes) {}

        @Override
        public void done() {}
    };

    /** The label of layer {@code index} (0-based) of {@code count}: "layer 3/5 sha256:abcd1234ef56 WHAT". */
    static String layer(int index, int count, Digest d, String what) {
        return "layer " + (index + 1) + "/" + count + " sha256:" + d.shortHex() + " " + what;
    }
}
