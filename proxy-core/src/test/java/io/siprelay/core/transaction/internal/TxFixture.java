package io.siprelay.core.transaction.internal;

import io.siprelay.core.transaction.TimerSettings;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.codec.SipParseException;
import io.siprelay.core.concurrent.InlineExecutor;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import javax.sip.header.ToHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

/** Virtual clock, inline executor, a transaction layer and message builders for the transaction tests. */
final class TxFixture {

    static final InetSocketAddress PEER = new InetSocketAddress("192.0.2.10", 5060);

    final SipCodec codec = SipCodec.create();
    final VirtualClock clock = new VirtualClock();
    final TransactionLayer layer;
    final FakeTransport transport;
    final Flow flow;

    TxFixture(TransportType type) {
        this(type, TimerSettings.defaults());
    }

    TxFixture(TransportType type, TimerSettings timers) {
        layer = new TransactionLayer(codec, clock, new InlineExecutor(), timers);
        transport = new FakeTransport(type, clock);
        flow = new Flow(transport, PEER);
    }

    SipMessage parse(String text) {
        try {
            return codec.parse(text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (SipParseException e) {
            throw new AssertionError(e);
        }
    }

    /** A request with one Via (sent-by 192.0.2.10:5060 over the given transport) and a Route. */
    SipMessage request(String method, String branch, long cseq, String transport) {
        return request(method, branch, cseq, transport, "192.0.2.10:5060", "", "");
    }

    SipMessage request(String method, String branch, long cseq, String transport, String sentBy, String viaParams,
                       String toTag) {
        String branchParam = branch == null ? "" : ";branch=" + branch;
        return parse(method + " sip:bob@example.com SIP/2.0\n"
                + "Via: SIP/2.0/" + transport + " " + sentBy + branchParam + viaParams + "\n"
                + "Max-Forwards: 69\n"
                + "Route: <sip:p1.example.com;lr>\n"
                + "Route: <sip:p2.example.com;lr>\n"
                + "From: Alice <sip:alice@example.com>;tag=from-1\n"
                + "To: Bob <sip:bob@example.com>" + (toTag.isEmpty() ? "" : ";tag=" + toTag) + "\n"
                + "Call-ID: call-1@192.0.2.10\n"
                + "CSeq: " + cseq + " " + method + "\n"
                + "Content-Length: 0\n\n");
    }

    SipMessage invite(String branch) {
        return request(Request.INVITE, branch, 1, transport.type().viaToken());
    }

    SipMessage options(String branch) {
        return request(Request.OPTIONS, branch, 2, transport.type().viaToken());
    }

    /** A response to {@code request}; finals get a To tag. */
    SipMessage response(SipMessage request, int code) {
        return response(request, code, code >= 200 ? "uas-1" : null);
    }

    SipMessage response(SipMessage request, int code, String toTag) {
        try {
            Response r = codec.messageFactory().createResponse(code, request.request());
            if (toTag != null) {
                ((ToHeader) r.getHeader(ToHeader.NAME)).setTag(toTag);
            }
            // round-trip through the parser, as a response from the network would be
            return codec.parse(codec.encode(r));
        } catch (ParseException | SipParseException e) {
            throw new AssertionError(e);
        }
    }

    /** The ACK a UAC sends for a non-2xx final response (same branch as the INVITE). */
    SipMessage ackFor(SipMessage invite, SipMessage response) {
        String toTag = TransactionLayer.toTag(response);
        String via = invite.topVia().toString().trim();
        return parse("ACK sip:bob@example.com SIP/2.0\n"
                + via + "\n"
                + "Max-Forwards: 70\n"
                + "From: Alice <sip:alice@example.com>;tag=from-1\n"
                + "To: Bob <sip:bob@example.com>" + (toTag == null ? "" : ";tag=" + toTag) + "\n"
                + "Call-ID: " + invite.callId() + "\n"
                + "CSeq: " + invite.cseq() + " ACK\n"
                + "Content-Length: 0\n\n");
    }

    /** Records what a client transaction reports. */
    static final class Recorder implements ClientTransactionListener {
        final List<SipMessage> responses = new ArrayList<>();
        final List<IOException> errors = new ArrayList<>();
        int timeouts;
        long timeoutAt = -1;
        int terminated;
        private final VirtualClock clock;

        Recorder(VirtualClock clock) {
            this.clock = clock;
        }

        @Override
        public void onResponse(ClientTransaction transaction, SipMessage response) {
            responses.add(response);
        }

        @Override
        public void onTimeout(ClientTransaction transaction) {
            timeouts++;
            timeoutAt = clock.millis();
        }

        @Override
        public void onTransportError(ClientTransaction transaction, IOException error) {
            errors.add(error);
        }

        @Override
        public void onTerminated(ClientTransaction transaction) {
            terminated++;
        }

        List<Integer> codes() {
            return responses.stream().map(SipMessage::statusCode).toList();
        }
    }
}
