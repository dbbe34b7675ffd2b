package dev.stratafs.fuse.jnr;

import jnr.ffi.LibraryLoader;

/** Binds a jnr-ffi interface to the first of two library names that loads. */
final class NativeLibs {
    private NativeLibs() {}

    static <T> T load(Class<T> api, String name, String fallback) {
        try {
            return LibraryLoader.create(api).failImmediately().load(name);
        } catch (LinkageError | RuntimeException e) {
            return LibraryLoader.create(api).failImmediately().load(fallback);
        }
    }
}
