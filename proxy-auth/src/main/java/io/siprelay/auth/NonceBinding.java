package io.siprelay.auth;

/**
 * What a nonce can be bound to besides its expiry (Kamailio's {@code auth_checks_register} bits): a nonce answered
 * from another source address, or in another call, is refused as {@link AuthResult#INVALID_NONCE} and a fresh
 * challenge follows.
 */
public enum NonceBinding {
    /** The request's source IP ({@code $si}, Kamailio bit 8). Breaks clients that change address mid-registration. */
    SOURCE_IP,
    /** The Call-ID ({@code $ci}, Kamailio bit 2). */
    CALL_ID
}
