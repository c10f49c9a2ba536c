package io.siprelay.auth;

/** What a challenge offers in its {@code qop} parameter (Kamailio's challenge flags 1 and 2). */
public enum Qop {
    /** No {@code qop} parameter: RFC 2069-style digest, no nonce-count (Kamailio's {@code auth_challenge(realm, "0")}). */
    NONE(null),
    /** {@code qop="auth"} (the default): nonce-count and client nonce, enables replay protection. */
    AUTH("auth"),
    /** {@code qop="auth-int"}: the response also covers the message body. */
    AUTH_INT("auth-int"),
    /** {@code qop="auth,auth-int"}: the client chooses. */
    AUTH_OR_AUTH_INT("auth,auth-int");

    private final String value;

    Qop(String value) {
        this.value = value;
    }

    /** The parameter value as sent in a challenge, null for {@link #NONE}. */
    public String headerValue() {
        return value;
    }
}
