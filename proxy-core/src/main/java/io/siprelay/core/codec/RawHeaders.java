package io.siprelay.core.codec;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Header values read straight from a received message's bytes, for a message the fast scan accepted (no folding,
 * ASCII lines): what Kamailio's on-demand header parsing gives a script, without building the JAIN-SIP message.
 *
 * <p>Values come as received, trimmed. Headers JAIN-SIP treats as comma lists (Contact, Route, Allow, ...) are split
 * at the commas outside quotes and angle brackets, one value per element, as {@code Message.getHeaders} gives them;
 * single-value headers give one value per line. A header this class does not know is answered only when it is
 * absent: its list semantics are JAIN-SIP's to decide, so the caller parses.
 */
final class RawHeaders {

    /** What {@link #values} returns when the caller must parse the message to answer. */
    static final List<String> UNKNOWN = List.of("\u0000unknown");

    private enum Kind { SINGLE, LIST }

    private static final Map<String, String> COMPACT = Map.ofEntries(
            Map.entry("i", "call-id"), Map.entry("m", "contact"), Map.entry("e", "content-encoding"),
            Map.entry("l", "content-length"), Map.entry("c", "content-type"), Map.entry("f", "from"),
            Map.entry("s", "subject"), Map.entry("k", "supported"), Map.entry("t", "to"), Map.entry("v", "via"),
            Map.entry("o", "event"), Map.entry("r", "refer-to"), Map.entry("b", "referred-by"),
            Map.entry("u", "allow-events"), Map.entry("x", "session-expires"), Map.entry("a", "accept-contact"),
            Map.entry("j", "reject-contact"), Map.entry("d", "request-disposition"), Map.entry("y", "identity"),
            Map.entry("n", "identity-info"));

    private static final Map<String, Kind> KINDS = kinds();

    private static Map<String, Kind> kinds() {
        Map<String, Kind> m = new java.util.HashMap<>();
        for (String h : new String[] {"authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate",
                "authentication-info", "user-agent", "server", "expires", "min-expires", "content-type",
                "content-length", "call-id", "cseq", "max-forwards", "from", "to", "date", "subject", "organization",
                "priority", "retry-after", "timestamp", "reply-to", "event", "refer-to", "referred-by",
                "session-expires", "min-se", "content-disposition", "subscription-state", "rack", "rseq",
                "mime-version", "replaces"}) {
            m.put(h, Kind.SINGLE);
        }
        for (String h : new String[] {"via", "contact", "route", "record-route", "path", "service-route", "allow",
                "supported", "require", "proxy-require", "unsupported", "accept", "accept-encoding", "accept-language",
                "allow-events", "content-encoding", "content-language", "in-reply-to"}) {
            m.put(h, Kind.LIST);
        }
        return Map.copyOf(m);
    }

    private RawHeaders() {
    }

    /** Names routes ask for, canonical: they come from code, so the map stays small (and is bounded anyway). */
    private static final java.util.concurrent.ConcurrentHashMap<String, String> CANONICAL =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** The full lower-case name for a header name or its compact form. */
    static String canonical(String name) {
        String c = CANONICAL.get(name);
        if (c == null) {
            String lower = name.trim().toLowerCase(Locale.ROOT);
            c = COMPACT.getOrDefault(lower, lower);
            if (CANONICAL.size() < 1024) {
                CANONICAL.put(name, c);
            }
        }
        return c;
    }

    /**
     * Where the header lines of {@code d} sit between {@code from} (the first octet after the start line) and
     * {@code headerEnd}: three ints per line (name start, colon, line end without CRLF), read once per message.
     */
    static int[] index(byte[] d, int from, int headerEnd) {
        int[] idx = new int[3 * 16];
        int n = 0;
        int i = from;
        while (i < headerEnd) {
            int eol = i;
            while (eol < headerEnd && d[eol] != '\n') {
                eol++;
            }
            int lineEnd = eol > i && d[eol - 1] == '\r' ? eol - 1 : eol;
            int colon = i;
            while (colon < lineEnd && d[colon] != ':') {
                colon++;
            }
            if (colon < lineEnd) {
                if (n + 3 > idx.length) {
                    idx = java.util.Arrays.copyOf(idx, idx.length * 2);
                }
                idx[n++] = i;
                idx[n++] = colon;
                idx[n++] = lineEnd;
            }
            i = eol + 1;
        }
        return java.util.Arrays.copyOf(idx, n);
    }

    /**
     * Values of header {@code name} in the lines of {@code index} over {@code d}: an empty list when absent,
     * {@link #UNKNOWN} when present but of a kind only the parser can split.
     */
    static List<String> values(byte[] d, int[] index, String name) {
        String want = canonical(name);
        Kind kind = KINDS.get(want);
        List<String> out = null;
        for (int k = 0; k < index.length; k += 3) {
            int colon = index[k + 1];
            if (!nameIs(d, index[k], colon, want)) {
                continue;
            }
            if (kind == null) {
                return UNKNOWN;
            }
            if (out == null) {
                out = new ArrayList<>(2);
            }
            String value = new String(d, colon + 1, index[k + 2] - colon - 1, StandardCharsets.UTF_8).trim();
            if (kind == Kind.SINGLE) {
                out.add(value);
            } else {
                split(value, out);
            }
        }
        return out == null ? List.of() : out;
    }

    /** Whether the header name in {@code [s, e)} (spaces before the colon allowed) is {@code want} or its compact form. */
    private static boolean nameIs(byte[] d, int s, int e, String want) {
        while (e > s && (d[e - 1] == ' ' || d[e - 1] == '\t')) {
            e--;
        }
        int len = e - s;
        if (len == 1) {
            String full = COMPACT.get(String.valueOf((char) (d[s] | 0x20)));
            return want.equals(full);
        }
        if (len != want.length()) {
            return false;
        }
        for (int k = 0; k < len; k++) {
            int c = d[s + k];
            if (c >= 'A' && c <= 'Z') {
                c |= 0x20;
            }
            if (c != want.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Splits a list header's value at the commas outside quoted strings and angle brackets. */
    static void split(String v, List<String> out) {
        boolean quoted = false;
        int angle = 0;
        int start = 0;
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            if (quoted) {
                if (c == '\\') {
                    k++;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == '<') {
                angle++;
            } else if (c == '>' && angle > 0) {
                angle--;
            } else if (c == ',' && angle == 0) {
                add(v, start, k, out);
                start = k + 1;
            }
        }
        add(v, start, v.length(), out);
    }

    private static void add(String v, int s, int e, List<String> out) {
        String part = v.substring(s, e).trim();
        if (!part.isEmpty()) {
            out.add(part);
        }
    }
}
