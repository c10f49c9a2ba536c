package io.siprelay.core.codec;

import gov.nist.javax.sip.address.AddressFactoryImpl;
import gov.nist.javax.sip.header.ContentLength;
import gov.nist.javax.sip.header.RequestLine;
import gov.nist.javax.sip.header.StatusLine;
import gov.nist.javax.sip.header.HeaderFactoryImpl;
import gov.nist.javax.sip.message.MessageFactoryImpl;
import gov.nist.javax.sip.message.SIPMessage;
import gov.nist.javax.sip.message.SIPRequest;
import gov.nist.javax.sip.parser.ParseExceptionListener;
import gov.nist.javax.sip.parser.StringMsgParser;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.sip.address.AddressFactory;
import javax.sip.header.CSeqHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.header.ViaHeader;
import javax.sip.message.Message;
import javax.sip.message.MessageFactory;

/**
 * {@link SipCodec} on the JAIN-SIP RI parser. Thread-safe: one parser object per parse (the RI's are not).
 *
 * <p>A parse is: a bounded byte scan ({@link RawScan}) that enforces {@link SipLimits} and finds the header section;
 * the RI parser on the header section only, with a listener that records the first bad header instead of aborting;
 * the body cut by Content-Length here (not by the RI); then {@link SipValidator}. Nothing but
 * {@link SipParseException} leaves {@link #parse(byte[])}.
 */
final class JainSipCodec implements SipCodec {

    private static final byte[] CRLFCRLF = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final SipLimits limits;
    private final SipValidator validator;
    private final boolean lazy;
    private final java.util.concurrent.atomic.LongAdder deferredRequestParses;
    private final MessageFactoryImpl messageFactory = new MessageFactoryImpl();
    private final HeaderFactoryImpl headerFactory = new HeaderFactoryImpl();
    private final AddressFactoryImpl addressFactory = new AddressFactoryImpl();

    JainSipCodec(SipLimits limits) {
        this(limits, Set.of(), true);
    }

    /**
     * @param supportedOptionTags Proxy-Require option tags this proxy supports; any other gets 420
     * @param lazy                parse plainly well-formed messages lazily ({@link KeyScan}); false parses and
     *                            validates every message in full at once
     */
    JainSipCodec(SipLimits limits, Set<String> supportedOptionTags, boolean lazy) {
        this.limits = limits;
        this.validator = new SipValidator(supportedOptionTags);
        this.lazy = lazy;
        this.deferredRequestParses = new java.util.concurrent.atomic.LongAdder();
    }

    @Override
    public SipMessage parse(byte[] data) throws SipParseException {
        if (lazy && data != null) {
            KeyScan.Result scan = KeyScan.scan(data, limits);
            if (scan != null) {
                return SipMessage.lazy(this, data, scan);
            }
        }
        return parseFull(data);
    }

    /** The eager parse: RI parser and every validation, now. */
    SipMessage parseFull(byte[] data) throws SipParseException {
        return guarded(() -> doParse(data));
    }

    @Override
    public long deferredRequestParses() {
        return deferredRequestParses.sum();
    }

    void countDeferredParse(boolean request) {
        if (request) {
            deferredRequestParses.increment();
        }
    }

    SipLimits limits() {
        return limits;
    }

    /** A parse step that may throw anything. */
    interface ParseStep {
        SipMessage run() throws SipParseException;
    }

    /** Runs a parse step so that only {@link SipParseException} (or OutOfMemoryError) can leave it. */
    static SipMessage guarded(ParseStep step) throws SipParseException {
        try {
            return step.run();
        } catch (SipParseException e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw e;
        } catch (Throwable t) {
            // RuntimeException from the RI, StackOverflowError on deep nesting, anything: never past the codec.
            throw new SipParseException(400, "Bad Request", null, t);
        }
    }

    /** First parse problem the RI reported: the header class (or line class) and the header text. */
    private static final class FirstError implements ParseExceptionListener {
        Class<?> headerClass;
        String text;
        int count;

        @Override
        public void handleException(java.text.ParseException ex, SIPMessage msg, @SuppressWarnings("rawtypes") Class hdrClass,
                String header, String message) {
            if (count++ == 0) {
                headerClass = hdrClass;
                text = header;
            }
        }
    }

    private SipMessage doParse(byte[] data) throws SipParseException {
        if (data == null || data.length == 0) {
            throw new SipParseException(400, "Bad Request - empty message", null);
        }
        RawScan scan;
        try {
            scan = RawScan.scan(data, limits);
        } catch (RawScan.ScanException e) {
            // Too many headers / overlong line: refused before any allocation per header; nothing to reply with.
            throw new SipParseException(e.status, e.reason, null);
        }
        boolean response = scan.isResponse();
        String startLineProblem = validator.checkStartLine(scan); // throws for a response with a bad version

        // RI parse of the header section only; the body is cut below by our own Content-Length rules.
        byte[] head;
        if (scan.terminated) {
            head = Arrays.copyOfRange(data, scan.start, scan.headerEnd);
        } else {
            head = Arrays.copyOfRange(data, scan.start, scan.headerEnd + CRLFCRLF.length);
            System.arraycopy(CRLFCRLF, 0, head, scan.headerEnd - scan.start, CRLFCRLF.length);
        }
        FirstError errors = new FirstError();
        SIPMessage m;
        try {
            m = new StringMsgParser().parseSIPMessage(head, false, false, errors);
        } catch (java.text.ParseException e) {
            throw new SipParseException(400, "Bad Request", null, List.of(), response);
        }
        if (m == null) {
            throw new SipParseException(400, "Bad Request - empty message", null, List.of(), response);
        }
        if (response != !(m instanceof SIPRequest)) {
            throw new SipParseException(400, "Bad Request - bad start line", null, List.of(), true);
        }
        boolean requestLineBroken = errors.count > 0 && errors.headerClass == RequestLine.class;
        boolean statusLineBroken = errors.count > 0 && errors.headerClass == StatusLine.class;
        // A request whose start line is unusable is still answered when it at least starts with a method token:
        // the reply only copies Via/From/To/Call-ID/CSeq. Otherwise it is not SIP enough to answer.
        SipMessage partial;
        if (response && statusLineBroken) {
            partial = null;
        } else if (!response && (requestLineBroken || startLineProblem != null) && !startsWithToken(scan.startLine)) {
            partial = null;
        } else {
            partial = SipMessage.of(m);
        }

        if (data.length > limits.maxMessageBytes()) {
            throw new SipParseException(513, "Message Too Large", partial, List.of(), response);
        }
        if (startLineProblem != null) {
            throw new SipParseException(400, startLineProblem, partial, List.of(), response);
        }
        if (errors.count > 0) {
            String reason;
            if (requestLineBroken) {
                reason = "Bad Request - bad request line";
            } else if (statusLineBroken) {
                reason = "Bad status line";
            } else {
                reason = "Bad Request - bad header " + headerName(errors.text);
            }
            throw new SipParseException(400, reason, partial, List.of(), response);
        }
        if (!scan.terminated) {
            // RFC 3261 §7: the empty line ending the header section is mandatory (RFC 4475 §3.1.2.15 baddn as published).
            throw new SipParseException(400, "Bad Request - header section not terminated", partial, List.of(), response);
        }

        attachBody(data, scan, m, partial, response);
        validator.validate(scan, partial);
        return partial;
    }

    /**
     * RFC 3261 §18.3: the body is exactly Content-Length octets; octets after it in a datagram are ignored (RFC 4475
     * §3.1.2.8 dblreq); a Content-Length beyond the datagram is an error (§3.1.2.2 clerr); without Content-Length
     * the body of a datagram is the rest of it.
     */
    private static void attachBody(byte[] data, RawScan scan, SIPMessage m, SipMessage partial, boolean response)
            throws SipParseException {
        int available = data.length - scan.headerEnd;
        List<String> declared = scan.values("content-length");
        int length;
        if (declared.isEmpty()) {
            length = available;
        } else {
            ContentLength cl = (ContentLength) m.getContentLength();
            length = cl == null ? -1 : cl.getContentLength();
            if (length < 0) {
                throw new SipParseException(400, "Bad Request - bad header Content-Length", partial, List.of(), response);
            }
            if (length > available) {
                throw new SipParseException(400, "Bad Request - Content-Length larger than message", partial, List.of(),
                        response);
            }
        }
        if (length > 0) {
            m.setMessageContent(Arrays.copyOfRange(data, scan.headerEnd, scan.headerEnd + length));
        }
    }

    private static boolean startsWithToken(String startLine) {
        int sp = startLine.indexOf(' ');
        return sp > 0 && SipValidator.isToken(startLine.substring(0, sp));
    }

    private static String headerName(String headerText) {
        if (headerText == null) {
            return "?";
        }
        int colon = headerText.indexOf(':');
        String raw = (colon < 0 ? headerText : headerText.substring(0, colon)).strip();
        if (raw.isEmpty() || raw.length() > 64 || !SipValidator.isToken(raw)) {
            return "?";
        }
        return SipValidator.display(RawScan.canonical(raw.toLowerCase(Locale.ROOT)));
    }

    @Override
    public byte[] encode(Message message) {
        SIPMessage sm = (SIPMessage) message;
        // The RI's encodeAsBytes(transport) writes its argument into the top Via: hand it the Via's own transport.
        ViaHeader via = (ViaHeader) sm.getHeader(ViaHeader.NAME);
        if (via != null && via.getTransport() != null) {
            return keepCSeqMethodCase(sm, sm.encodeAsBytes(via.getTransport()));
        }
        // No Via (a message under construction): header section from encode(), body bytes untouched.
        String text = sm.encode();
        int end = text.indexOf("\r\n\r\n");
        byte[] head = (end < 0 ? text : text.substring(0, end + 4)).getBytes(StandardCharsets.UTF_8);
        byte[] body = sm.getRawContent();
        head = keepCSeqMethodCase(sm, head);
        if (end < 0 || body == null) {
            return head;
        }
        byte[] out = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        return out;
    }

    /**
     * The RI encodes the CSeq method upper-cased, which turns an extension method like {@code foo} into a CSeq that no
     * longer matches the request line (RFC 3261 §8.1.1.5: methods are case-sensitive). Put the method back as it is.
     */
    private static byte[] keepCSeqMethodCase(SIPMessage sm, byte[] encoded) {
        CSeqHeader cseq = (CSeqHeader) sm.getHeader(CSeqHeader.NAME);
        if (cseq == null || cseq.getMethod() == null) {
            return encoded;
        }
        String method = cseq.getMethod();
        String upper = method.toUpperCase(Locale.ROOT);
        if (method.equals(upper)) {
            return encoded;
        }
        String text = new String(encoded, StandardCharsets.ISO_8859_1);
        String wrong = "\r\nCSeq: " + cseq.getSeqNumber() + " " + upper + "\r\n";
        int at = text.indexOf(wrong);
        if (at < 0) {
            return encoded;
        }
        String right = "\r\nCSeq: " + cseq.getSeqNumber() + " " + method + "\r\n";
        byte[] fixed = right.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[encoded.length - wrong.length() + fixed.length];
        System.arraycopy(encoded, 0, out, 0, at);
        System.arraycopy(fixed, 0, out, at, fixed.length);
        System.arraycopy(encoded, at + wrong.length(), out, at + fixed.length, encoded.length - at - wrong.length());
        return out;
    }

    @Override
    public MessageFactory messageFactory() {
        return messageFactory;
    }

    @Override
    public HeaderFactory headerFactory() {
        return headerFactory;
    }

    @Override
    public AddressFactory addressFactory() {
        return addressFactory;
    }
}
