package dev.stratafs.core.image;

import dev.stratafs.core.nat.NativeOs;

/**
 * Finds the native layer. Looks up dev.stratafs.core.nat.Natives.get() by reflection because
 * that class is built on another branch; until it exists the tool-based stand-in serves.
 * Once merged, this becomes a plain call.
 */
public final class ImageNatives {
    public static NativeOs get() {
        try {
            Class<?> c = Class.forName("dev.stratafs.core.nat.Natives");
            return (NativeOs) c.getMethod("get").invoke(null);
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            return new ToolNativeOs();
        }
    }

    private ImageNatives() {}
}
