package io.siprelay.core.transaction.internal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import io.siprelay.core.codec.SipMessage;
import javax.sip.header.ViaHeader;

/** Where responses go (RFC 3261 §18.2.2 with RFC 3581 rport) and how arrival is recorded in the top Via. */
public final class ViaAddressing {

    private ViaAddressing() {
    }

    /**
     * Adds {@code received} when the sent-by host differs from the packet's source address, and fills an empty
     * {@code rport} with the source port (RFC 3261 §18.2.1, RFC 3581 §4).
     */
    public static void stampArrival(ViaHeader top, InetSocketAddress source) {
        SipMessage.stampArrival(top, source);
    }

    /**
     * The address a response to a request with this top Via is sent to over an unreliable transport:
     * {@code received}:{@code rport} when present, else the sent-by (default port 5060).
     *
     * @throws UnknownHostException when the sent-by host is a name that does not resolve
     */
    public static InetSocketAddress responseAddress(ViaHeader top) throws UnknownHostException {
        String host = top.getReceived();
        if (host == null || host.isEmpty()) {
            host = stripBrackets(top.getHost());
        }
        int port = top.getRPort();
        if (port <= 0) {
            port = top.getPort();
        }
        if (port <= 0) {
            port = 5060;
        }
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    /** True also for flag parameters such as a bare {@code rport}, which {@code getParameter} reports as null. */
    public static boolean hasParameter(ViaHeader via, String name) {
        return SipMessage.hasParameter(via, name);
    }

    /** "[::1]" → "::1"; other hosts unchanged. */
    public static String stripBrackets(String host) {
        return SipMessage.stripBrackets(host);
    }
}
