package dev.stratafs.core.nat;

/** Entry point to the native layer: one {@link NativeOs}, libc bound once per JVM. */
public final class Natives {
    private Natives() {}

    /** The process-wide implementation; thread-safe. Binding happens on first call. */
    public static NativeOs get() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final NativeOs INSTANCE = new JnrNativeOs();
    }
}
