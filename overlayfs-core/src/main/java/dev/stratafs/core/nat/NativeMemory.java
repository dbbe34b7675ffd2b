package dev.stratafs.core.nat;

import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Copies between heap arrays and native memory known only by its address (the buffers FUSE
 * hands the adapter), for callers outside this package, which may not touch jnr-ffi.
 */
public final class NativeMemory {
    private NativeMemory() {}

    private static Pointer at(long address) {
        return Runtime.getSystemRuntime().getMemoryManager().newPointer(address);
    }

    /** Copies {@code len} bytes of {@code src} from {@code off} to {@code address}. */
    public static void put(long address, byte[] src, int off, int len) {
        at(address).put(0, src, off, len);
    }

    /** Copies {@code len} bytes at {@code address} into {@code dst} from {@code off}. */
    public static void get(long address, byte[] dst, int off, int len) {
        at(address).get(0, dst, off, len);
    }
}
