package io.siprelay.core.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * What a {@link StreamTransport} connection does to its bytes between the application (whole SIP messages) and the
 * socket: nothing ({@link #PLAIN}, TCP) or TLS ({@link TlsCodec}). One codec per connection.
 *
 * <p>Every method is called under the connection's monitor, so a codec needs no locking of its own.
 * {@link #read} is called on the selector thread only; {@link #encode} on any thread that sends.
 */
interface StreamCodec {

    /** Where a codec puts bytes for the socket, in order. The connection counts them against its queue limit. */
    interface Wire {
        void add(ByteBuffer bytes);
    }

    /** The codec of plain TCP: application bytes are the wire bytes. Stateless. */
    StreamCodec PLAIN = new StreamCodec() {
        @Override
        public void start(Wire wire) {
        }

        @Override
        public boolean established() {
            return true;
        }

        @Override
        public void encode(ByteBuffer app, Wire wire) {
            wire.add(app);
        }

        @Override
        public int heldBytes() {
            return 0;
        }

        @Override
        public ByteBuffer read(SocketChannel channel, ByteBuffer scratch, Wire wire) throws IOException {
            scratch.clear();
            if (channel.read(scratch) < 0) {
                return null;
            }
            return scratch.flip();
        }

        @Override
        public boolean inboundDone() {
            return false;
        }

        @Override
        public boolean close(Wire wire) {
            return false;
        }
    };

    /** The TCP connection is up (accepted, or an outbound connect finished): TLS starts its handshake here. */
    void start(Wire wire) throws IOException;

    /** True once application bytes can flow (TCP: at once; TLS: after the handshake). */
    boolean established();

    /**
     * Takes application bytes to send: puts their wire form on {@code wire}, or holds them (TLS before the
     * handshake is done) to put them there later. Consumes {@code app}.
     */
    void encode(ByteBuffer app, Wire wire) throws IOException;

    /** Application bytes taken by {@link #encode} that are not on the wire yet. */
    int heldBytes();

    /**
     * Selector thread: reads what {@code channel} has and returns the application bytes found (possibly none), or
     * null at the end of the stream. Bytes the codec must answer with (TLS handshake) go on {@code wire}. The
     * returned buffer may be {@code scratch} or the codec's own; the caller consumes it before the next call.
     */
    ByteBuffer read(SocketChannel channel, ByteBuffer scratch, Wire wire) throws IOException;

    /** True when the peer ended the stream inside the codec (TLS close_notify): no application bytes will follow. */
    boolean inboundDone();

    /**
     * The connection is closing: puts the codec's last words (TLS close_notify) on {@code wire} and returns true when
     * there are any, so the connection writes its queue once more (best effort, without blocking) before closing.
     */
    boolean close(Wire wire);
}
