package io.siprelay.core.codec;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Iterator;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * A SIP message plus the facts the transaction layer reads on every message (method or status, Call-ID, CSeq, top
 * Via, From/To tags), extracted once.
 *
 * <p>Parsing is lazy: a received message that the codec's fast scan understood holds only those facts and its bytes.
 * The JAIN-SIP object is built on the first call of {@link #message()} (or {@link #request()}, {@link #response()},
 * {@link #topVia()}), and that is also when the headers the scan did not read are validated: a message that turns out
 * malformed then throws {@link Unparsable}, which the proxy turns into the same 400 the eager parse would have sent.
 * Until then a stateless reply or a relayed response is cut from the received bytes ({@link #wireBytes()},
 * {@link #replyBytes}, {@link #withoutTopVia()}), as Kamailio does.
 */
public final class SipMessage {

    /** Thrown when a lazily parsed message fails the full parse; carries the reply the message deserves. */
    public static final class Unparsable extends RuntimeException {
        private final SipParseException parseError;

        Unparsable(SipParseException e) {
            super(e.getMessage(), e, false, false);
            this.parseError = e;
        }

        public SipParseException parseError() {
            return parseError;
        }
    }

    private volatile Message message;
    private final JainSipCodec parser;  // non-null while not parsed
    private byte[] wire;                // received bytes (lazy messages only); dropped once parsed
    private final KeyScan.Result scan;  // lazy messages only
    private int[] headerIndex;          // header lines of a lazy message, made on the first raw header read
    private InetSocketAddress arrival;  // requests: stamped into the top Via (when parsed, if not yet)
    private boolean forcedRport;        // force_rport(): answer to the source port although the Via has no rport
    private InetSocketAddress receivedFrom; // where a received message came from (requests and responses)

    private final boolean request;
    private final String callId;
    private final String topViaBranch;
    private final long cseq;
    private final String cseqMethod;

    private SipMessage(Message message) {
        this.message = message;
        this.parser = null;
        this.scan = null;
        this.request = message instanceof Request;
        CallIdHeader cid = (CallIdHeader) message.getHeader(CallIdHeader.NAME);
        this.callId = cid == null ? null : cid.getCallId();
        ViaHeader via = (ViaHeader) message.getHeader(ViaHeader.NAME);
        this.topViaBranch = via == null ? null : via.getBranch();
        CSeqHeader cs = (CSeqHeader) message.getHeader(CSeqHeader.NAME);
        this.cseq = cs == null ? -1 : cs.getSeqNumber();
        this.cseqMethod = cs == null ? null : cs.getMethod();
    }

    private SipMessage(JainSipCodec parser, byte[] wire, KeyScan.Result scan) {
        this.parser = parser;
        this.wire = wire;
        this.scan = scan;
        this.request = scan.request;
        this.callId = scan.callId;
        this.topViaBranch = scan.viaBranch;
        this.cseq = scan.cseq;
        this.cseqMethod = scan.cseqMethod;
    }

    /** Wraps a message built in code (for sending). */
    public static SipMessage of(Message message) {
        return new SipMessage(message);
    }

    static SipMessage lazy(JainSipCodec parser, byte[] wire, KeyScan.Result scan) {
        return new SipMessage(parser, wire, scan);
    }

    /** True once the JAIN-SIP object exists (always for messages built in code). */
    public boolean isParsed() {
        return message != null;
    }

    public boolean isRequest() {
        return request;
    }

    /**
     * The JAIN-SIP message, parsed now if it was not yet.
     *
     * @throws Unparsable when the message fails the full parse and validation
     */
    public Message message() {
        Message m = message;
        return m != null ? m : parseNow();
    }

    private synchronized Message parseNow() {
        if (message == null) {
            Message m;
            try {
                parser.countDeferredParse(request);
                m = parser.parseFull(wire).message;
            } catch (SipParseException e) {
                throw new Unparsable(e);
            }
            if (arrival != null) {
                ViaHeader top = (ViaHeader) m.getHeader(ViaHeader.NAME);
                if (forcedRport) {
                    addRport(top);
                }
                stampArrival(top, arrival);
            }
            message = m;
            wire = null;
        }
        return message;
    }

    /** The message as a request; throws when it is a response. */
    public Request request() {
        if (!request) {
            throw new IllegalStateException("not a request: " + statusCode());
        }
        return (Request) message();
    }

    /** The message as a response; throws when it is a request. */
    public Response response() {
        if (request) {
            throw new IllegalStateException("not a response: " + method());
        }
        return (Response) message();
    }

    /**
     * Request method, or for a response the CSeq method. For a request whose request line could not be parsed (only
     * seen on {@link SipParseException#partial()}) this is the CSeq method.
     */
    public String method() {
        if (scan != null) {
            return request ? scan.method : cseqMethod;
        }
        String m = message instanceof Request r ? r.getMethod() : null;
        return m != null ? m : cseqMethod;
    }

    /** Status code of a response, 0 for a request. */
    public int statusCode() {
        if (scan != null) {
            return scan.status;
        }
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
        return (ViaHeader) message().getHeader(ViaHeader.NAME);
    }

    /** Sent-by host of the top Via as received (IPv6 with brackets), or null. */
    public String topViaHost() {
        if (scan != null) {
            return scan.viaHost;
        }
        ViaHeader v = topVia();
        return v == null ? null : v.getHost();
    }

    /** Sent-by port of the top Via, or -1 when it has none. */
    public int topViaPort() {
        if (scan != null) {
            return scan.viaPort;
        }
        ViaHeader v = topVia();
        return v == null ? -1 : v.getPort();
    }

    /** Transport of the top Via, upper case, or null. */
    public String topViaTransport() {
        if (scan != null) {
            return scan.viaTransport;
        }
        ViaHeader v = topVia();
        return v == null || v.getTransport() == null ? null : v.getTransport().toUpperCase(java.util.Locale.ROOT);
    }

    public String fromTag() {
        if (scan != null) {
            return scan.fromTag;
        }
        FromHeader f = (FromHeader) message.getHeader(FromHeader.NAME);
        return f == null ? null : f.getTag();
    }

    /** The To tag as received (for a message built in code: its current one). */
    public String toTag() {
        if (scan != null) {
            return scan.toTag;
        }
        ToHeader t = (ToHeader) message().getHeader(ToHeader.NAME);
        return t == null ? null : t.getTag();
    }

    /** True when the top Via as received carries {@code rport} (RFC 3581), or {@link #forceRport()} was called. */
    public boolean hasRport() {
        if (forcedRport) {
            return true;
        }
        if (scan != null) {
            return scan.viaRport;
        }
        ViaHeader v = topVia();
        return v != null && hasParameter(v, "rport");
    }

    /** Max-Forwards as received, or -1 when absent. */
    public int maxForwards() {
        if (scan != null) {
            return scan.maxForwards;
        }
        MaxForwardsHeader mf = (MaxForwardsHeader) message().getHeader(MaxForwardsHeader.NAME);
        return mf == null ? -1 : mf.getMaxForwards();
    }

    /**
     * The Request-URI as received (for a message built in code: its current one), or null for a response. Routes
     * that rewrite it edit the JAIN-SIP request; this stays what the transaction layer matches on.
     */
    public String requestUri() {
        if (!request) {
            return null;
        }
        if (scan != null) {
            return scan.requestUri;
        }
        javax.sip.address.URI uri = ((Request) message()).getRequestURI();
        return uri == null ? null : uri.toString(); // null: a partial request from a failed parse
    }

    public long cseq() {
        return cseq;
    }

    public String cseqMethod() {
        return cseqMethod;
    }

    /**
     * Values of header {@code name} (or its compact form) read from the received bytes, without the full parse: an
     * empty list when absent; null when the message is parsed already (ask the JAIN-SIP message) or when the header
     * is present and of a kind whose splitting only the parser knows. See {@link RawHeaders} for what is answered.
     */
    public synchronized java.util.List<String> rawHeaderValues(String name) {
        if (message != null) {
            return null;
        }
        if (headerIndex == null) {
            int from = scan.start;
            while (from < scan.headerEnd && wire[from] != '\n') {
                from++;
            }
            headerIndex = RawHeaders.index(wire, from + 1, scan.headerEnd);
        }
        java.util.List<String> v = RawHeaders.values(wire, headerIndex, name);
        return v == RawHeaders.UNKNOWN ? null : v;
    }

    /** True when a reply can be built: Via, From, To, Call-ID and CSeq are all present. */
    public boolean canBeAnswered() {
        if (scan != null) {
            return true; // the fast scan insists on all of them
        }
        Message m = message();
        return m.getHeader(ViaHeader.NAME) != null && m.getHeader(FromHeader.NAME) != null
                && m.getHeader(ToHeader.NAME) != null && callId != null && cseqMethod != null;
    }

    /**
     * Records where the message came from (RFC 3261 §18.2.1, RFC 3581): {@code received} and {@code rport} go into the
     * top Via now if it is parsed, else when it is parsed, or into the top Via line of a reply cut from the bytes.
     */
    public synchronized void stampArrival(InetSocketAddress source) {
        arrival = source;
        if (message != null) {
            stampArrival((ViaHeader) message.getHeader(ViaHeader.NAME), source);
        }
    }

    /**
     * Kamailio's {@code force_rport()}: treats the top Via as if it carried {@code rport} (RFC 3581), so that responses
     * go back to the source port even when the client did not ask for it, as a client behind NAT needs. Call it after
     * {@link #stampArrival} and before the first response is sent.
     */
    public synchronized void forceRport() {
        if (!request || forcedRport) {
            return;
        }
        forcedRport = true;
        if (message != null && arrival != null) {
            ViaHeader top = (ViaHeader) message.getHeader(ViaHeader.NAME);
            if (top != null && !hasParameter(top, "rport")) {
                addRport(top);
                stampArrival(top, arrival);
            }
        }
    }

    private static void addRport(ViaHeader top) {
        if (top == null || hasParameter(top, "rport")) {
            return;
        }
        try {
            top.setRPort();
        } catch (javax.sip.InvalidArgumentException e) {
            // cannot happen for a fixed name; responses then follow the sent-by port
        }
    }

    /** Records where this message was received from (the transport's source address). */
    public void receivedFrom(InetSocketAddress source) {
        this.receivedFrom = source;
    }

    /** Where this message was received from, or null for a message built in code. */
    public InetSocketAddress receivedFrom() {
        return receivedFrom;
    }

    /**
     * Adds {@code received} when the sent-by host differs from the packet's source address, and fills an empty
     * {@code rport} with the source port (RFC 3261 §18.2.1, RFC 3581 §4).
     */
    public static void stampArrival(ViaHeader top, InetSocketAddress source) {
        if (top == null) {
            return;
        }
        String src = source.getAddress().getHostAddress();
        try {
            boolean rport = hasParameter(top, "rport");
            // RFC 3581: with rport, received is added even when it equals the sent-by host
            if (rport || !src.equals(stripBrackets(top.getHost()))) {
                top.setReceived(src);
            }
            if (rport) {
                top.setParameter("rport", Integer.toString(source.getPort()));
            }
        } catch (ParseException e) {
            // cannot happen for a numeric address; keep the Via as it came
        }
    }

    /** True also for flag parameters such as a bare {@code rport}, which {@code getParameter} reports as null. */
    public static boolean hasParameter(ViaHeader via, String name) {
        for (Iterator<?> it = via.getParameterNames(); it.hasNext(); ) {
            if (name.equalsIgnoreCase((String) it.next())) {
                return true;
            }
        }
        return false;
    }

    /** "[::1]" → "::1"; other hosts unchanged. */
    public static String stripBrackets(String host) {
        if (host != null && host.length() > 1 && host.charAt(0) == '[' && host.charAt(host.length() - 1) == ']') {
            return host.substring(1, host.length() - 1);
        }
        return host;
    }

    // ---------------------------------------------------------------- cut from the received bytes

    /** The received bytes of a message not parsed yet (exactly one message, body included), else null. */
    public synchronized byte[] wireBytes() {
        if (message != null) {
            return null;
        }
        if (scan.start == 0 && scan.messageEnd == wire.length) {
            return wire;
        }
        return java.util.Arrays.copyOfRange(wire, scan.start, scan.messageEnd);
    }

    /**
     * A response without its top Via (RFC 3261 §16.7 step 3), cut from the received bytes; null when the message is
     * parsed already (then edit the JAIN-SIP object) or is a request.
     */
    public synchronized SipMessage withoutTopVia() {
        if (message != null || request) {
            return null;
        }
        int cutFrom;
        int cutTo;
        if (scan.viaAlone) {
            cutFrom = scan.viaLineStart;
            cutTo = scan.viaLineEnd;
        } else {
            // "Via: top, next" → "Via: next"
            cutFrom = scan.viaValueStart;
            int p = scan.viaValueEnd + 1; // after the comma
            while (p < scan.viaLineEnd && (wire[p] == ' ' || wire[p] == '\t')) {
                p++;
            }
            cutTo = p;
        }
        int len = scan.messageEnd - scan.start - (cutTo - cutFrom);
        byte[] out = new byte[len];
        int head = cutFrom - scan.start;
        System.arraycopy(wire, scan.start, out, 0, head);
        System.arraycopy(wire, cutTo, out, head, scan.messageEnd - cutTo);
        KeyScan.Result next = KeyScan.scan(out, parser.limits());
        if (next == null || next.request) {
            return null; // no Via left (or something odd): the caller falls back to the parsed path
        }
        return new SipMessage(parser, out, next);
    }

    /**
     * A stateless reply to this request (RFC 3261 §8.2.6.2) cut from the received bytes: every Via (the top one stamped
     * with the arrival address), From, To (with {@code toTag} when it has none and the status is above 100), Call-ID,
     * CSeq, {@code extraHeaders} (whole lines with CRLF, e.g. {@code "Retry-After: 5\r\n"}, or "") and
     * Content-Length 0. Null when the request is parsed already (then the JAIN-SIP path builds the reply).
     */
    public synchronized byte[] replyBytes(int status, String reason, String toTag, String extraHeaders) {
        if (message != null || !request) {
            return null;
        }
        StringBuilder b = new StringBuilder(256 + (scan.viaLines[1] - scan.viaLines[0]) * scan.viaLineCount / 2);
        b.append("SIP/2.0 ").append(status).append(' ').append(reason).append("\r\n");
        for (int k = 0; k < scan.viaLineCount; k += 2) {
            b.append("Via: ");
            if (k == 0) {
                appendStampedTopVia(b, scan.viaLines[0], scan.viaLines[1]);
            } else {
                appendAscii(b, scan.viaLines[k], scan.viaLines[k + 1]);
            }
            b.append("\r\n");
        }
        b.append("From: ");
        appendValue(b, scan.valueOffsetFrom, scan.fromEnd);
        b.append("\r\nTo: ");
        appendValue(b, scan.valueOffsetTo, scan.toEnd);
        if (scan.toTag == null && status > 100 && toTag != null) {
            b.append(";tag=").append(toTag);
        }
        b.append("\r\nCall-ID: ");
        appendValue(b, scan.valueOffsetCallId, scan.callIdEnd);
        b.append("\r\nCSeq: ");
        appendValue(b, scan.valueOffsetCseq, scan.cseqEnd);
        b.append("\r\n").append(extraHeaders).append("Content-Length: 0\r\n\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The top via-parm with received/rport per RFC 3581, then the rest of the first Via line as received. */
    private void appendStampedTopVia(StringBuilder b, int lineStart, int lineEnd) {
        if (arrival == null || scan.viaReceived) {
            appendAscii(b, lineStart, lineEnd);
            return;
        }
        String src = arrival.getAddress().getHostAddress();
        boolean addReceived = scan.viaRport || forcedRport || !src.equals(stripBrackets(scan.viaHost));
        if (scan.viaRportEnd > 0) {
            appendAscii(b, lineStart, scan.viaRportEnd);
            b.append('=').append(arrival.getPort());
            appendAscii(b, scan.viaRportEnd, scan.viaValueEnd);
        } else {
            appendAscii(b, lineStart, scan.viaValueEnd);
            if (forcedRport && !scan.viaRport) {
                b.append(";rport=").append(arrival.getPort());
            }
        }
        if (addReceived) {
            b.append(";received=").append(src);
        }
        appendAscii(b, scan.viaValueEnd, lineEnd);
    }

    private void appendValue(StringBuilder b, int valueStart, int lineEnd) {
        int e = lineEnd;
        while (e > valueStart && (wire[e - 1] == ' ' || wire[e - 1] == '\t')) {
            e--;
        }
        appendAscii(b, valueStart, e);
    }

    private void appendAscii(StringBuilder b, int s, int e) {
        for (int k = s; k < e; k++) {
            b.append((char) (wire[k] & 0xff));
        }
    }

    @Override
    public String toString() {
        synchronized (this) {
            if (message == null) {
                return new String(wire, scan.start, scan.messageEnd - scan.start, StandardCharsets.UTF_8);
            }
        }
        return message.toString();
    }
}
