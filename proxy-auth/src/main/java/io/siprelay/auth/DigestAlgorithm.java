package io.siprelay.auth;

import java.util.Locale;

/**
 * The digest algorithms SipRelay verifies and offers (RFC 7616 §3.5, RFC 8760). The {@code -sess} variants are not
 * supported.
 */
public enum DigestAlgorithm {
    /** {@code algorithm=MD5}, the RFC 2617 default (also what an absent {@code algorithm} parameter means). */
    MD5("MD5", "MD5"),
    /** {@code algorithm=SHA-256} (RFC 7616). */
    SHA_256("SHA-256", "SHA-256");

    private final String token;
    private final String jcaName;

    DigestAlgorithm(String token, String jcaName) {
        this.token = token;
        this.jcaName = jcaName;
    }

    /** The value of the {@code algorithm} parameter. */
    public String token() {
        return token;
    }

    String jcaName() {
        return jcaName;
    }

    /**
     * A comma-separated list as an operator writes it ({@code "sha-256,md5"}, case-insensitive, {@code sha256}
     * accepted), in order.
     *
     * @throws IllegalArgumentException naming the unknown entry, or for an empty or repeated entry
     */
    public static java.util.List<DigestAlgorithm> parseList(String list) {
        if (list == null || list.isBlank()) {
            throw new IllegalArgumentException("digest algorithms: expected e.g. md5 or sha-256,md5, got nothing");
        }
        java.util.List<DigestAlgorithm> out = new java.util.ArrayList<>();
        for (String part : list.split(",", -1)) {
            String t = part.trim();
            DigestAlgorithm a = t.equalsIgnoreCase("sha256") ? SHA_256 : t.isEmpty() ? null : fromToken(t);
            if (a == null) {
                throw new IllegalArgumentException("unknown digest algorithm '" + t + "' in '" + list
                        + "' (known: md5, sha-256)");
            }
            if (out.contains(a)) {
                throw new IllegalArgumentException("digest algorithm " + a.token + " listed twice in '" + list + "'");
            }
            out.add(a);
        }
        return java.util.List.copyOf(out);
    }

    /** The algorithm for an {@code algorithm} parameter value (case-insensitive); null means MD5; unknown → null. */
    public static DigestAlgorithm fromToken(String token) {
        if (token == null) {
            return MD5;
        }
        String t = token.trim().toUpperCase(Locale.ROOT);
        for (DigestAlgorithm a : values()) {
            if (a.token.equals(t)) {
                return a;
            }
        }
        return null;
    }
}
