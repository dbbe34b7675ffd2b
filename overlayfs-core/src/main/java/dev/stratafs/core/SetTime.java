package dev.stratafs.core;

import dev.stratafs.core.nat.NativeOs;

/** A time for utimens: a value, "now", or "leave unchanged" (utimensat(2) UTIME_NOW/UTIME_OMIT). */
public record SetTime(long sec, long nsec) {
    public static final SetTime NOW = new SetTime(0, NativeOs.UTIME_NOW);
    public static final SetTime OMIT = new SetTime(0, NativeOs.UTIME_OMIT);

    public static SetTime of(long sec, long nsec) {
        return new SetTime(sec, nsec);
    }
}
