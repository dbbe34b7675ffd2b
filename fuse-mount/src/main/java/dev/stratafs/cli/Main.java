package dev.stratafs.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The {@code stratafs} command: {@code stratafs [-f] [-d] -o DATA MOUNTPOINT} (the mount program
 * interface of fuse-overlayfs, which podman and containers/storage call), {@code --help},
 * {@code --version}, and the {@code image}/{@code mount} subcommands when built in.
 * Errors print {@code stratafs: MESSAGE} on stderr and exit with status 1.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.getenv()));
    }

    /** Runs a mount command line as main would, without exiting (for subcommands that end in a mount). */
    public static int execute(String[] args) {
        return run(args, System.getenv());
    }

    static int run(String[] args, Map<String, String> env) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        if (Subcommands.handles(args)) {
            return Subcommands.run(args, err);
        }
        for (String a : args) {
            if (a.equals("--")) {
                break;
            }
            if (a.equals("--help") || a.equals("-h")) {
                out.print(HelpText.HELP);
                out.flush();
                return 0;
            }
            if (a.equals("--version") || a.equals("-V")) {
                out.println(HelpText.versionLine());
                out.flush();
                return 0;
            }
        }
        if (args.length == 0) {
            err.println("stratafs: missing options and mountpoint");
            err.println("usage: stratafs [-f] [-d] -o lowerdir=A:B:C[,upperdir=U,workdir=W][,OPTION...] MOUNTPOINT");
            err.println("try 'stratafs --help' for more information");
            return 1;
        }
        String statusFile = env.get(Daemonizer.STATUS_ENV);
        boolean daemonChild = statusFile != null && !statusFile.isEmpty();
        StartReport channel = daemonChild ? new DaemonChild(Path.of(statusFile)) : null;
        int uid = Identity.uid();
        MountRequest req;
        try {
            req = new MountOptionsParser(uid == 0, Path.of("").toAbsolutePath()).parse(List.of(args));
        } catch (CliException e) {
            return fail(err, channel, e.getMessage());
        }
        if (!daemonChild) {
            req.warnings().forEach(w -> err.println("stratafs: warning: " + w));
        }
        int launcherFd = launcherFd(env);
        try {
            if (!req.foreground() && !daemonChild && launcherFd < 0) {
                return new Daemonizer(env, uid).run(args, req);
            }
            NativeWarmup.start();
            if (!req.foreground() && !daemonChild) {
                channel = detachForLauncher(req, env, uid, launcherFd, err);
                daemonChild = true;
            }
            // A daemon child logs to stderr, which is the log file by now.
            LogSetup.configure(daemonChild ? java.util.Optional.empty() : req.logFile(), req.debug());
            if (daemonChild) {
                org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Main.class);
                log.info("stratafs {} daemon pid {}: {}", HelpText.VERSION, ProcessHandle.current().pid(), Arrays.toString(args));
                req.warnings().forEach(w -> log.warn("{}", w)); // the caller saw them on its stderr
            }
            return MountRunner.run(req, channel != null ? channel : () -> { });
        } catch (CliException e) {
            if (daemonChild) {
                org.slf4j.LoggerFactory.getLogger(Main.class).error("{}", e.getMessage(), e.getCause());
            }
            return fail(err, channel, e.getMessage());
        } catch (RuntimeException | Error e) {
            // A bug, not a usage problem: log it whole, then exit so that no half-started
            // daemon lingers (libfuse threads would keep the JVM alive).
            org.slf4j.LoggerFactory.getLogger(Main.class).error("internal error", e);
            return fail(err, channel, "internal error: " + MountRunner.message(e));
        }
    }

    /** The launcher's report descriptor, or -1 when scripts/stratafs did not start us as the daemon. */
    static int launcherFd(Map<String, String> env) {
        String v = env.get(LauncherChannel.FD_ENV);
        if (v == null || !v.matches("[0-9]{1,4}")) {
            return -1;
        }
        return Integer.parseInt(v);
    }

    /**
     * scripts/stratafs started this JVM as the daemon, in a session of its own, and waits on a
     * pipe for the outcome: what Daemonizer's parent checks up front is checked here while the
     * caller still sees our stderr, then the standard descriptors go where a daemon's go.
     */
    private static StartReport detachForLauncher(MountRequest req, Map<String, String> env, int uid, int fd,
            PrintStream err) throws CliException {
        MountRunner.requireMountPoint(req.mountPoint());
        Path log = LogSetup.writableDaemonLog(req.logFile(), env, uid, err);
        LauncherChannel channel = LauncherChannel.open(fd);
        channel.logFile(log);
        err.flush();
        try {
            dev.stratafs.fuse.jnr.DaemonStdio.detach(log);
        } catch (java.io.IOException e) {
            channel.close();
            throw new CliException("cannot detach from the caller's terminal: " + e.getMessage(), e);
        }
        return channel;
    }

    private static int fail(PrintStream err, StartReport channel, String message) {
        if (channel != null) {
            channel.failed(message);
        } else {
            err.println("stratafs: " + message);
        }
        return 1;
    }
}
