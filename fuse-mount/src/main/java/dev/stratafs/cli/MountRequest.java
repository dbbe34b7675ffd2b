package dev.stratafs.cli;

import dev.stratafs.core.StackConfig;
import dev.stratafs.fuse.FuseOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one {@code stratafs [-f] [-d] -o DATA MOUNTPOINT} asks for, fully validated: the stack, how
 * to present it, where, and how to run. Immutable.
 *
 * @param stack      layers, upper/work, fsync switch
 * @param fuse       options handed to the FUSE adapter
 * @param mountPoint absolute mountpoint
 * @param foreground stay attached ({@code -f}, implied by {@code -d}); otherwise daemonize
 * @param debug      DEBUG logging ({@code -d} or {@code -o debug})
 * @param logFile    {@code -o log=FILE}, if given
 * @param warnings   words that were ignored, to print on stderr
 * @param notes      accepted-but-ignored words, for a debug log line
 */
record MountRequest(
        StackConfig stack,
        FuseOptions fuse,
        Path mountPoint,
        boolean foreground,
        boolean debug,
        Optional<Path> logFile,
        List<String> warnings,
        List<String> notes) {

    MountRequest {
        Objects.requireNonNull(stack);
        Objects.requireNonNull(fuse);
        Objects.requireNonNull(mountPoint);
        Objects.requireNonNull(logFile);
        warnings = List.copyOf(warnings);
        notes = List.copyOf(notes);
    }
}
