package io.siprelay.core.transport;

import java.net.InetSocketAddress;

/**
 * SIP over TCP on one NIO selector thread ({@code siprelay-tcp-<port>}) that accepts, connects, reads and writes.
 *
 * <p>Connections are kept in a table keyed by the remote address: {@link #send} reuses the connection to the
 * destination (so a response goes back on the connection its request came in on) and otherwise opens one
 * (non-blocking connect; the bytes wait in the connection's queue until it is up). A connect refused at once makes
 * {@code send} throw; one that fails later is logged and its queued bytes dropped.
 *
 * <p>Each connection frames its stream with a {@link StreamFramer}; a framing error closes that connection only.
 * CRLFCRLF keep-alive pings are answered with a CRLF pong. Connections without traffic for
 * {@link TransportOptions#idleTimeout()} are closed by a periodic sweep of the selector loop. {@code send} may be
 * called from any thread: it writes directly when the connection's queue is empty and leaves the rest to the
 * selector thread (OP_WRITE).
 */
public final class TcpTransport extends StreamTransport {

    public TcpTransport(InetSocketAddress bindAddress) {
        this(bindAddress, TransportOptions.defaults());
    }

    public TcpTransport(InetSocketAddress bindAddress, TransportOptions options) {
        super(TransportType.TCP, bindAddress, options);
    }

    @Override
    StreamCodec newCodec(InetSocketAddress remote, boolean outbound) {
        return StreamCodec.PLAIN;
    }
}
