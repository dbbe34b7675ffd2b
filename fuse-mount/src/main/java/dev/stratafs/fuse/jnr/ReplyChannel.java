package dev.stratafs.fuse.jnr;

import dev.stratafs.fuse.errno.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A libfuse channel that {@link FuseLoop} hands to fuse_session_process instead of the kernel
 * channel: libfuse sends each reply through it (fuse_lowlevel.c fuse_send_msg calls
 * fuse_chan_send(req->ch, ...)), synchronously on the worker that processes the request. Its send
 * fixes what libfuse 2's one-node-per-path design gets wrong about hard links, then forwards the
 * reply unchanged otherwise, returning the kernel channel's result (libfuse acts on -ENOENT,
 * "interrupted"):
 * <ul>
 * <li>attributes of a non-directory with nlink > 1 get no cache lifetime
 *     ({@link HardLinkAttrTimeout});
 * <li>a successful LINK first invalidates the cached attributes of the source's kernel node,
 *     which still hold nlink 1 under the long timeout (fs/fuse/dir.c fuse_link only updates its
 *     ctime), before the reply lets link(2) return.
 * </ul>
 * Same fd and buffer size as the kernel channel, for what libfuse reads from the channel it
 * processes on (fuse_chan_bufsize in do_init, fuse_chan_fd for splice). Notifications (unique 0)
 * and replies for another request than the worker's (an interrupt's EAGAIN) pass untouched.
 */
final class ReplyChannel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplyChannel.class);
    /** struct fuse_out_header { u32 len; s32 error; u64 unique; }. */
    private static final int OUT_HEADER_SIZE = 16;
    /** struct fuse_in_header { u32 len; u32 opcode; u64 unique; u64 nodeid; u32 uid, gid, pid, padding; }. */
    private static final int IN_HEADER_SIZE = 40;
    /** struct fuse_link_in { u64 oldnodeid; } follows the in header. */
    private static final int LINK_IN_SIZE = 8;

    private final LibFuseLoop lib;
    private final Pointer kernel;
    private final Pointer channel;
    private final int addressSize;
    // Strong references: the native channel calls these for as long as the mount lives.
    private final LibFuseLoop.Send send = this::send;
    private final LibFuseLoop.Receive receive = (chp, buf, size) -> -Errno.EIO;
    private final Pointer sendPointer;
    private final Pointer receivePointer;
    /** The request buffer of the worker running on this thread (see {@link #bindWorker}). */
    private final ThreadLocal<Worker> workers = new ThreadLocal<>();

    private record Worker(Pointer request, ByteBuffer scratch) {}

    ReplyChannel(LibFuseLoop lib, Pointer kernelChannel) throws IOException {
        this.lib = lib;
        this.kernel = kernelChannel;
        Runtime rt = Runtime.getSystemRuntime();
        this.addressSize = rt.addressSize();
        this.sendPointer = rt.getClosureManager().getClosurePointer(LibFuseLoop.Send.class, send);
        this.receivePointer = rt.getClosureManager().getClosurePointer(LibFuseLoop.Receive.class, receive);
        // struct fuse_chan_ops { receive; send; destroy; }: no destroy, the kernel channel owns the fd.
        // receive is never called (workers read from the kernel channel); should libfuse ever
        // call it, it answers EIO instead of jumping to NULL.
        Pointer ops = Memory.allocateDirect(rt, 3 * addressSize, true);
        ops.putPointer(0, receivePointer);
        ops.putPointer(addressSize, sendPointer);
        this.channel = lib.fuse_chan_new(ops, lib.fuse_chan_fd(kernelChannel), lib.fuse_chan_bufsize(kernelChannel), null);
        if (channel == null) throw new IOException("libfuse could not allocate a channel (fuse_chan_new)");
    }

    /** The channel to pass to fuse_session_process. */
    Pointer pointer() {
        return channel;
    }

    /** Called once by each worker thread with the buffer it receives requests into. */
    void bindWorker(Pointer requestBuffer) {
        ByteBuffer scratch = ByteBuffer.allocate(HardLinkAttrTimeout.CREATE_OUT_SIZE).order(ByteOrder.nativeOrder());
        workers.set(new Worker(requestBuffer, scratch));
    }

    void unbindWorker() {
        workers.remove();
    }

    /** Frees the channel; only once no worker is inside libfuse any more. */
    @Override
    public void close() {
        lib.fuse_chan_destroy(channel);
    }

    private int send(Pointer ch, Pointer iov, long count) {
        Worker w = workers.get();
        if (w != null && iov != null && count >= 1) {
            try {
                inspect(w, iov, count);
            } catch (RuntimeException e) {
                // A bug here must not lose the reply: the kernel would wait for it forever.
                LOG.error("inspecting a FUSE reply failed; sent unchanged", e);
            }
        }
        return lib.fuse_chan_send(kernel, iov, count);
    }

    private void inspect(Worker w, Pointer iov, long count) {
        // struct iovec { void *iov_base; size_t iov_len; }; iov[0] is the header alone
        // (fuse_send_reply_iov_nofree), iov[1] the argument of a one-argument reply.
        if (iov.getAddress(addressSize) != OUT_HEADER_SIZE) return;
        Pointer header = iov.getPointer(0);
        long unique = header.getLong(8);
        int error = header.getInt(4);
        Pointer request = w.request();
        if (unique == 0 || unique != request.getLong(8) || error != 0) return;
        int opcode = request.getInt(4);
        if (count == 2) {
            long argLen = iov.getAddress(3L * addressSize);
            ByteBuffer scratch = w.scratch();
            if (argLen > 0 && argLen <= scratch.capacity() && HardLinkAttrTimeout.answersAttributes(opcode)) {
                Pointer arg = iov.getPointer(2L * addressSize);
                int len = (int) argLen;
                scratch.clear().limit(len);
                arg.get(0, scratch.array(), 0, len);
                if (HardLinkAttrTimeout.apply(opcode, scratch)) arg.put(0, scratch.array(), 0, len);
            }
        }
        if (opcode == HardLinkAttrTimeout.FUSE_LINK
                && Integer.toUnsignedLong(request.getInt(0)) >= IN_HEADER_SIZE + LINK_IN_SIZE) {
            long source = request.getLong(IN_HEADER_SIZE);
            int res = lib.fuse_lowlevel_notify_inval_inode(kernel, source, -1, 0);
            // -ENOENT: the kernel has no inode for the node any more, so nothing is cached.
            if (res != 0 && res != -Errno.ENOENT) LOG.debug("invalidating node {} after LINK: {}", source, res);
        }
    }
}
