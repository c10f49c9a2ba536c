package io.siprelay.core.proxy.internal;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transaction.internal.TransactionLayer;
import io.siprelay.core.transaction.internal.ViaAddressing;
import io.siprelay.core.transport.Flow;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.function.Consumer;
import javax.sip.header.RetryAfterHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * Replies the proxy sends without a transaction (Kamailio's sl): cut from the received bytes when the route added
 * nothing, built with JAIN-SIP otherwise, sent where RFC 3261 §18.2.2 and RFC 3581 say, and kept by the transaction
 * layer for retransmissions of the request. Also the 503 of overload.
 */
final class StatelessReplier {

    private static final org.slf4j.Logger LOG = ProxyCore.LOG;

    private final SipCodec codec;
    private final TransactionLayer transactions;
    private final ProxyCounters stats;
    private final String tagPrefix;
    private final int retryAfterSeconds;

    StatelessReplier(SipCodec codec, TransactionLayer transactions, ProxyCounters stats, String tagPrefix,
                     int retryAfterSeconds) {
        this.codec = codec;
        this.transactions = transactions;
        this.stats = stats;
        this.tagPrefix = tagPrefix;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 503 with Retry-After: the proxy is at one of its limits (queues, relays in progress). */
    void rejectOverloaded(Flow flow, SipMessage m) {
        if (!m.isRequest() || Request.ACK.equals(m.method())) {
            return;
        }
        stats.overloadRejected.increment();
        byte[] raw = m.replyBytes(503, "Service Unavailable", tag(m),
                "Retry-After: " + retryAfterSeconds + "\r\n");
        if (raw != null) {
            stats.statelessReplies.increment();
            sendRawResponse(flow, m, raw, 503);
            return;
        }
        try {
            RetryAfterHeader ra = codec.headerFactory().createRetryAfterHeader(retryAfterSeconds);
            reply(flow, m, 503, "Service Unavailable", r -> r.setHeader(ra));
        } catch (javax.sip.InvalidArgumentException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A stateless reply with extra header lines ({@code "Name: value\r\n"} each, checked by the caller): cut from the
     * received bytes while the request is not parsed, else built with JAIN-SIP through {@code customizer}.
     */
    void reply(Flow flow, SipMessage request, int status, String reason, String headerLines,
               Consumer<Response> customizer) {
        byte[] raw = isPlainText(reason) ? request.replyBytes(status, reason, tag(request), headerLines) : null;
        if (raw != null) {
            stats.statelessReplies.increment();
            sendRawResponse(flow, request, raw, status);
            return;
        }
        reply(flow, request, status, reason, customizer);
    }

    /** Builds and sends a stateless reply (RFC 3261 §8.2.6, §16.7 for where it goes). */
    void reply(Flow flow, SipMessage request, int status, String reason, Consumer<Response> customizer) {
        if (customizer == null) {
            // a plain reply to a request no route parsed: cut from the received bytes, as Kamailio's sl does
            byte[] raw = isPlainText(reason) ? request.replyBytes(status, reason, tag(request), "") : null;
            if (raw != null) {
                stats.statelessReplies.increment();
                sendRawResponse(flow, request, raw, status);
                return;
            }
            customizer = r -> { };
        }
        try {
            Response resp = codec.messageFactory().createResponse(status, request.request());
            resp.setReasonPhrase(reason);
            ToHeader to = (ToHeader) resp.getHeader(ToHeader.NAME);
            if (status > 100 && to != null && (to.getTag() == null || to.getTag().isEmpty())) {
                to.setTag(tag(request));
            }
            customizer.accept(resp);
            stats.statelessReplies.increment(); // before the send: a peer may act on the reply at once
            InetSocketAddress dest = flow.type().isReliable() ? flow.remote()
                    : ViaAddressing.responseAddress((ViaHeader) resp.getHeader(ViaHeader.NAME));
            sendStatelessReply(flow, request, dest, codec.encode(resp), status);
        } catch (UnknownHostException e) {
            stats.sendErrors.increment();
            LOG.debug("could not send a {} reply to {}: {}", status, flow, e.toString());
        } catch (java.text.ParseException | RuntimeException e) {
            LOG.warn("could not build a {} reply: {}", status, e.toString());
        }
    }

    /** Sends a stateless reply and keeps it for retransmissions of the request (RFC 3261 §17.2.2). */
    private void sendStatelessReply(Flow flow, SipMessage request, InetSocketAddress dest, byte[] bytes, int status) {
        transactions.rememberStatelessReply(request, flow, dest, bytes, status); // before the send, as for stats
        try {
            flow.transport().send(dest, bytes);
        } catch (IOException e) {
            stats.sendErrors.increment();
            LOG.debug("could not send a {} reply to {}: {}", status, flow, e.toString());
        }
    }

    void send(Flow flow, Response resp) {
        try {
            InetSocketAddress dest = flow.type().isReliable() ? flow.remote()
                    : ViaAddressing.responseAddress((ViaHeader) resp.getHeader(ViaHeader.NAME));
            flow.transport().send(dest, codec.encode(resp));
        } catch (IOException e) {
            stats.sendErrors.increment();
            LOG.debug("could not send a {} reply to {}: {}", resp.getStatusCode(), flow, e.toString());
        }
    }

    private void sendRawResponse(Flow flow, SipMessage request, byte[] raw, int status) {
        InetSocketAddress dest = flow.type().isReliable() ? flow.remote() : rawResponseAddress(request, flow.remote());
        sendStatelessReply(flow, request, dest, raw, status);
    }

    /**
     * RFC 3261 §18.2.2 with RFC 3581 for a request the proxy stamped on arrival: with rport (or a sent-by that is not
     * the source address, i.e. received) the answer goes back to the source; else to the sent-by host and port.
     */
    private static InetSocketAddress rawResponseAddress(SipMessage request, InetSocketAddress source)
            {
        if (request.hasRport()) {
            return source;
        }
        // received (or a sent-by equal to it) is always the source address here; the port is the sent-by's
        int port = request.topViaPort() > 0 ? request.topViaPort() : 5060;
        return new InetSocketAddress(source.getAddress(), port);
    }

    /** A reason phrase that can go into a status line as it is. */
    private static boolean isPlainText(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** The same tag for every retransmission of one request, so the UA sees one consistent answer. */
    String tag(SipMessage request) {
        long h = ProxyCore.hash(request.callId(), request.fromTag(), Long.toString(request.cseq()),
                request.topViaBranch());
        return tagPrefix + Long.toHexString(h);
    }
}
