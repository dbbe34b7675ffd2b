package dev.stratafs.fuse;

import dev.stratafs.core.CallerRights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntUnaryOperator;

/**
 * The rights of the process behind a request, read from /proc/[pid] the first time they are
 * asked for (a truncating open of a set-ID file, a listing with trusted.* names: rare), never on
 * the hot path. What cannot be read counts as no right, so a doubt clears set-ID bits and hides
 * trusted.* names.
 *
 * <p>The kernel asks capable(), a capability in the initial user namespace; a process in another
 * user namespace than the daemon's (a rootless container) may show a capability in CapEff and
 * still lack it here, so capabilities count only in the daemon's own namespace
 * (user_namespaces(7)).
 */
final class ProcessRights implements CallerRights {
    /** capability.h bits. */
    static final int CAP_FSETID = 4, CAP_SYS_ADMIN = 21;

    private final Path procRoot;
    private final int pid;
    private final Path selfUserNs;
    private final int hostFsgid;
    private final IntUnaryOperator storedGidToHost;
    private Status status;

    /**
     * @param procRoot /proc (a test's stand-in)
     * @param pid the requesting thread (fuse_in_header pid)
     * @param selfUserNs the daemon's /proc/self/ns/user
     * @param hostFsgid the request's gid (fuse_in_header), a host id
     * @param storedGidToHost how a stored gid shows to the kernel (id mapping, squashing)
     */
    ProcessRights(Path procRoot, int pid, Path selfUserNs, int hostFsgid, IntUnaryOperator storedGidToHost) {
        this.procRoot = procRoot;
        this.pid = pid;
        this.selfUserNs = selfUserNs;
        this.hostFsgid = hostFsgid;
        this.storedGidToHost = storedGidToHost;
    }

    @Override
    public boolean fsetid() {
        return status().has(CAP_FSETID);
    }

    @Override
    public boolean sysAdmin() {
        return status().has(CAP_SYS_ADMIN);
    }

    @Override
    public boolean inGroup(int storedGid) {
        int host = storedGidToHost.applyAsInt(storedGid);
        if (host == hostFsgid) return true;
        for (int g : status().groups) {
            if (g == host) return true;
        }
        return false;
    }

    /** One request asks from one thread: no lock. */
    private Status status() {
        if (status == null) status = Status.read(procRoot.resolve(Integer.toUnsignedString(pid)), selfUserNs);
        return status;
    }

    /** What /proc/[pid]/status says (proc(5): CapEff in hex, Groups in decimal). */
    private record Status(long caps, int[] groups) {
        static final Status NONE = new Status(0, new int[0]);

        boolean has(int cap) {
            return (caps & (1L << cap)) != 0;
        }

        static Status read(Path proc, Path selfUserNs) {
            String text;
            boolean sameNs;
            try {
                text = Files.readString(proc.resolve("status"));
                sameNs = Files.readSymbolicLink(proc.resolve("ns/user")).equals(Files.readSymbolicLink(selfUserNs));
            } catch (IOException | RuntimeException e) {
                // Gone already, or /proc unreadable: no rights.
                return NONE;
            }
            long caps = 0;
            int[] groups = new int[0];
            for (String line : text.split("\n")) {
                if (line.startsWith("CapEff:") && sameNs) {
                    caps = parseCaps(line.substring(7).trim());
                } else if (line.startsWith("Groups:")) {
                    groups = parseGroups(line.substring(7).trim());
                }
            }
            return new Status(caps, groups);
        }

        private static long parseCaps(String hex) {
            try {
                return Long.parseUnsignedLong(hex, 16);
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        private static int[] parseGroups(String list) {
            if (list.isEmpty()) return new int[0];
            String[] parts = list.split("\\s+");
            int[] out = new int[parts.length];
            int n = 0;
            for (String p : parts) {
                try {
                    out[n] = Integer.parseUnsignedInt(p);
                    n++;
                } catch (NumberFormatException e) {
                    // not a gid: skipped
                }
            }
            return Arrays.copyOf(out, n);
        }
    }
}
