package dev.stratafs.core;

/** One entry of a merged directory listing: name, the mount's inode number and the file type bits. */
public record DirEntry(String name, long ino, int type) {}
