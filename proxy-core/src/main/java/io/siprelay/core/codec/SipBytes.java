package io.siprelay.core.codec;

import java.nio.charset.StandardCharsets;

/** Byte-level helpers of the fast scans: line ends, digits, case-insensitive matches, SIP character classes. */
final class SipBytes {

    private SipBytes() {
    }


    /** Index of the CR of the CRLF ending the line that starts at {@code s}, or -1 (bare CR or LF: not simple). */
    static int lineEnd(byte[] d, int s, int n) {
        for (int k = s; k < n; k++) {
            byte c = d[k];
            if (c == '\r') {
                return k + 1 < n && d[k + 1] == '\n' ? k : -1;
            }
            if (c == '\n') {
                return -1;
            }
        }
        return -1;
    }

    /** Decimal value of d[s, e) with at most {@code maxDigits} digits, or -1. */
    static long digits(byte[] d, int s, int e, int maxDigits) {
        if (e <= s || e - s > maxDigits) {
            return -1;
        }
        long v = 0;
        for (int k = s; k < e; k++) {
            if (!isDigit(d[k])) {
                return -1;
            }
            v = v * 10 + (d[k] - '0');
        }
        return v;
    }

    static boolean regionIs(byte[] d, int s, int e, String lower) {
        if (e - s != lower.length()) {
            return false;
        }
        return matchesIgnoreCase(d, s, lower);
    }

    static boolean matchesIgnoreCase(byte[] d, int s, String lower) {
        if (s + lower.length() > d.length) {
            return false;
        }
        for (int k = 0; k < lower.length(); k++) {
            int c = d[s + k];
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    static boolean matches(byte[] d, int s, String exact) {
        if (s + exact.length() > d.length) {
            return false;
        }
        for (int k = 0; k < exact.length(); k++) {
            if (d[s + k] != exact.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    static String ascii(byte[] d, int s, int e) {
        return new String(d, s, e - s, StandardCharsets.ISO_8859_1);
    }

    static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    static boolean isAlnum(byte c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    static boolean isHex(byte c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** RFC 3261 token characters. */
    static boolean isTokenChar(byte c) {
        return isAlnum(c) || c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' || c == '+'
                || c == '`' || c == '\'' || c == '~';
    }

    /** RFC 3261 callid = word ["@" word], restricted to the characters the RI accepts without question. */
    static boolean isCallIdChar(byte c) {
        return isTokenChar(c) || c == '@' || c == '(' || c == ')' || c == ':' || c == '/' || c == '[' || c == ']'
                || c == '?' || c == '{' || c == '}';
    }
}
