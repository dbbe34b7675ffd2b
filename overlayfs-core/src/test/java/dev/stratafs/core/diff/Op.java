package dev.stratafs.core.diff;

import dev.stratafs.core.error.FsException;

/**
 * One step of a script, written once against {@link MergedFs} and applied to each side. Returns
 * what a reading step observed (null for mutations).
 */
interface Op {
    String describe();

    String apply(MergedFs fs) throws FsException;

    /** Runs the step and records how it ended; never throws for filesystem errors. */
    default Outcome run(MergedFs fs) {
        try {
            return Outcome.ok(apply(fs));
        } catch (FsException e) {
            return Outcome.of(e);
        }
    }
}
