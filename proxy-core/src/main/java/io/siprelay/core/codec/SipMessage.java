package io.siprelay.core.codec;

import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * A parsed message plus the few facts the transaction layer reads on every message, extracted once.
 * The full JAIN-SIP object is what routes read and edit.
 *
 * <p>Lazy parsing will live behind this class: the key fields come from a cheap scan and {@link #message()} builds
 * the JAIN-SIP object on first use. Callers must therefore use the accessors, not cache assumptions about cost.
 */
public final class SipMessage {

    private final Message message;
    private final String callId;
    private final String topViaBranch;
    private final long cseq;
    private final String cseqMethod;

    private SipMessage(Message message) {
        this.message = message;
        CallIdHeader cid = (CallIdHeader) message.getHeader(CallIdHeader.NAME);
        this.callId = cid == null ? null : cid.getCallId();
        ViaHeader via = (ViaHeader) message.getHeader(ViaHeader.NAME);
        this.topViaBranch = via == null ? null : via.getBranch();
        CSeqHeader cs = (CSeqHeader) message.getHeader(CSeqHeader.NAME);
        this.cseq = cs == null ? -1 : cs.getSeqNumber();
        this.cseqMethod = cs == null ? null : cs.getMethod();
    }

    /** Wraps a message built in code (for sending). */
    public static SipMessage of(Message message) {
        return new SipMessage(message);
    }

    public boolean isRequest() {
        return message instanceof Request;
    }

    public Message message() {
        return message;
    }

    /** The message as a request; throws when it is a response. */
    public Request request() {
        if (message instanceof Request r) {
            return r;
        }
        throw new IllegalStateException("not a request: " + firstLine());
    }

    /** The message as a response; throws when it is a request. */
    public Response response() {
        if (message instanceof Response r) {
            return r;
        }
        throw new IllegalStateException("not a response: " + firstLine());
    }

    /**
     * Request method, or for a response the CSeq method. For a request whose request line could not be parsed (only
     * seen on {@link SipParseException#partial()}) this is the CSeq method.
     */
    public String method() {
        String m = message instanceof Request r ? r.getMethod() : null;
        return m != null ? m : cseqMethod;
    }

    /** Status code of a response, 0 for a request. */
    public int statusCode() {
        return message instanceof Response r ? r.getStatusCode() : 0;
    }

    public String callId() {
        return callId;
    }

    /** Branch of the top Via, or null. */
    public String topViaBranch() {
        return topViaBranch;
    }

    public ViaHeader topVia() {
        return (ViaHeader) message.getHeader(ViaHeader.NAME);
    }

    public long cseq() {
        return cseq;
    }

    public String cseqMethod() {
        return cseqMethod;
    }

    /** True when a reply can be built: Via, From, To, Call-ID and CSeq are all present. */
    public boolean canBeAnswered() {
        return message.getHeader(ViaHeader.NAME) != null && message.getHeader(FromHeader.NAME) != null
                && message.getHeader(ToHeader.NAME) != null && callId != null && cseqMethod != null;
    }

    private String firstLine() {
        String s = message.toString();
        int eol = s.indexOf('\r');
        return eol < 0 ? s : s.substring(0, eol);
    }

    @Override
    public String toString() {
        return message.toString();
    }
}
