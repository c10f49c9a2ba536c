package io.siprelay.auth;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One parsed {@code Authorization} or {@code Proxy-Authorization} header value (RFC 7616 §3.4): the parameters as
 * the client sent them, unquoted. {@link #parse} never throws: a value that is not a well-formed Digest credential
 * gives an empty result.
 */
public final class DigestCredentials {

    private final Map<String, String> params;

    private DigestCredentials(Map<String, String> params) {
        this.params = params;
    }

    /** Parses {@code Digest username="..", realm="..", ...}; empty when it is not Digest or is malformed. */
    public static Optional<DigestCredentials> parse(String headerValue) {
        if (headerValue == null) {
            return Optional.empty();
        }
        String v = headerValue.trim();
        if (v.length() < 7 || !v.regionMatches(true, 0, "Digest", 0, 6) || !Character.isWhitespace(v.charAt(6))) {
            return Optional.empty();
        }
        Map<String, String> p = parseParams(v, 7);
        return p == null ? Optional.empty() : Optional.of(new DigestCredentials(p));
    }

    /** Comma-separated {@code name=value} pairs, values quoted or tokens; null when malformed. */
    static Map<String, String> parseParams(String s, int from) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = from;
        int n = s.length();
        while (true) {
            while (i < n && (Character.isWhitespace(s.charAt(i)) || s.charAt(i) == ',')) {
                i++;
            }
            if (i >= n) {
                return out;
            }
            int nameStart = i;
            while (i < n && s.charAt(i) != '=' && s.charAt(i) != ',' && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            String name = s.substring(nameStart, i).toLowerCase(Locale.ROOT);
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (name.isEmpty() || i >= n || s.charAt(i) != '=') {
                return null;
            }
            i++;
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            String value;
            if (i < n && s.charAt(i) == '"') {
                StringBuilder b = new StringBuilder();
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        b.append(s.charAt(i++));
                    } else if (c == '"') {
                        closed = true;
                        break;
                    } else {
                        b.append(c);
                    }
                }
                if (!closed) {
                    return null;
                }
                value = b.toString();
            } else {
                int vs = i;
                while (i < n && s.charAt(i) != ',' && !Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                value = s.substring(vs, i);
            }
            if (out.putIfAbsent(name, value) != null) {
                return null; // a parameter given twice is malformed
            }
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i < n && s.charAt(i) != ',') {
                return null;
            }
        }
    }

    /** A parameter by (case-insensitive) name, or null. */
    public String param(String name) {
        return params.get(name.toLowerCase(Locale.ROOT));
    }

    public String username() {
        return param("username");
    }

    public String realm() {
        return param("realm");
    }

    public String nonce() {
        return param("nonce");
    }

    public String uri() {
        return param("uri");
    }

    public String response() {
        return param("response");
    }

    /** The {@code algorithm} parameter, null when absent (which means MD5). */
    public String algorithmToken() {
        return param("algorithm");
    }

    public String qop() {
        return param("qop");
    }

    /** The nonce-count as sent (8 hex digits), or null. */
    public String nc() {
        return param("nc");
    }

    public String cnonce() {
        return param("cnonce");
    }

    public String opaque() {
        return param("opaque");
    }

    @Override
    public String toString() {
        Map<String, String> shown = new LinkedHashMap<>(params);
        shown.replace("response", "…");
        return "DigestCredentials" + shown;
    }
}
