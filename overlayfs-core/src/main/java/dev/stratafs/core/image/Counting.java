package dev.stratafs.core.image;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Streams that report the bytes passing through them to a {@link Progress}, one call per buffer. */
final class Counting {
    private Counting() {}

    static InputStream in(InputStream in, Progress p) {
        return p == Progress.NONE ? in : new In(in, p);
    }

    static OutputStream out(OutputStream out, Progress p) {
        return p == Progress.NONE ? out : new Out(out, p);
    }

    private static final class In extends FilterInputStream {
        private final Progress p;

        In(InputStream in, Progress p) {
            super(in);
            this.p = p;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                p.advance(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                p.advance(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = in.skip(n);
            if (s > 0) {
                p.advance(s);
            }
            return s;
        }

        // mark/reset would count bytes twice
        @Override
        public boolean markSupported() {
            return false;
        }
    }

    private static final class Out extends FilterOutputStream {
        private final Progress p;

        Out(OutputStream out, Progress p) {
            super(out);
            this.p = p;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            p.advance(1);
        }

        // FilterOutputStream's default writes byte by byte
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            p.advance(len);
        }
    }
}
