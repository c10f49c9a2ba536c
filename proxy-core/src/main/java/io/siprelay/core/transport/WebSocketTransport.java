package io.siprelay.core.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * SIP over WebSocket (RFC 7118): {@code ws} on plain TCP, {@code wss} with TLS ({@link #secure}), on one NIO selector
 * thread like {@link TcpTransport}, with the same connection table, limits and idle sweep. Browsers connect, upgrade
 * with {@code Sec-WebSocket-Protocol: sip} (on {@code path}, or any path for {@code "/"}), and send one SIP message per
 * frame ({@link WebSocketCodec}); an upgrade not done within {@link TransportOptions#connectTimeout()} closes the
 * connection.
 *
 * <p>This side never dials out: a browser cannot be reached except over the connection it opened, so
 * {@link #send} to an address without one fails at once. Responses and requests go back on that connection, found by
 * the remote address a request came from (the {@code received}/alias address of a registered contact).
 */
public final class WebSocketTransport extends StreamTransport {

    private final TlsSettings tls;
    private final String path;

    private WebSocketTransport(TransportType type, InetSocketAddress bindAddress, TransportOptions options,
                               TlsSettings tls, String path) {
        super(type, bindAddress, options);
        this.tls = tls;
        this.path = checkPath(path);
    }

    /** {@code ws}: WebSocket on plain TCP, upgrade accepted on any path. */
    public WebSocketTransport(InetSocketAddress bindAddress) {
        this(bindAddress, TransportOptions.defaults(), "/");
    }

    /** {@code ws} with options and the upgrade path clients must use ({@code "/"} accepts any). */
    public WebSocketTransport(InetSocketAddress bindAddress, TransportOptions options, String path) {
        this(TransportType.WS, bindAddress, options, null, path);
    }

    /** {@code wss}: WebSocket over TLS with this key store. */
    public static WebSocketTransport secure(InetSocketAddress bindAddress, TransportOptions options, TlsSettings tls,
                                            String path) {
        return new WebSocketTransport(TransportType.WSS, bindAddress, options, Objects.requireNonNull(tls, "tls"),
                path);
    }

    /** The path upgrades must ask for; {@code "/"} accepts any. */
    public String path() {
        return path;
    }

    private static String checkPath(String path) {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            throw new IllegalArgumentException("a WebSocket path starts with / and has no spaces, got '" + path + "'");
        }
        return path;
    }

    @Override
    StreamCodec newCodec(InetSocketAddress remote, boolean outbound) throws IOException {
        if (outbound) {
            throw new IOException("no WebSocket connection from " + remote
                    + ": a WebSocket client is reached only over the connection it opened");
        }
        StreamCodec inner;
        try {
            inner = tls == null ? StreamCodec.PLAIN : TlsCodec.server(tls);
        } catch (RuntimeException e) {
            throw new IOException("cannot set up TLS with " + remote + ": " + e.getMessage(), e);
        }
        return new WebSocketCodec(inner, path, options().maxMessageBytes());
    }
}
