package io.siprelay.core.transport;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * SIP over TLS ({@code sips:} and {@code transport=tls} targets) on one NIO selector thread
 * ({@code siprelay-tls-<port>}), with the JDK's {@link javax.net.ssl.SSLEngine}: the same connection table, limits,
 * idle sweep, framing and guarded handler as {@link TcpTransport}, with TLS between the socket and the framer.
 *
 * <p>Accepted connections run the engine in server mode (client certificates only when
 * {@link TlsSettings#requireClientCertificate()}); outbound connections in client mode, with SNI and hostname
 * verification for targets given by host name (see {@link TlsSettings.HostnameVerification}). The handshake is
 * driven by the selector loop without blocking; its delegated tasks run inline on the selector thread. A message
 * sent before the handshake is done waits for it; a handshake not done within
 * {@link TransportOptions#connectTimeout()} closes the connection, and so does a failed one (only that one).
 * Closing a connection sends close_notify, best effort.
 */
public final class TlsTransport extends StreamTransport {

    private final TlsSettings tls;

    public TlsTransport(InetSocketAddress bindAddress, TransportOptions options, TlsSettings tls) {
        super(TransportType.TLS, bindAddress, options);
        this.tls = Objects.requireNonNull(tls, "tls");
    }

    public TlsTransport(InetSocketAddress bindAddress, TlsSettings tls) {
        this(bindAddress, TransportOptions.defaults(), tls);
    }

    public TlsSettings tlsSettings() {
        return tls;
    }

    @Override
    StreamCodec newCodec(InetSocketAddress remote, boolean outbound) throws IOException {
        try {
            return outbound ? TlsCodec.client(tls, remote) : TlsCodec.server(tls);
        } catch (RuntimeException e) {
            throw new IOException("cannot set up TLS with " + remote + ": " + e.getMessage(), e);
        }
    }
}
