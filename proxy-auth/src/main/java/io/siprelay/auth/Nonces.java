package io.siprelay.auth;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Stateless nonces: {@code base64url(version | expiry | id | HMAC-SHA256(secret, version | expiry | id | bindings))}.
 * Nothing is stored when a nonce is issued; verification recomputes the MAC. Instances sharing the secret accept
 * each other's nonces. Bindings (source IP, Call-ID) are covered by the MAC but not carried in the nonce.
 */
final class Nonces {

    private static final byte VERSION = 1;
    private static final int MAC_LEN = 16;
    private static final int LEN = 1 + 8 + 8 + MAC_LEN;

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;
    private final SecureRandom random = new SecureRandom();

    Nonces(byte[] secret) {
        this.key = new SecretKeySpec(secret.clone(), "HmacSHA256");
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac m = Mac.getInstance("HmacSHA256");
                m.init(key);
                return m;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** A decoded, authentic nonce. */
    record Parsed(long expiresAtMillis, long id) {
    }

    String issue(long expiresAtMillis, String bindings) {
        long id = random.nextLong();
        ByteBuffer b = ByteBuffer.allocate(LEN);
        b.put(VERSION).putLong(expiresAtMillis).putLong(id);
        b.put(mac(b.array(), 17, bindings), 0, MAC_LEN);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /** The nonce's expiry and id when it is ours and the bindings match; null otherwise. */
    Parsed verify(String nonce, String bindings) {
        if (nonce == null || nonce.length() != 44) {
            return null;
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(nonce);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (raw.length != LEN || raw[0] != VERSION) {
            return null;
        }
        byte[] expected = mac(raw, 17, bindings);
        byte[] got = new byte[MAC_LEN];
        System.arraycopy(raw, 17, got, 0, MAC_LEN);
        if (!MessageDigest.isEqual(java.util.Arrays.copyOf(expected, MAC_LEN), got)) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(raw, 1, 16);
        return new Parsed(b.getLong(), b.getLong());
    }

    /** A value for the {@code opaque} parameter, stable for a secret. */
    String opaque() {
        byte[] m = mac("opaque".getBytes(StandardCharsets.US_ASCII), 6, "");
        return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(m, 12));
    }

    private byte[] mac(byte[] data, int len, String bindings) {
        Mac m = macs.get();
        m.reset();
        m.update(data, 0, len);
        if (!bindings.isEmpty()) {
            m.update((byte) 0);
            m.update(bindings.getBytes(StandardCharsets.UTF_8));
        }
        return m.doFinal();
    }
}
