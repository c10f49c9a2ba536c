package io.siprelay.core.transport;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where a message came from or goes to: a local transport and the remote address (RFC 5626 calls this a flow).
 * For stream transports the remote address names the connection.
 */
public record Flow(Transport transport, InetSocketAddress remote) {

    public Flow {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(remote, "remote");
    }

    public TransportType type() {
        return transport.type();
    }

    @Override
    public String toString() {
        return type() + ":" + remote.getAddress().getHostAddress() + ":" + remote.getPort();
    }
}
