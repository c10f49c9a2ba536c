package io.siprelay.core.codec;


/**
 * The fast path of the codec: one pass over a message that reads only what the transaction layer and a stateless
 * reply need (start line, top Via, From and To tags, Call-ID, CSeq, Max-Forwards, Content-Length) and records where
 * the header lines sit, so that a reply or a forwarded response can be cut from the received bytes.
 *
 * <p>It accepts only plainly well-formed messages: ASCII header lines without folding, one of each single-value
 * header, a {@code SIP/2.0/transport host[:port];params} top Via without quotes or comments, a simple name-addr in
 * From/To, no Proxy-Require. Anything else returns null and goes to the full parser ({@link JainSipCodec}), which
 * decides the error reply exactly as before. Headers this scan does not read are parsed (and validated) only when
 * something asks for the JAIN-SIP message, as Kamailio parses headers on demand.
 */
final class KeyScan {

    /** What a successful scan found; offsets index the original byte array. */
    static final class Result {
        int start;
        int headerEnd;   // first body octet
        int messageEnd;  // headerEnd + Content-Length (the datagram may carry more)
        boolean request;
        String method;
        String requestUri;
        int status;
        String callId;
        long cseq;
        String cseqMethod;
        String fromTag;
        String toTag;
        int maxForwards = -1;
        // top Via
        String viaTransport;
        String viaHost;
        int viaPort = -1;
        String viaBranch;
        boolean viaRport;
        boolean viaReceived;
        int viaLineStart;    // first octet of the first Via header line
        int viaLineEnd;      // just after its CRLF
        int viaValueStart;   // first octet of the top via-parm
        int viaValueEnd;     // just after the top via-parm (before a comma or the line end)
        int viaRportEnd;     // just after "rport" when it has no value, else -1
        boolean viaAlone;    // the first Via line holds only the top via-parm
        // header lines copied into a stateless reply: [start, end) of each line without CRLF, in order
        int[] viaLines = new int[8];
        int viaLineCount;
        int fromStart;
        int fromEnd;
        int toStart;
        int toEnd;
        int callIdStart;
        int callIdEnd;
        int cseqStart;
        int cseqEnd;
        int valueOffsetFrom;  // where the value starts inside the From line
        int valueOffsetTo;
        int valueOffsetCallId;
        int valueOffsetCseq;
    }

    private KeyScan() {
    }

    /** The scan result, or null when the message needs the full parser. Never throws. */
    static Result scan(byte[] d, SipLimits limits) {
        try {
            return doScan(d, limits);
        } catch (RuntimeException e) {
            return null; // index arithmetic on garbage: the full parser will say what is wrong
        }
    }

    private static Result doScan(byte[] d, SipLimits limits) {
        int n = d.length;
        if (n > limits.maxMessageBytes()) {
            return null;
        }
        int i = 0;
        while (i < n && (d[i] == '\r' || d[i] == '\n')) {
            i++;
        }
        Result r = new Result();
        r.start = i;
        int eol = SipBytes.lineEnd(d, i, n);
        if (eol < 0 || eol - i > limits.maxLineBytes() || !startLine(d, i, eol, r)) {
            return null;
        }
        i = eol + 2;
        int headers = 0;
        int contentLength = -1;
        boolean sawVia = false;
        int calls = 0;
        int froms = 0;
        int tos = 0;
        int cseqs = 0;
        int maxForwards = 0;
        int contentTypes = 0;
        while (true) {
            if (i + 1 >= n) {
                return null; // header section not terminated
            }
            if (d[i] == '\r' && d[i + 1] == '\n') {
                i += 2;
                break;
            }
            eol = SipBytes.lineEnd(d, i, n);
            if (eol < 0 || eol - i > limits.maxLineBytes() || ++headers > limits.maxHeaders()) {
                return null;
            }
            if (eol + 2 < n && (d[eol + 2] == ' ' || d[eol + 2] == '\t')) {
                return null; // folded header
            }
            int nameEnd = i;
            while (nameEnd < eol && SipBytes.isTokenChar(d[nameEnd])) {
                nameEnd++;
            }
            if (nameEnd == i) {
                return null;
            }
            int colon = nameEnd;
            while (colon < eol && (d[colon] == ' ' || d[colon] == '\t')) {
                colon++;
            }
            if (colon >= eol || d[colon] != ':') {
                return null;
            }
            int vs = colon + 1;
            while (vs < eol && (d[vs] == ' ' || d[vs] == '\t')) {
                vs++;
            }
            int ve = eol;
            while (ve > vs && (d[ve - 1] == ' ' || d[ve - 1] == '\t')) {
                ve--;
            }
            for (int k = vs; k < ve; k++) {
                int c = d[k] & 0xff;
                if (c >= 0x7f || (c < 0x20 && c != '\t')) {
                    return null; // non-ASCII or control octets: the full parser decides
                }
            }
            switch (headerId(d, i, nameEnd)) {
                case VIA -> {
                    if (!sawVia) {
                        sawVia = true;
                        r.viaLineStart = i;
                        r.viaLineEnd = eol + 2;
                        if (!topVia(d, vs, ve, r)) {
                            return null;
                        }
                    }
                    if (r.viaLineCount == r.viaLines.length) {
                        r.viaLines = java.util.Arrays.copyOf(r.viaLines, r.viaLines.length * 2);
                    }
                    r.viaLines[r.viaLineCount++] = vs;
                    r.viaLines[r.viaLineCount++] = ve;
                }
                case FROM -> {
                    froms++;
                    r.fromStart = i;
                    r.fromEnd = eol;
                    r.valueOffsetFrom = vs;
                    if (!address(d, vs, ve, r, true)) {
                        return null;
                    }
                }
                case TO -> {
                    tos++;
                    r.toStart = i;
                    r.toEnd = eol;
                    r.valueOffsetTo = vs;
                    if (!address(d, vs, ve, r, false)) {
                        return null;
                    }
                }
                case CALL_ID -> {
                    calls++;
                    r.callIdStart = i;
                    r.callIdEnd = eol;
                    r.valueOffsetCallId = vs;
                    for (int k = vs; k < ve; k++) {
                        if (!SipBytes.isCallIdChar(d[k])) {
                            return null;
                        }
                    }
                    if (ve == vs) {
                        return null;
                    }
                    r.callId = SipBytes.ascii(d, vs, ve);
                }
                case CSEQ -> {
                    cseqs++;
                    r.cseqStart = i;
                    r.cseqEnd = eol;
                    r.valueOffsetCseq = vs;
                    if (!cseq(d, vs, ve, r)) {
                        return null;
                    }
                }
                case MAX_FORWARDS -> {
                    maxForwards++;
                    long v = SipBytes.digits(d, vs, ve, 3);
                    if (v < 0 || v > 255) {
                        return null;
                    }
                    r.maxForwards = (int) v;
                }
                case CONTENT_LENGTH -> {
                    if (contentLength >= 0) {
                        return null;
                    }
                    long v = SipBytes.digits(d, vs, ve, 9);
                    if (v < 0) {
                        return null;
                    }
                    contentLength = (int) v;
                }
                case CONTENT_TYPE -> contentTypes++;
                case PROXY_REQUIRE -> {
                    return null; // 420 decisions stay with the validator
                }
                default -> { }
            }
            i = eol + 2;
        }
        if (!sawVia || calls != 1 || froms != 1 || tos != 1 || cseqs != 1 || maxForwards > 1 || contentTypes > 1) {
            return null;
        }
        if (r.request && !r.method.equals(r.cseqMethod)) {
            return null; // 400 or 501: the validator's call
        }
        r.headerEnd = i;
        int available = n - i;
        if (contentLength < 0) {
            contentLength = available; // a datagram without Content-Length: the rest is the body (RFC 3261 §18.3)
        }
        if (contentLength > available) {
            return null;
        }
        r.messageEnd = i + contentLength;
        return r;
    }

    // ---------------------------------------------------------------- start line

    private static boolean startLine(byte[] d, int s, int e, Result r) {
        if (e - s > 8 && d[s] == 'S' && d[s + 1] == 'I' && d[s + 2] == 'P' && d[s + 3] == '/') {
            // SIP/2.0 SP 3DIGIT SP Reason-Phrase
            if (e - s < 12 || !SipBytes.matches(d, s, "SIP/2.0 ") || d[s + 11] != ' ') {
                return false;
            }
            long code = SipBytes.digits(d, s + 8, s + 11, 3);
            if (code < 100 || code > 699) {
                return false;
            }
            r.request = false;
            r.status = (int) code;
            return true;
        }
        int sp1 = s;
        while (sp1 < e && SipBytes.isTokenChar(d[sp1])) {
            sp1++;
        }
        if (sp1 == s || sp1 >= e || d[sp1] != ' ') {
            return false;
        }
        int sp2 = sp1 + 1;
        while (sp2 < e && d[sp2] > ' ' && d[sp2] < 0x7f && d[sp2] != '<' && d[sp2] != '>' && d[sp2] != '"'
                && d[sp2] != '?') {
            sp2++;
        }
        if (sp2 == sp1 + 1 || sp2 >= e || d[sp2] != ' ' || e - sp2 - 1 != 7 || !SipBytes.matches(d, sp2 + 1, "SIP/2.0")) {
            return false;
        }
        if (!(SipBytes.matchesIgnoreCase(d, sp1 + 1, "sip:") || SipBytes.matchesIgnoreCase(d, sp1 + 1, "sips:"))) {
            return false; // tel: and other schemes: the full parser and validator (416)
        }
        r.request = true;
        r.method = SipBytes.ascii(d, s, sp1);
        r.requestUri = SipBytes.ascii(d, sp1 + 1, sp2);
        return true;
    }

    // ---------------------------------------------------------------- Via

    /** SIP/2.0/TRANSPORT SP host[:port] *(;name[=value]) [, more via-parms] */
    private static boolean topVia(byte[] d, int s, int e, Result r) {
        if (!SipBytes.matchesIgnoreCase(d, s, "sip/2.0/")) {
            return false;
        }
        int t = s + 8;
        int te = t;
        while (te < e && SipBytes.isAlnum(d[te])) {
            te++;
        }
        if (te == t || te >= e || d[te] != ' ') {
            return false;
        }
        r.viaTransport = SipBytes.ascii(d, t, te).toUpperCase(java.util.Locale.ROOT);
        int h = te + 1;
        int he;
        if (h < e && d[h] == '[') {
            he = h + 1;
            while (he < e && (SipBytes.isHex(d[he]) || d[he] == ':' || d[he] == '.')) {
                he++;
            }
            if (he >= e || d[he] != ']') {
                return false;
            }
            he++;
        } else {
            he = h;
            while (he < e && (SipBytes.isAlnum(d[he]) || d[he] == '.' || d[he] == '-')) {
                he++;
            }
        }
        if (he == h) {
            return false;
        }
        r.viaHost = SipBytes.ascii(d, h, he);
        int p = he;
        if (p < e && d[p] == ':') {
            int ps = p + 1;
            p = ps;
            while (p < e && SipBytes.isDigit(d[p])) {
                p++;
            }
            long port = SipBytes.digits(d, ps, p, 5);
            if (port < 1 || port > 65535) {
                return false;
            }
            r.viaPort = (int) port;
        }
        r.viaRportEnd = -1;
        while (p < e && d[p] == ';') {
            int ns = p + 1;
            int ne = ns;
            while (ne < e && SipBytes.isTokenChar(d[ne])) {
                ne++;
            }
            if (ne == ns) {
                return false;
            }
            int vs = -1;
            int ve = ne;
            if (ve < e && d[ve] == '=') {
                vs = ve + 1;
                ve = vs;
                while (ve < e && (SipBytes.isTokenChar(d[ve]) || d[ve] == ':' || d[ve] == '[' || d[ve] == ']')) {
                    ve++;
                }
                if (ve == vs) {
                    return false;
                }
            }
            if (SipBytes.regionIs(d, ns, ne, "branch")) {
                if (vs < 0 || r.viaBranch != null) {
                    return false;
                }
                r.viaBranch = SipBytes.ascii(d, vs, ve);
            } else if (SipBytes.regionIs(d, ns, ne, "rport")) {
                r.viaRport = true;
                r.viaRportEnd = vs < 0 ? ne : -1;
            } else if (SipBytes.regionIs(d, ns, ne, "received")) {
                r.viaReceived = true;
            }
            p = ve;
        }
        if (p == e) {
            r.viaAlone = true;
        } else if (d[p] == ',') {
            r.viaAlone = false;
        } else {
            return false;
        }
        r.viaValueStart = s;
        r.viaValueEnd = p;
        return true;
    }

    // ---------------------------------------------------------------- From / To

    /**
     * {@code ["display" | token display] <uri> *(;param)} or {@code uri *(;param)} with no {@code <>",} in the bare
     * form. Records the tag.
     */
    private static boolean address(byte[] d, int s, int e, Result r, boolean from) {
        int p = s;
        int paramsAt;
        if (p < e && d[p] == '"') {
            p++;
            while (p < e && d[p] != '"') {
                if (d[p] == '\\') {
                    return false;
                }
                p++;
            }
            if (p >= e) {
                return false;
            }
            p++;
            while (p < e && d[p] == ' ') {
                p++;
            }
            if (p >= e || d[p] != '<') {
                return false;
            }
        }
        int lt = -1;
        for (int k = p; k < e; k++) {
            if (d[k] == '<') {
                lt = k;
                break;
            }
        }
        if (lt >= 0) {
            for (int k = p; k < lt; k++) { // unquoted display name: tokens and spaces only
                if (!SipBytes.isTokenChar(d[k]) && d[k] != ' ') {
                    return false;
                }
            }
            int gt = lt + 1;
            while (gt < e && d[gt] != '>') {
                if (d[gt] <= ' ' || d[gt] == '<' || d[gt] == '"') {
                    return false;
                }
                gt++;
            }
            if (gt >= e || !uriScheme(d, lt + 1, gt)) {
                return false;
            }
            paramsAt = gt + 1;
        } else {
            int k = p;
            while (k < e && d[k] != ';') {
                if (d[k] <= ' ' || d[k] == '>' || d[k] == '"' || d[k] == ',' || d[k] == '?') {
                    return false;
                }
                k++;
            }
            if (!uriScheme(d, p, k)) {
                return false;
            }
            paramsAt = k;
        }
        String tag = null;
        p = paramsAt;
        while (p < e && d[p] == ' ') {
            p++;
        }
        while (p < e) {
            if (d[p] != ';') {
                return false;
            }
            int ns = p + 1;
            while (ns < e && d[ns] == ' ') {
                ns++;
            }
            int ne = ns;
            while (ne < e && SipBytes.isTokenChar(d[ne])) {
                ne++;
            }
            if (ne == ns) {
                return false;
            }
            int ve = ne;
            int vs = -1;
            if (ve < e && d[ve] == '=') {
                vs = ve + 1;
                ve = vs;
                while (ve < e && SipBytes.isTokenChar(d[ve])) {
                    ve++;
                }
                if (ve == vs) {
                    return false;
                }
            }
            if (SipBytes.regionIs(d, ns, ne, "tag")) {
                if (vs < 0 || tag != null) {
                    return false;
                }
                tag = SipBytes.ascii(d, vs, ve);
            }
            p = ve;
            while (p < e && d[p] == ' ') {
                p++;
            }
        }
        if (from) {
            r.fromTag = tag;
        } else {
            r.toTag = tag;
        }
        return true;
    }

    private static boolean uriScheme(byte[] d, int s, int e) {
        return e - s > 4 && (SipBytes.matchesIgnoreCase(d, s, "sip:") || SipBytes.matchesIgnoreCase(d, s, "sips:")
                || SipBytes.matchesIgnoreCase(d, s, "tel:"));
    }

    // ---------------------------------------------------------------- CSeq

    private static boolean cseq(byte[] d, int s, int e, Result r) {
        int p = s;
        while (p < e && SipBytes.isDigit(d[p])) {
            p++;
        }
        long n = SipBytes.digits(d, s, p, 10);
        if (n < 0 || n > 0x7FFF_FFFFL || p >= e || d[p] != ' ') {
            return false;
        }
        while (p < e && d[p] == ' ') {
            p++;
        }
        int m = p;
        while (m < e && SipBytes.isTokenChar(d[m])) {
            m++;
        }
        if (m == p || m != e) {
            return false;
        }
        r.cseq = n;
        r.cseqMethod = SipBytes.ascii(d, p, m);
        return true;
    }

    // ---------------------------------------------------------------- header names

    private static final int OTHER = 0;
    private static final int VIA = 1;
    private static final int FROM = 2;
    private static final int TO = 3;
    private static final int CALL_ID = 4;
    private static final int CSEQ = 5;
    private static final int MAX_FORWARDS = 6;
    private static final int CONTENT_LENGTH = 7;
    private static final int CONTENT_TYPE = 8;
    private static final int PROXY_REQUIRE = 9;

    private static int headerId(byte[] d, int s, int e) {
        int len = e - s;
        if (len == 1) {
            return switch (d[s] | 0x20) {
                case 'v' -> VIA;
                case 'f' -> FROM;
                case 't' -> TO;
                case 'i' -> CALL_ID;
                case 'l' -> CONTENT_LENGTH;
                case 'c' -> CONTENT_TYPE;
                default -> OTHER;
            };
        }
        if (SipBytes.regionIs(d, s, e, "via")) {
            return VIA;
        }
        if (SipBytes.regionIs(d, s, e, "from")) {
            return FROM;
        }
        if (SipBytes.regionIs(d, s, e, "to")) {
            return TO;
        }
        if (SipBytes.regionIs(d, s, e, "call-id")) {
            return CALL_ID;
        }
        if (SipBytes.regionIs(d, s, e, "cseq")) {
            return CSEQ;
        }
        if (SipBytes.regionIs(d, s, e, "max-forwards")) {
            return MAX_FORWARDS;
        }
        if (SipBytes.regionIs(d, s, e, "content-length")) {
            return CONTENT_LENGTH;
        }
        if (SipBytes.regionIs(d, s, e, "content-type")) {
            return CONTENT_TYPE;
        }
        if (SipBytes.regionIs(d, s, e, "proxy-require")) {
            return PROXY_REQUIRE;
        }
        return OTHER;
    }
}
