package io.siprelay.permissions;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP literal parsing that never resolves names. */
final class IpAddresses {

    private IpAddresses() {
    }

    /** 4 bytes for IPv4 (also an IPv4-mapped IPv6 address), 16 for IPv6, null when not an IP literal. */
    static byte[] parse(String s) {
        if (s == null) {
            return null;
        }
        String t = s.trim();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1);
        }
        if (t.isEmpty()) {
            return null;
        }
        if (t.indexOf(':') < 0) {
            return parseV4(t);
        }
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':'
                    || c == '.';
            if (!ok) {
                return null; // zone ids and anything else
            }
        }
        try {
            // a string with ':' and only hex digits, dots and colons is parsed as a literal: no DNS
            return InetAddress.getByName(t).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static byte[] parseV4(String t) {
        byte[] out = new byte[4];
        int part = 0;
        int value = -1;
        for (int i = 0; i <= t.length(); i++) {
            char c = i < t.length() ? t.charAt(i) : '.';
            if (c == '.') {
                if (value < 0 || part > 3) {
                    return null;
                }
                out[part++] = (byte) value;
                value = -1;
            } else if (c >= '0' && c <= '9') {
                value = (value < 0 ? 0 : value * 10) + (c - '0');
                if (value > 255) {
                    return null;
                }
            } else {
                return null;
            }
        }
        return part == 4 ? out : null;
    }
}
