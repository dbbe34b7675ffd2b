package dev.stratafs.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Configures logback in code (no XML parsing at start-up): one appender, to stderr or to a file,
 * at INFO, or DEBUG with -d / -o debug. The wanted set-up travels in system properties so that
 * logback's own start-up ({@link DefaultLogConfigurator}) applies it directly, once.
 */
final class LogSetup {
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{24} - %msg%n";
    static final String FILE_PROPERTY = "stratafs.log.file";
    static final String LEVEL_PROPERTY = "stratafs.log.level";
    private static final String APPLIED_KEY = "stratafs.log.applied";

    private LogSetup() {}

    /** @param file a log file, or empty for stderr */
    static void configure(Optional<Path> file, boolean debug) {
        String wanted = file.map(Path::toString).orElse("");
        String level = debug ? "DEBUG" : "INFO";
        System.setProperty(FILE_PROPERTY, wanted);
        System.setProperty(LEVEL_PROPERTY, level);
        // Name logback outright: slf4j then skips its class path scan for providers (and says
        // nothing about it below WARN).
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "ch.qos.logback.classic.spi.LogbackServiceProvider");
        }
        if (System.getProperty("slf4j.internal.verbosity") == null) {
            System.setProperty("slf4j.internal.verbosity", "WARN");
        }
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof LoggerContext ctx && !(wanted + "|" + level).equals(ctx.getObject(APPLIED_KEY))) {
            ctx.reset();
            apply(ctx, file, Level.toLevel(level));
        }
    }

    /** Reads the set-up {@link #configure} left in system properties; WARN to stderr when none. */
    static void applyFromProperties(LoggerContext ctx) {
        String f = System.getProperty(FILE_PROPERTY, "");
        apply(ctx, f.isEmpty() ? Optional.empty() : Optional.of(Path.of(f)),
                Level.toLevel(System.getProperty(LEVEL_PROPERTY), Level.WARN));
    }

    private static void apply(LoggerContext ctx, Optional<Path> file, Level level) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(ctx);
        encoder.setPattern(PATTERN);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> appender;
        if (file.isPresent()) {
            FileAppender<ILoggingEvent> fa = new FileAppender<>();
            fa.setFile(file.get().toString());
            fa.setAppend(true);
            appender = fa;
        } else {
            ConsoleAppender<ILoggingEvent> ca = new ConsoleAppender<>();
            ca.setTarget("System.err");
            appender = ca;
        }
        appender.setContext(ctx);
        appender.setName("stratafs");
        appender.setEncoder(encoder);
        appender.start();
        Logger root = ctx.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level);
        root.addAppender(appender);
        ctx.putObject(APPLIED_KEY, file.map(Path::toString).orElse("") + "|" + level);
    }

    /** Where a daemon's output goes when its log file cannot be written. */
    static final Path DISCARD = Path.of("/dev/null");

    /**
     * {@link #daemonLogFile}, created if need be, or {@link #DISCARD} with a warning on {@code err}
     * (the caller's stderr, before the daemon detaches) when it cannot be appended to.
     */
    static Path writableDaemonLog(Optional<Path> fromOptions, Map<String, String> env, int uid, PrintStream err) {
        Path log = daemonLogFile(fromOptions, env, uid);
        try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            return log;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            err.println("stratafs: warning: cannot write log file " + log + "; daemon output is discarded");
            return DISCARD;
        }
    }

    /**
     * Where a daemon logs: {@code -o log=FILE}, else $STRATAFS_LOG, else /var/log/stratafs.log
     * for root, else $XDG_RUNTIME_DIR/stratafs.log, else /tmp/stratafs-UID.log.
     */
    static Path daemonLogFile(Optional<Path> fromOptions, Map<String, String> env, int uid) {
        if (fromOptions.isPresent()) {
            return fromOptions.get();
        }
        String fromEnv = env.get("STRATAFS_LOG");
        if (fromEnv != null && !fromEnv.isEmpty()) {
            return Path.of(fromEnv).toAbsolutePath();
        }
        if (uid == 0) {
            return Path.of("/var/log/stratafs.log");
        }
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty()) {
            return Path.of(runtime, "stratafs.log");
        }
        return Path.of("/tmp/stratafs-" + uid + ".log");
    }
}
