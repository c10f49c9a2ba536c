package io.siprelay.core.testkit;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.codec.SipParseException;
import io.siprelay.core.transaction.ViaAddressing;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.sip.InvalidArgumentException;
import javax.sip.address.Address;
import javax.sip.address.AddressFactory;
import javax.sip.address.SipURI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.ContactHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * A scripted SIP endpoint on the in-memory network: builds and sends requests, records everything it receives, and
 * answers requests it was told to expect ({@code peer.expect("INVITE").reply(180).reply(200)}).
 */
public final class Peer implements AutoCloseable {

    private static final AtomicLong COUNTER = new AtomicLong();

    private final SipTestKit kit;
    private final Transport transport;
    private final ArrayDeque<SipMessage> inbox = new ArrayDeque<>();
    private final List<Expectation> expectations = new ArrayList<>();
    private InetSocketAddress target;

    Peer(SipTestKit kit, Transport transport) {
        this.kit = kit;
        this.transport = transport;
        try {
            transport.start((t, source, bytes) -> onMessage(source, bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public InetSocketAddress address() {
        return transport.localAddress();
    }

    public String host() {
        return transport.localAddress().getAddress().getHostAddress();
    }

    public int port() {
        return transport.localAddress().getPort();
    }

    public TransportType transportType() {
        return transport.type();
    }

    /** Where {@link #send(Message)} sends to. */
    public Peer target(String host, int port) {
        try {
            this.target = new InetSocketAddress(java.net.InetAddress.getByName(host), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("in-memory addresses must be IP literals, got " + host, e);
        }
        return this;
    }

    // ---------------------------------------------------------------- building messages

    /**
     * A well-formed new request from this peer: Via with a unique branch and rport, From with a tag, To, a fresh
     * Call-ID, CSeq 1, Max-Forwards 70, Contact, no body.
     */
    public Request request(String method, String requestUri) {
        HeaderFactory hf = kit.codec().headerFactory();
        AddressFactory af = kit.codec().addressFactory();
        long n = COUNTER.incrementAndGet();
        try {
            javax.sip.address.URI ruri = af.createURI(requestUri);
            SipURI me = af.createSipURI("peer", host());
            me.setPort(port());
            Address fromAddr = af.createAddress(me);
            FromHeader from = hf.createFromHeader(fromAddr, "f" + n);
            ToHeader to = hf.createToHeader(af.createAddress(ruri), null);
            CallIdHeader cid = hf.createCallIdHeader("call-" + n + "@" + host());
            CSeqHeader cseq = hf.createCSeqHeader(1L, method);
            MaxForwardsHeader mf = hf.createMaxForwardsHeader(70);
            ViaHeader via = hf.createViaHeader(host(), port(), transport.type().viaToken(), "z9hG4bKpeer" + n);
            via.setRPort();
            List<ViaHeader> vias = new ArrayList<>();
            vias.add(via);
            Request r = kit.codec().messageFactory().createRequest(ruri, method, cid, cseq, from, to, vias, mf);
            ContactHeader contact = hf.createContactHeader(af.createAddress(me));
            r.addHeader(contact);
            r.setHeader(hf.createContentLengthHeader(0));
            return r;
        } catch (ParseException | InvalidArgumentException e) {
            throw new IllegalArgumentException("cannot build " + method + " " + requestUri + ": " + e.getMessage(), e);
        }
    }

    /** A response to {@code request} with a To-tag (for codes above 100), ready to send. */
    public Response response(Request request, int status) {
        try {
            Response r = kit.codec().messageFactory().createResponse(status, request);
            ToHeader to = (ToHeader) r.getHeader(ToHeader.NAME);
            if (status > 100 && to.getTag() == null) {
                to.setTag("t" + Math.abs((long) request.getHeader(CallIdHeader.NAME).hashCode()));
            }
            return r;
        } catch (ParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    // ---------------------------------------------------------------- sending

    /** Sends a message to the target (requests) or back along its top Via (responses). */
    public void send(Message message) {
        if (message instanceof Response r) {
            try {
                sendBytes(ViaAddressing.responseAddress((ViaHeader) r.getHeader(ViaHeader.NAME)),
                        kit.codec().encode(r));
            } catch (java.net.UnknownHostException e) {
                throw new IllegalArgumentException("response Via does not resolve", e);
            }
        } else {
            send(message, requireTarget());
        }
    }

    public void send(Message message, InetSocketAddress to) {
        sendBytes(to, kit.codec().encode(message));
    }

    /** Sends raw text (line ends as given) to the target: for malformed-message tests. */
    public void sendRaw(String text) {
        sendBytes(requireTarget(), text.getBytes(StandardCharsets.UTF_8));
    }

    public void sendRaw(byte[] bytes) {
        sendBytes(requireTarget(), bytes);
    }

    /** Answers a received request with {@code status}. */
    public Response reply(Request request, int status) {
        Response r = response(request, status);
        send(r);
        return r;
    }

    private void sendBytes(InetSocketAddress to, byte[] bytes) {
        try {
            transport.send(to, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private InetSocketAddress requireTarget() {
        if (target == null) {
            throw new IllegalStateException("peer " + address() + " has no target: call target(host, port)");
        }
        return target;
    }

    // ---------------------------------------------------------------- receiving

    /**
     * From now on, answers the next request of {@code method} with the replies added to the returned expectation,
     * in order.
     */
    public Expectation expect(String method) {
        Expectation e = new Expectation(method);
        expectations.add(e);
        return e;
    }

    /** The next message received, after delivering everything in flight; AssertionError when there is none. */
    public SipMessage take() {
        kit.runUntilIdle();
        SipMessage m = inbox.poll();
        if (m == null) {
            throw new AssertionError("peer " + address() + " received nothing");
        }
        return m;
    }

    public Response takeResponse() {
        SipMessage m = take();
        if (m.isRequest()) {
            throw new AssertionError("peer " + address() + " expected a response but got " + m.request().getMethod());
        }
        return m.response();
    }

    public Request takeRequest() {
        SipMessage m = take();
        if (!m.isRequest()) {
            throw new AssertionError("peer " + address() + " expected a request but got " + m.statusCode());
        }
        return m.request();
    }

    /** True when nothing is waiting (after delivering everything in flight). */
    public boolean inboxEmpty() {
        kit.runUntilIdle();
        return inbox.isEmpty();
    }

    /** Everything received and not yet taken. */
    public List<SipMessage> inbox() {
        kit.runUntilIdle();
        return List.copyOf(inbox);
    }

    private void onMessage(InetSocketAddress source, byte[] bytes) {
        SipMessage m;
        try {
            m = kit.codec().parse(bytes);
        } catch (SipParseException e) {
            throw new AssertionError("peer " + address() + " received an unparsable message from " + source + ": "
                    + e.getMessage() + "\n" + new String(bytes, StandardCharsets.UTF_8), e);
        }
        inbox.add(m);
        if (m.isRequest()) {
            for (Iterator<Expectation> it = expectations.iterator(); it.hasNext(); ) {
                Expectation e = it.next();
                if (e.method.equalsIgnoreCase(m.method())) {
                    it.remove();
                    for (int status : e.replies) {
                        reply(m.request(), status);
                    }
                    break;
                }
            }
        }
    }

    @Override
    public void close() {
        transport.close();
    }

    /** Replies a peer sends when the expected request arrives. */
    public static final class Expectation {
        private final String method;
        private final List<Integer> replies = new ArrayList<>();

        Expectation(String method) {
            this.method = method;
        }

        public Expectation reply(int status) {
            replies.add(status);
            return this;
        }
    }
}
