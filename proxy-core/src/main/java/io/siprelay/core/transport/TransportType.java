package io.siprelay.core.transport;

import java.util.Locale;

/** The transport protocols a listener can speak; WS and WSS are SIP over WebSocket (RFC 7118). */
public enum TransportType {
    UDP(false), TCP(true), TLS(true), WS(true), WSS(true);

    private final boolean reliable;

    TransportType(boolean reliable) {
        this.reliable = reliable;
    }

    /** True for the transports that run over TLS (TLS, WSS). */
    public boolean isSecure() {
        return this == TLS || this == WSS;
    }

    /** True for stream transports: no retransmissions of requests, responses go back on the same connection. */
    public boolean isReliable() {
        return reliable;
    }

    /** The token used in Via ("UDP", "TCP", "TLS", "WS", "WSS"). */
    public String viaToken() {
        return name();
    }

    /** Parses a Via transport token or a URI {@code transport=} value; null when unknown. */
    public static TransportType fromToken(String token) {
        if (token == null) {
            return null;
        }
        switch (token.toUpperCase(Locale.ROOT)) {
            case "UDP": return UDP;
            case "TCP": return TCP;
            case "TLS": return TLS;
            case "WS": return WS;
            case "WSS": return WSS;
            default: return null;
        }
    }
}
