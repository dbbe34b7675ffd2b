package dev.stratafs.core.image;

import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Watches a tar stream on its way to commons-compress and keeps the raw bytes of each entry's
 * PAX SCHILY.xattr.* values. commons-compress decodes PAX values as UTF-8 strings, which mangles
 * binary values such as security.capability; Go's archive/tar (docker, containerd) writes them
 * as raw bytes. Entries are numbered in the order commons-compress returns them (one per header
 * that is not a PAX, global PAX or GNU long-name header). On anything it does not understand the
 * sniffer stops, and callers fall back to the decoded strings; callers also check that the raw
 * values decode to the strings commons-compress reports before trusting them.
 */
final class PaxXattrSniffer extends FilterInputStream {
    private static final int MAX_PAX = 1 << 20;
    private final Map<Integer, Map<String, byte[]>> byEntry = new HashMap<>();
    private final byte[] header = new byte[512];
    private int headerFill;
    private long dataLeft; // bytes of data plus padding still to pass
    private long dataLen;
    private ByteArrayOutputStream capture; // PAX data being captured
    private int extensionBlocks; // GNU sparse extension headers pending (-1: more until flag clear)
    private int entries;
    private boolean broken;
    private Map<String, byte[]> pending = new HashMap<>();

    PaxXattrSniffer(InputStream in) {
        super(in);
    }

    /** Raw xattrs of entry {@code index} (0-based), or null when none were seen. */
    Map<String, byte[]> xattrs(int index) {
        return byEntry.get(index);
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            observe(new byte[] {(byte) b}, 0, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            observe(b, off, n);
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.min(n, 8192)];
        int r = read(buf, 0, buf.length);
        return Math.max(r, 0);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void observe(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end && !broken) {
            if (dataLeft > 0) {
                int take = (int) Math.min(dataLeft, end - i);
                if (capture != null) {
                    long want = dataLen - capture.size();
                    int keep = (int) Math.max(0, Math.min(want, take));
                    capture.write(b, i, keep);
                }
                dataLeft -= take;
                i += take;
                if (dataLeft == 0 && capture != null) {
                    parsePax(capture.toByteArray());
                    capture = null;
                }
                continue;
            }
            int take = Math.min(512 - headerFill, end - i);
            System.arraycopy(b, i, header, headerFill, take);
            headerFill += take;
            i += take;
            if (headerFill == 512) {
                headerFill = 0;
                onHeader();
            }
        }
    }

    private void onHeader() {
        if (extensionBlocks != 0) { // GNU sparse extension: flag at 504 says whether another follows
            extensionBlocks = header[504] != 0 ? -1 : 0;
            return;
        }
        boolean zero = true;
        for (byte x : header) {
            if (x != 0) {
                zero = false;
                break;
            }
        }
        if (zero) {
            return; // end-of-archive blocks
        }
        long size = number(124, 12);
        if (size < 0) {
            broken = true;
            return;
        }
        byte type = header[156];
        if (type == 'x' || type == 'X') {
            if (size > MAX_PAX) {
                broken = true;
                return;
            }
            capture = new ByteArrayOutputStream((int) size);
        } else if (type == 'g' || type == 'L' || type == 'K') {
            capture = null;
        } else {
            if (pending.containsKey("\0size")) {
                size = Long.parseLong(new String(pending.remove("\0size"), StandardCharsets.US_ASCII));
            }
            if (!pending.isEmpty()) {
                byEntry.put(entries, pending);
            }
            pending = new HashMap<>();
            entries++;
            if (type == 'S' && header[482] != 0) {
                extensionBlocks = -1;
            }
            capture = null;
        }
        dataLen = size;
        dataLeft = (size + 511) / 512 * 512;
        if (dataLeft == 0 && capture != null) {
            parsePax(new byte[0]);
            capture = null;
        }
    }

    /** Records "LEN key=value\n" (POSIX pax "extended header"); keeps xattrs and size. */
    private void parsePax(byte[] data) {
        int p = 0;
        while (p < data.length) {
            int sp = p;
            while (sp < data.length && data[sp] != ' ') {
                sp++;
            }
            int len;
            try {
                len = Integer.parseInt(new String(data, p, sp - p, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                broken = true;
                return;
            }
            int recEnd = p + len;
            if (len <= 0 || recEnd > data.length || data[recEnd - 1] != '\n') {
                broken = true;
                return;
            }
            int eq = sp + 1;
            while (eq < recEnd && data[eq] != '=') {
                eq++;
            }
            if (eq >= recEnd) {
                broken = true;
                return;
            }
            String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
            byte[] value = java.util.Arrays.copyOfRange(data, eq + 1, recEnd - 1);
            if (key.startsWith("SCHILY.xattr.")) {
                pending.put(key.substring("SCHILY.xattr.".length()), value);
            } else if (key.equals("size")) {
                pending.put("\0size", value);
            }
            p = recEnd;
        }
    }

    /** An octal field, or base-256 when the high bit of its first byte is set (GNU/star). */
    private long number(int off, int len) {
        if ((header[off] & 0x80) != 0) {
            long v = header[off] & 0x7f;
            for (int i = 1; i < len; i++) {
                v = (v << 8) | (header[off + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        boolean any = false;
        for (int i = off; i < off + len; i++) {
            byte c = header[i];
            if (c == 0 || c == ' ') {
                if (any) {
                    break;
                }
                continue;
            }
            if (c < '0' || c > '7') {
                return -1;
            }
            v = v * 8 + (c - '0');
            any = true;
        }
        return v;
    }
}
