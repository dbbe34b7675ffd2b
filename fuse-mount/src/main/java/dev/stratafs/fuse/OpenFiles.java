package dev.stratafs.fuse;

import dev.stratafs.core.OpenFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What both engines do with their table of open files at unmount. */
public final class OpenFiles {
    private static final Logger LOG = LoggerFactory.getLogger(OpenFiles.class);

    private OpenFiles() {}

    /** The kernel connection is gone, so nobody can release what is still open: close it all. */
    public static void closeAtUnmount(HandleTable<OpenFile> files) {
        for (OpenFile f : files.drain()) {
            try {
                f.close();
            } catch (Throwable t) {
                LOG.debug("closing {} at unmount: {}", f.path(), t.toString());
            }
        }
    }
}
