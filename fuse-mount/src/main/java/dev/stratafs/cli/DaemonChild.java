package dev.stratafs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The child half of daemon mode: reports to the waiting parent by writing its status file,
 * {@code READY}, or {@code ERROR} and the message on the following lines. The file is written
 * beside and renamed into place, so the parent never reads half a report.
 */
final class DaemonChild implements StartReport {
    static final String READY = "READY";
    static final String ERROR = "ERROR";

    private final Path status;

    DaemonChild(Path status) {
        this.status = status;
    }

    @Override
    public void ready() {
        write(READY);
    }

    @Override
    public void failed(String message) {
        write(ERROR + "\n" + message);
    }

    private void write(String report) {
        Path tmp = status.resolveSibling(status.getFileName() + ".tmp");
        try {
            Files.writeString(tmp, report, StandardCharsets.UTF_8);
            Files.move(tmp, status, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // The parent then times out or sees us exit; the log says why.
            org.slf4j.LoggerFactory.getLogger(DaemonChild.class).error("cannot report to {}: {}", status, e.toString());
        }
    }
}
