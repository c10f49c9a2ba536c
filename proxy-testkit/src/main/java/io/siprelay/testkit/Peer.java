package io.siprelay.testkit;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.codec.SipParseException;
import io.siprelay.core.transaction.internal.ViaAddressing;
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
import java.util.ListIterator;
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
import javax.sip.header.RecordRouteHeader;
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

    /**
     * A response to {@code request} with a To-tag (for codes above 100), ready to send. Like a UAS, a peer copies
     * Record-Route into responses that can create a dialog and adds its Contact to them.
     */
    public Response response(Request request, int status) {
        try {
            Response r = kit.codec().messageFactory().createResponse(status, request);
            ToHeader to = (ToHeader) r.getHeader(ToHeader.NAME);
            if (status > 100 && to.getTag() == null) {
                to.setTag("t" + Long.toHexString(request.getHeader(CallIdHeader.NAME).hashCode() & 0xffffffffL)
                        + port());
            }
            if (status > 100 && status < 300 && !Request.CANCEL.equals(request.getMethod())) {
                r.removeHeader(RecordRouteHeader.NAME);
                for (ListIterator<?> it = request.getHeaders(RecordRouteHeader.NAME); it.hasNext(); ) {
                    r.addLast((RecordRouteHeader) it.next());
                }
                if (r.getHeader(ContactHeader.NAME) == null) {
                    r.addHeader(kit.codec().headerFactory().createContactHeader(
                            kit.codec().addressFactory().createAddress(myUri())));
                }
            }
            return r;
        } catch (ParseException | javax.sip.SipException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * The ACK for an INVITE's final response, as a UAC builds it: for a 2xx a new transaction to the Contact along the
     * route set (RFC 3261 §13.2.2.4); for a non-2xx the same branch and Request-URI as the INVITE (§17.1.1.3).
     */
    public Request ack(Request invite, Response finalResponse) {
        if (finalResponse.getStatusCode() >= 300) {
            Request ack = request(Request.ACK, invite.getRequestURI().toString());
            ack.setHeader((ViaHeader) invite.getHeader(ViaHeader.NAME).clone());
            copyDialogHeaders(invite, finalResponse, ack);
            setCSeq(ack, ((CSeqHeader) invite.getHeader(CSeqHeader.NAME)).getSeqNumber());
            return ack;
        }
        return inDialog(Request.ACK, invite, finalResponse, ((CSeqHeader) invite.getHeader(CSeqHeader.NAME))
                .getSeqNumber());
    }

    /** The CANCEL for a sent INVITE (RFC 3261 §9.1): same Request-URI, top Via, Call-ID, From, To and CSeq number. */
    public Request cancel(Request invite) {
        Request c = request(Request.CANCEL, invite.getRequestURI().toString());
        c.setHeader((ViaHeader) invite.getHeader(ViaHeader.NAME).clone());
        c.setHeader((CallIdHeader) invite.getHeader(CallIdHeader.NAME).clone());
        c.setHeader((FromHeader) invite.getHeader(FromHeader.NAME).clone());
        c.setHeader((ToHeader) invite.getHeader(ToHeader.NAME).clone());
        setCSeq(c, ((CSeqHeader) invite.getHeader(CSeqHeader.NAME)).getSeqNumber());
        return c;
    }

    /**
     * A request inside the dialog that {@code invite} and its 2xx {@code ok} created, from the caller's side:
     * Request-URI = the remote Contact, Route = the Record-Route set reversed (RFC 3261 §12.2.1.1).
     */
    public Request inDialog(String method, Request invite, Response ok, long cseq) {
        ContactHeader contact = (ContactHeader) ok.getHeader(ContactHeader.NAME);
        if (contact == null) {
            throw new IllegalArgumentException("the 2xx has no Contact: " + ok);
        }
        Request r = request(method, contact.getAddress().getURI().toString());
        copyDialogHeaders(invite, ok, r);
        setCSeq(r, cseq);
        List<RecordRouteHeader> rr = new ArrayList<>();
        for (ListIterator<?> it = ok.getHeaders(RecordRouteHeader.NAME); it.hasNext(); ) {
            rr.add((RecordRouteHeader) it.next());
        }
        for (int i = rr.size() - 1; i >= 0; i--) {
            r.addHeader(kit.codec().headerFactory().createRouteHeader(rr.get(i).getAddress()));
        }
        return r;
    }

    /**
     * A request inside the dialog, from the callee's side (for example its BYE): to the caller's Contact along the
     * Record-Route set in order, with From and To swapped.
     */
    public Request inDialogFromCallee(String method, Request invite, Response ok, long cseq) {
        ContactHeader contact = (ContactHeader) invite.getHeader(ContactHeader.NAME);
        Request r = request(method, contact.getAddress().getURI().toString());
        try {
            ToHeader okTo = (ToHeader) ok.getHeader(ToHeader.NAME);
            FromHeader inviteFrom = (FromHeader) invite.getHeader(FromHeader.NAME);
            r.setHeader(kit.codec().headerFactory().createFromHeader(okTo.getAddress(), okTo.getTag()));
            r.setHeader(kit.codec().headerFactory().createToHeader(inviteFrom.getAddress(), inviteFrom.getTag()));
        } catch (ParseException e) {
            throw new IllegalArgumentException(e);
        }
        r.setHeader((CallIdHeader) invite.getHeader(CallIdHeader.NAME).clone());
        setCSeq(r, cseq);
        for (ListIterator<?> it = ok.getHeaders(RecordRouteHeader.NAME); it.hasNext(); ) {
            r.addHeader(kit.codec().headerFactory().createRouteHeader(((RecordRouteHeader) it.next()).getAddress()));
        }
        return r;
    }

    private void copyDialogHeaders(Request invite, Response resp, Request into) {
        into.setHeader((CallIdHeader) invite.getHeader(CallIdHeader.NAME).clone());
        into.setHeader((FromHeader) invite.getHeader(FromHeader.NAME).clone());
        into.setHeader((ToHeader) resp.getHeader(ToHeader.NAME).clone());
    }

    private void setCSeq(Request r, long seq) {
        try {
            r.setHeader(kit.codec().headerFactory().createCSeqHeader(seq, r.getMethod()));
        } catch (ParseException | InvalidArgumentException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private SipURI myUri() throws ParseException {
        SipURI me = kit.codec().addressFactory().createSipURI("peer", host());
        me.setPort(port());
        if (transport.type() != TransportType.UDP) {
            me.setTransportParam(transport.type().name().toLowerCase(java.util.Locale.ROOT));
        }
        return me;
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
