package io.siprelay.core.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection. The write queue, the codec and state changes are guarded by the connection's monitor; the
 * framer is used by the selector thread only.
 */
final class StreamConnection implements StreamFramer.Sink, StreamCodec.Wire {
    private static final Logger TRACE = LoggerFactory.getLogger(StreamConnection.class);
    private static final byte[] PONG = {'\r', '\n'};

    final StreamTransport owner;
    final SocketChannel channel;
    final InetSocketAddress remote;
    final StreamCodec codec;
    final StreamFramer framer;
    final long createdAt = System.nanoTime();
    /** Wire bytes waiting for the socket. */
    final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    int queuedBytes;
    volatile long lastActivity = createdAt;
    volatile boolean connected;
    volatile boolean closed;
    volatile SelectionKey key;

    StreamConnection(StreamTransport owner, SocketChannel channel, InetSocketAddress remote, StreamCodec codec) {
        this.owner = owner;
        this.channel = channel;
        this.remote = remote;
        this.codec = codec;
        this.framer = new StreamFramer(owner.options());
        owner.opened(this);
    }

    void touch() {
        lastActivity = System.nanoTime();
    }

    boolean established() {
        return connected && codec.established();
    }

    /** The TCP connection is up: start the codec and write what is queued. */
    void connected() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            connected = true;
            touch();
            codec.start(this);
            flush();
        }
    }

    @Override
    public void add(ByteBuffer bytes) {
        queue.add(bytes);
        queuedBytes += bytes.remaining();
    }

    /**
     * Sends or queues {@code bytes}. Returns false when the connection is already closed (the caller may
     * open a new one); throws when the queue is full or the write fails (the connection is then closed).
     */
    boolean enqueue(byte[] bytes) throws IOException {
        IOException failure;
        synchronized (this) {
            if (closed) {
                return false;
            }
            long pending = queuedBytes + (long) codec.heldBytes();
            if (pending + bytes.length > owner.options().maxWriteQueueBytes()) {
                throw new IOException("write queue to " + remote + " full (" + pending + " bytes)");
            }
            try {
                codec.encode(ByteBuffer.wrap(bytes), this);
                flush();
                return true;
            } catch (IOException | CancelledKeyException e) {
                failure = e instanceof IOException ? (IOException) e : new IOException("connection closed", e);
            }
        }
        close(failure.getMessage());
        throw new IOException("send to " + remote + " failed: " + failure.getMessage(), failure);
    }

    /**
     * Under the monitor (re-entered when needed): writes what the socket takes once connected, and keeps
     * OP_WRITE on exactly while bytes remain.
     */
    void flush() throws IOException {
        synchronized (this) {
            if (!connected) {
                return;
            }
            ByteBuffer head;
            while ((head = queue.peek()) != null) {
                int written = channel.write(head);
                queuedBytes -= written;
                if (written > 0) {
                    touch();
                }
                if (head.hasRemaining()) {
                    writeInterest(true); // socket buffer full
                    return;
                }
                queue.poll();
            }
            writeInterest(false);
        }
    }

    private void writeInterest(boolean on) {
        SelectionKey k = key;
        if (k == null) {
            return; // not registered yet: register() adds OP_WRITE when the queue is not empty
        }
        boolean isOn = (k.interestOps() & SelectionKey.OP_WRITE) != 0;
        if (on && !isOn) {
            k.interestOpsOr(SelectionKey.OP_WRITE);
            owner.wakeSelector();
        } else if (!on && isOn) {
            k.interestOpsAnd(~SelectionKey.OP_WRITE);
        }
    }

    @Override
    public void onMessage(byte[] message) {
        owner.deliver(remote, message);
    }

    @Override
    public void onPing() {
        try {
            enqueue(PONG);
        } catch (IOException e) {
            owner.log().debug("{} {}: pong to {} failed: {}", owner.label(), owner.localAddress(), remote, e.toString());
        }
    }

    /** Idempotent, any thread. {@code reason} non-null logs at DEBUG why. */
    void close(String reason) {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (connected && codec.close(this)) {
                writeLastWords();
            }
            queue.clear();
            queuedBytes = 0;
        }
        owner.closed(this, reason);
    }

    /** Under the monitor, closing: one non-blocking pass over the queue; what the socket does not take is lost. */
    private void writeLastWords() {
        try {
            for (ByteBuffer b : queue) {
                channel.write(b);
                if (b.hasRemaining()) {
                    return;
                }
            }
        } catch (IOException e) {
            TRACE.trace("last words to {} lost", remote, e);
        }
    }
}
