package io.siprelay.core.transport;

import java.util.Locale;

/** The transport protocols a listener can speak. */
public enum TransportType {
    UDP(false), TCP(true), TLS(true);

    private final boolean reliable;

    TransportType(boolean reliable) {
        this.reliable = reliable;
    }

    /** True for stream transports: no retransmissions of requests, responses go back on the same connection. */
    public boolean isReliable() {
        return reliable;
    }

    /** The token used in Via ("UDP", "TCP", "TLS"). */
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
            default: return null;
        }
    }
}
