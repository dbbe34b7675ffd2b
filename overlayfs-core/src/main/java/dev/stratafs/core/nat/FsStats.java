package dev.stratafs.core.nat;

/** What statvfs(3) said of a filesystem. */
public record FsStats(long bsize, long frsize, long blocks, long bfree, long bavail,
                      long files, long ffree, long favail, long fsid, long flag, long namemax) {}
