package dev.stratafs.core;

/** statfs answer for the merged view (of the upper, or of the top lower when read-only). */
public record FsStat(long bsize, long frsize, long blocks, long bfree, long bavail,
                     long files, long ffree, long namemax) {}
