package io.siprelay.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.Map;

/**
 * The digest arithmetic of RFC 2617 §3.2.2 and RFC 7616 §3.4, without any SIP around it: HA1, HA2 and the response,
 * as lower-case hex. Thread-safe; each thread keeps its own {@link MessageDigest} instances.
 *
 * <pre>{@code
 * String ha1 = Digest.ha1(DigestAlgorithm.MD5, "alice", "example.com", "secret");
 * String resp = Digest.response(DigestAlgorithm.MD5, ha1, nonce, "00000001", "0a4f113b", "auth", "REGISTER",
 *         "sip:example.com", null);
 * }</pre>
 */
public final class Digest {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static final ThreadLocal<Map<DigestAlgorithm, MessageDigest>> DIGESTS =
            ThreadLocal.withInitial(() -> new EnumMap<>(DigestAlgorithm.class));

    private Digest() {
    }

    /** {@code H(data)} as lower-case hex. */
    public static String hash(DigestAlgorithm alg, String data) {
        return hash(alg, data.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code H(bytes)} as lower-case hex. */
    public static String hash(DigestAlgorithm alg, byte[] data) {
        MessageDigest md = digest(alg);
        md.reset();
        return hex(md.digest(data));
    }

    /** {@code HA1 = H(username:realm:password)}. */
    public static String ha1(DigestAlgorithm alg, String username, String realm, String password) {
        return hash(alg, username + ":" + realm + ":" + password);
    }

    /**
     * The request-digest.
     *
     * @param qop      null (RFC 2069 compatibility: {@code H(HA1:nonce:HA2)}), {@code auth} or {@code auth-int}
     * @param nc       the nonce-count as sent (8 hex digits); ignored without qop
     * @param cnonce   the client nonce; ignored without qop
     * @param body     the message body for {@code auth-int} (null = empty)
     */
    public static String response(DigestAlgorithm alg, String ha1, String nonce, String nc, String cnonce, String qop,
                                  String method, String uri, byte[] body) {
        String a2 = method + ":" + uri;
        if ("auth-int".equalsIgnoreCase(qop)) {
            a2 = a2 + ":" + hash(alg, body == null ? new byte[0] : body);
        }
        String ha2 = hash(alg, a2);
        if (qop == null) {
            return hash(alg, ha1 + ":" + nonce + ":" + ha2);
        }
        return hash(alg, ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
    }

    /**
     * Compares two hex digests in time that does not depend on where they differ (case-insensitive for a-f).
     * Unequal lengths return false at once: the expected length is public (it follows from the algorithm).
     */
    public static boolean constantTimeEquals(String expected, String actual) {
        if (expected == null || actual == null || expected.length() != actual.length()) {
            return false;
        }
        int diff = 0;
        for (int i = 0; i < expected.length(); i++) {
            diff |= lower(expected.charAt(i)) ^ lower(actual.charAt(i));
        }
        return diff == 0;
    }

    private static int lower(char c) {
        return (c >= 'A' && c <= 'F') ? c + 32 : c;
    }

    static String hex(byte[] b) {
        char[] out = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            out[2 * i] = HEX[(b[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[b[i] & 0xf];
        }
        return new String(out);
    }

    private static MessageDigest digest(DigestAlgorithm alg) {
        return DIGESTS.get().computeIfAbsent(alg, a -> {
            try {
                return MessageDigest.getInstance(a.jcaName());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("JDK lacks " + a.jcaName(), e);
            }
        });
    }
}
