package io.siprelay.core.proxy.internal;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level peeks used on transport threads, before any parsing: enough to pick a worker lane and an admission
 * class. Wrong answers on garbage are harmless (the parser rejects the message later on its lane).
 */
final class MessageScan {

    private MessageScan() {
    }

    static boolean isResponse(byte[] m) {
        return m.length > 4 && m[0] == 'S' && m[1] == 'I' && m[2] == 'P' && m[3] == '/';
    }

    /** True for ACK and CANCEL, which belong to work already admitted. */
    static boolean isAckOrCancel(byte[] m) {
        return startsWith(m, "ACK ") || startsWith(m, "CANCEL ");
    }

    /** The Call-ID value (full or compact header name) of a {@link #peek} result, or null when there is none. */
    static String callId(byte[] m, long peek) {
        int s = (int) (peek >>> 40);
        int e = (int) (peek >>> 16) & 0xffffff;
        return e > s ? new String(m, s, e - s, StandardCharsets.ISO_8859_1) : null;
    }

    /**
     * Whether a {@link #peek}ed request continues work the proxy already took on: it carries credentials (the answer
     * to our challenge) or a To tag (a request within a dialog). Under overload these are refused after new ones, so
     * the proxy finishes registrations and calls it started (goodput) instead of starting more.
     */
    static boolean continuesWork(long peek) {
        return (peek & CONTINUES) != 0;
    }

    private static final long CONTINUES = 1;
    private static final int MAX_OFFSET = 0xffffff;

    /**
     * One pass over the header section: where the Call-ID value is and whether the request continues work
     * (credentials or a To tag), packed as call-ID start (bits 40..63), end (16..39) and flags (0..15).
     * Messages beyond 16 MiB are never accepted by a transport; offsets past that read as no Call-ID.
     */
    static long peek(byte[] m) {
        int n = Math.min(m.length, MAX_OFFSET);
        int i = 0;
        while (i < n && m[i] != '\n') { // skip the start line
            i++;
        }
        i++;
        int cidStart = 0;
        int cidEnd = 0;
        long flags = 0;
        while (i < n) {
            if (m[i] == '\r' || m[i] == '\n') {
                break; // end of headers
            }
            int eol = i;
            while (eol < n && m[eol] != '\n') {
                eol++;
            }
            int valueStart = nameEnd(m, i, eol);
            if (valueStart > 0) {
                byte c = lower(m[i]);
                if (c == 'c' || c == 'i') {
                    if (cidEnd == 0 && (isName(m, i, "call-id") || isName(m, i, "i"))) {
                        int s = valueStart;
                        int e = eol;
                        while (s < e && (m[s] == ' ' || m[s] == '\t')) {
                            s++;
                        }
                        while (e > s && (m[e - 1] == '\r' || m[e - 1] == ' ' || m[e - 1] == '\t')) {
                            e--;
                        }
                        cidStart = s;
                        cidEnd = e;
                    }
                } else if (c == 'a' || c == 'p') {
                    if (isName(m, i, "authorization") || isName(m, i, "proxy-authorization")) {
                        flags |= CONTINUES;
                    }
                } else if (c == 't' && (isName(m, i, "to") || isName(m, i, "t")) && hasTag(m, valueStart, eol)) {
                    flags |= CONTINUES;
                }
            }
            i = eol + 1;
        }
        return (long) cidStart << 40 | (long) cidEnd << 16 | flags;
    }

    /** Index after the colon of the header line at [i, eol), or -1 for a continuation or garbage line. */
    private static int nameEnd(byte[] m, int i, int eol) {
        if (m[i] == ' ' || m[i] == '\t') {
            return -1;
        }
        for (int j = i; j < eol; j++) {
            if (m[j] == ':') {
                return j + 1;
            }
        }
        return -1;
    }

    /** The header line at i has this (lower-case) name: the name, then only blanks, then the colon. */
    private static boolean isName(byte[] m, int i, String lower) {
        return regionMatchesIgnoreCase(m, i, lower) && colonAfterName(m, i + lower.length()) > 0;
    }

    /** A ";tag=" parameter in the value [s, e) outside the angle brackets of the address. */
    private static boolean hasTag(byte[] m, int s, int e) {
        boolean inAngle = false;
        for (int j = s; j < e; j++) {
            byte b = m[j];
            if (b == '<') {
                inAngle = true;
            } else if (b == '>') {
                inAngle = false;
            } else if (b == ';' && !inAngle) {
                int k = j + 1;
                while (k < e && (m[k] == ' ' || m[k] == '\t')) {
                    k++;
                }
                if (regionMatchesIgnoreCase(m, k, "tag")) {
                    return true;
                }
            }
        }
        return false;
    }

    private static byte lower(byte c) {
        return c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c;
    }

    /** Index after the ':' when only whitespace stands between the name's end and the colon, else -1. */
    private static int colonAfterName(byte[] m, int i) {
        while (i < m.length && (m[i] == ' ' || m[i] == '\t')) {
            i++;
        }
        return i < m.length && m[i] == ':' ? i + 1 : -1;
    }

    private static boolean startsWith(byte[] m, String s) {
        if (m.length < s.length()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (m[i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean regionMatchesIgnoreCase(byte[] m, int off, String lower) {
        if (off + lower.length() > m.length) {
            return false;
        }
        for (int i = 0; i < lower.length(); i++) {
            int c = m[off + i];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
