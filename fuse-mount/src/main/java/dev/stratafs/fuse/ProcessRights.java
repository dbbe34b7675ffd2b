package dev.stratafs.fuse;

import dev.stratafs.core.SetIdRights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.IntUnaryOperator;

/**
 * The rights of the process behind a request over set-ID bits, read from /proc/[pid] the first
 * time they are asked for (a truncating open of a set-ID file, rare), never on the hot path.
 * What cannot be read counts as no right, so a doubt clears the bits.
 *
 * <p>The kernel asks capable(CAP_FSETID), a capability in the initial user namespace; a process
 * in another user namespace than the daemon's (a rootless container) may show CAP_FSETID in
 * CapEff and still lack it here, so it counts only in the daemon's own namespace
 * (user_namespaces(7)).
 */
final class ProcessRights implements SetIdRights {
    /** capability.h: CAP_FSETID. */
    static final int CAP_FSETID = 4;

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
        return status().fsetid;
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
    private record Status(boolean fsetid, int[] groups) {
        static final Status NONE = new Status(false, new int[0]);

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
            boolean cap = false;
            int[] groups = new int[0];
            for (String line : text.split("\n")) {
                if (line.startsWith("CapEff:")) {
                    cap = sameNs && hasBit(line.substring(7).trim(), CAP_FSETID);
                } else if (line.startsWith("Groups:")) {
                    groups = parseGroups(line.substring(7).trim());
                }
            }
            return new Status(cap, groups);
        }

        private static boolean hasBit(String hex, int bit) {
            try {
                return (Long.parseUnsignedLong(hex, 16) & (1L << bit)) != 0;
            } catch (NumberFormatException e) {
                return false;
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
