package io.siprelay.core.proxy;

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

    /** The Call-ID value (full or compact header name), or null when there is none in the header section. */
    static String callId(byte[] m) {
        int n = m.length;
        int i = 0;
        // skip the start line
        while (i < n && m[i] != '\n') {
            i++;
        }
        i++;
        while (i < n) {
            if (m[i] == '\r' || m[i] == '\n') {
                return null; // end of headers
            }
            int valueStart = -1;
            if (regionMatchesIgnoreCase(m, i, "call-id")) {
                valueStart = colonAfterName(m, i + 7);
            } else if ((m[i] == 'i' || m[i] == 'I')) {
                valueStart = colonAfterName(m, i + 1);
            }
            int eol = i;
            while (eol < n && m[eol] != '\n') {
                eol++;
            }
            if (valueStart > 0 && valueStart <= eol) {
                int s = valueStart;
                int e = eol;
                while (s < e && (m[s] == ' ' || m[s] == '\t')) {
                    s++;
                }
                while (e > s && (m[e - 1] == '\r' || m[e - 1] == ' ' || m[e - 1] == '\t' || m[e - 1] == '\n')) {
                    e--;
                }
                return e > s ? new String(m, s, e - s, StandardCharsets.ISO_8859_1) : null;
            }
            i = eol + 1;
        }
        return null;
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
