package dev.stratafs.core.image;

/** What one layer held: entries created, bytes of regular-file content, whiteouts, opaque dirs. */
record UnpackStats(long entries, long contentBytes, long whiteouts, long opaqueDirs) {}
