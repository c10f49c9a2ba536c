package io.siprelay.core.proxy;

import io.siprelay.core.transport.Transport;
import java.util.Objects;

/**
 * A transport the proxy listens on, with the host it puts in Via and Record-Route (the bound address unless one is
 * advertised, e.g. a public address in front of a private bind).
 */
public record Listener(Transport transport, String advertisedHost) {

    public Listener {
        Objects.requireNonNull(transport, "transport");
    }

    /** The host for Via sent-by. */
    public String host() {
        if (advertisedHost != null) {
            return advertisedHost;
        }
        String h = transport.localAddress().getAddress().getHostAddress();
        return h.indexOf(':') >= 0 ? "[" + h + "]" : h;
    }

    public int port() {
        return transport.localAddress().getPort();
    }
}
