package io.siprelay.core.codec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.ProxyRequireHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * Sanity checks run after a message parsed, modelled on Kamailio's {@code sanity_check}: version, required headers,
 * CSeq, single-value headers, Request-URI, Proxy-Require, and the name-addr rules the RI parser is liberal about.
 * Role-dependent decisions (483 for Max-Forwards 0, 415, 401, 406...) are NOT made here: the proxy decides them.
 *
 * <p>Every check throws a {@link SipParseException}; for a response the exception is never answerable.
 */
final class SipValidator {

    /** Methods of RFC 3261 and its common extensions; anything else is an extension method (→ 501 on mismatch). */
    static final Set<String> KNOWN_METHODS = Set.of("INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "REGISTER", "PRACK",
            "SUBSCRIBE", "NOTIFY", "PUBLISH", "INFO", "REFER", "MESSAGE", "UPDATE");

    /** Headers that may occur once only (RFC 3261 §7.3.1: only comma-list headers may repeat). */
    private static final List<String> SINGLE_VALUE = List.of("call-id", "from", "to", "cseq", "max-forwards",
            "content-length", "content-type");

    private static final long MAX_CSEQ = 0x7FFF_FFFFL;
    /** Linear white space between display-name tokens; compiled once (String.split would compile it per call). */
    private static final Pattern LWS = Pattern.compile("[ \\t]+");

    private final Set<String> supportedOptionTags;

    SipValidator(Set<String> supportedOptionTags) {
        Set<String> lower = new java.util.HashSet<>();
        for (String t : supportedOptionTags) {
            lower.add(t.toLowerCase(Locale.ROOT));
        }
        this.supportedOptionTags = Set.copyOf(lower);
    }

    /**
     * Checks on the raw start line. A response with a version other than SIP/2.0 throws (drop); for a request the
     * reason of a malformed request line is returned (null when well formed) and the codec decides whether a partial
     * message can carry the 400.
     */
    String checkStartLine(RawScan scan) throws SipParseException {
        String line = scan.startLine;
        if (scan.isResponse()) {
            // RFC 3261 §7.2 Status-Line = SIP-Version SP Status-Code SP Reason-Phrase; only SIP/2.0 is understood.
            // A response is never answered (RFC 3261 §16.7 / §18.1.2), so every failure here is a drop.
            int sp = line.indexOf(' ');
            String version = sp < 0 ? line : line.substring(0, sp);
            if (!"SIP/2.0".equals(version)) {
                throw drop(505, "Version Not Supported", null);
            }
            return null;
        }
        // RFC 3261 §7.1/§25.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF, exactly one SP between the
        // elements and none at the end (RFC 4475 §3.1.2.9 lwsstart, §3.1.2.10 trws, §3.1.2.8 lwsruri), and the
        // Request-URI is a bare URI, not a name-addr (RFC 4475 §3.1.2.7 ltgtruri).
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            return "Bad Request - malformed request line";
        }
        if (!isToken(parts[0])) {
            return "Bad Request - bad method";
        }
        for (int i = 0; i < parts[1].length(); i++) {
            char c = parts[1].charAt(i);
            if (c <= ' ' || c == '<' || c == '>' || c == '"' || c == 0x7f) {
                return "Bad Request - malformed Request-URI";
            }
        }
        return null;
    }

    /** Request version: RFC 3261 §8.2.2 (via §16.3): a request with an unsupported version gets 505. */
    void checkRequestVersion(RawScan scan, SipMessage partial) throws SipParseException {
        String line = scan.startLine;
        String version = line.substring(line.lastIndexOf(' ') + 1);
        if (!"SIP/2.0".equalsIgnoreCase(version)) {
            throw reject(505, "Version Not Supported", partial);
        }
    }

    /** All checks on a message the RI parsed without complaint. */
    void validate(RawScan scan, SipMessage sm) throws SipParseException {
        Message m = sm.message();
        boolean request = m instanceof Request;
        if (request) {
            checkRequestVersion(scan, sm);
        } else {
            // RFC 3261 §21: status codes are 100..699; anything else cannot be processed (RFC 4475 §3.1.2.19 bigcode).
            int code = ((Response) m).getStatusCode();
            if (code < 100 || code > 699) {
                throw drop(400, "Bad status code " + code, sm);
            }
        }
        // RFC 3261 §8.1.1 / §8.2.2: Via, From, To, Call-ID, CSeq are mandatory (Max-Forwards may be missing in an
        // RFC 2543 request, RFC 3261 §16.3 step 3 / RFC 4475 §3.4.1). RFC 4475 §3.3.1 insuf → 400.
        requireHeader(m, ViaHeader.NAME, "Via", sm);
        requireHeader(m, FromHeader.NAME, "From", sm);
        requireHeader(m, ToHeader.NAME, "To", sm);
        requireHeader(m, CallIdHeader.NAME, "Call-ID", sm);
        requireHeader(m, CSeqHeader.NAME, "CSeq", sm);

        // RFC 3261 §7.3.1: a header that is not a comma-separated list appears once (RFC 4475 §3.3.8 multi01);
        // two Content-Length values are a framing error (RFC 4475 §3.3.9 mcl01, RFC 3261 §18.3).
        for (String name : SINGLE_VALUE) {
            if (scan.values(name).size() > 1) {
                throw reject(400, "Bad Request - duplicate " + display(name), sm);
            }
        }

        // RFC 3261 §20.10/§25.1 name-addr rules for From, To, Contact the RI parser accepts too liberally:
        // unquoted display-name must be tokens (RFC 4475 §3.1.2.15 baddn), no LWS inside <> (§3.1.2.14 badaspec),
        // an addr-spec with '?' or ',' must have been a name-addr (§3.1.2.13 regbadct).
        checkAddressHeader(scan, "from", true, sm);
        checkAddressHeader(scan, "to", true, sm);
        checkAddressHeader(scan, "contact", false, sm);

        // RFC 3261 §8.1.1.5 / §25.1: CSeq number is a 32-bit unsigned integer below 2^31 (RFC 4475 §3.1.2.4 scalar02).
        CSeqHeader cseq = (CSeqHeader) m.getHeader(CSeqHeader.NAME);
        if (cseq.getSeqNumber() < 0 || cseq.getSeqNumber() > MAX_CSEQ) {
            throw reject(400, "Bad Request - bad CSeq number", sm);
        }

        // RFC 3261 §20.22: Max-Forwards is 0..255 (a 0 is legal here; the proxy role answers 483, not the codec).
        MaxForwardsHeader mf = (MaxForwardsHeader) m.getHeader(MaxForwardsHeader.NAME);
        if (mf != null && (mf.getMaxForwards() < 0 || mf.getMaxForwards() > 255)) {
            throw reject(400, "Bad Request - bad Max-Forwards", sm);
        }

        if (!request) {
            return;
        }
        Request r = (Request) m;
        String method = r.getMethod();
        // RFC 3261 §8.1.1.5: the CSeq method matches the request method (RFC 4475 §3.1.2.17 mismatch01 → 400); for an
        // unknown method the better answer is 501 (RFC 4475 §3.1.2.18 mismatch02, RFC 3261 §8.2.1).
        if (!method.equals(cseq.getMethod())) {
            if (!KNOWN_METHODS.contains(method)) {
                throw reject(501, "Not Implemented", sm);
            }
            throw reject(400, "Bad Request - CSeq method mismatch", sm);
        }

        // RFC 3261 §16.3 step 2 / §8.2.2.1: Request-URI scheme we cannot handle → 416 (RFC 4475 §3.3.2 unkscm,
        // §3.3.3 novelsc).
        URI ruri = r.getRequestURI();
        String scheme = ruri.getScheme() == null ? "" : ruri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("sip") && !scheme.equals("sips") && !scheme.equals("tel")) {
            throw reject(416, "Unsupported URI Scheme", sm);
        }
        // RFC 3261 §19.1.5: escaped headers are not allowed in a Request-URI (RFC 4475 §3.1.2.11 escruri).
        if (ruri instanceof SipURI su && su.getHeaderNames() != null && su.getHeaderNames().hasNext()) {
            throw reject(400, "Bad Request - headers in Request-URI", sm);
        }

        // RFC 3261 §16.3 step 5: Proxy-Require tags this proxy does not support → 420 with Unsupported
        // (RFC 4475 §3.3.5 bext01). Require is for the UAS and is not checked here.
        List<String> unsupported = new ArrayList<>();
        for (var it = r.getHeaders(ProxyRequireHeader.NAME); it.hasNext(); ) {
            ProxyRequireHeader pr = (ProxyRequireHeader) it.next();
            String tag = pr.getOptionTag();
            if (tag != null && !supportedOptionTags.contains(tag.toLowerCase(Locale.ROOT)) && !unsupported.contains(tag)) {
                unsupported.add(tag);
            }
        }
        if (!unsupported.isEmpty()) {
            throw new SipParseException(420, "Bad Extension", sm, unsupported, false);
        }
    }

    private static void requireHeader(Message m, String name, String display, SipMessage sm) throws SipParseException {
        if (m.getHeader(name) == null) {
            throw reject(400, "Bad Request - missing " + display, sm);
        }
    }

    private static void checkAddressHeader(RawScan scan, String name, boolean single, SipMessage sm)
            throws SipParseException {
        for (String value : scan.values(name)) {
            if (name.equals("contact") && value.strip().equals("*")) {
                continue;
            }
            List<String> elements = splitElements(value);
            if (elements == null || (single && elements.size() != 1)) {
                throw reject(400, "Bad Request - bad header " + display(name), sm);
            }
            for (String e : elements) {
                if (!validAddress(e)) {
                    throw reject(400, "Bad Request - bad header " + display(name), sm);
                }
            }
        }
    }

    /** Splits a header value at commas outside quoted strings and angle brackets; null when quotes/brackets do not balance. */
    static List<String> splitElements(String v) {
        List<String> out = new ArrayList<>(1);
        boolean quoted = false;
        boolean angle = false;
        int from = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (angle) {
                if (c == '>') {
                    angle = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == '<') {
                angle = true;
            } else if (c == ',') {
                out.add(v.substring(from, i));
                from = i + 1;
            }
        }
        if (quoted || angle) {
            return null;
        }
        out.add(v.substring(from));
        return out;
    }

    /** One name-addr or addr-spec element (with its header parameters). */
    private static boolean validAddress(String element) {
        String e = element.strip();
        int lt = -1;
        boolean quoted = false;
        for (int i = 0; i < e.length(); i++) {
            char c = e.charAt(i);
            if (quoted) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == '<') {
                lt = i;
                break;
            }
        }
        if (lt < 0) {
            // addr-spec form: RFC 3261 §20.10 — a URI with ',', '?' (or ';' as part of the URI) needs <>.
            return e.indexOf('?') < 0;
        }
        String display = e.substring(0, lt).strip();
        if (!display.isEmpty() && display.charAt(0) != '"') {
            // display-name = *(token LWS) / quoted-string
            for (String word : LWS.split(display)) {
                if (!isToken(word)) {
                    return false;
                }
            }
        }
        int gt = e.indexOf('>', lt);
        if (gt < 0) {
            return false;
        }
        // LAQUOT = SWS "<" and RAQUOT = ">" SWS: no whitespace inside the brackets.
        for (int i = lt + 1; i < gt; i++) {
            char c = e.charAt(i);
            if (c == ' ' || c == '\t') {
                return false;
            }
        }
        return true;
    }

    /** RFC 3261 §25.1 token. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-.!%*_+`'~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    static String display(String canonical) {
        return switch (canonical) {
            case "call-id" -> "Call-ID";
            case "cseq" -> "CSeq";
            case "www-authenticate" -> "WWW-Authenticate";
            default -> {
                StringBuilder b = new StringBuilder(canonical.length());
                boolean up = true;
                for (char c : canonical.toCharArray()) {
                    b.append(up ? Character.toUpperCase(c) : c);
                    up = c == '-';
                }
                yield b.toString();
            }
        };
    }

    /** A rejection: for a request the status it deserves; for a response always a drop. */
    static SipParseException reject(int status, String reason, SipMessage partial) {
        return new SipParseException(status, reason, partial, List.of(), partial != null && !partial.isRequest());
    }

    static SipParseException drop(int status, String reason, SipMessage partial) {
        return new SipParseException(status, reason, partial, List.of(), true);
    }
}
