package io.siprelay.auth;

/**
 * The outcome of {@link DigestAuth#check}, with Kamailio's return codes of {@code auth_check}/{@code
 * www_authenticate}/{@code proxy_authenticate} so a route can branch exactly like a Kamailio script does.
 *
 * <p>Only {@link #OK} is a success. On the wire every failure looks the same (a fresh challenge), in particular
 * {@link #USER_NOT_FOUND} and {@link #INVALID_PASSWORD}: the distinction is for the route and its logs only.
 */
public enum AuthResult {
    /** 1: the credentials are valid. */
    OK(1),
    /** -1: malformed credentials (missing parameters, unsupported algorithm or qop). */
    ERROR(-1),
    /** -2: the response does not match: wrong password. */
    INVALID_PASSWORD(-2),
    /**
     * -2 in Kamailio too: the nonce was not issued by this proxy (or its cluster), was altered, or was bound to another
     * source IP or Call-ID.
     */
    INVALID_NONCE(-2),
    /** -3: no such subscriber for the realm. */
    USER_NOT_FOUND(-3),
    /** -4: the credentials were right but the nonce has expired; the next challenge carries {@code stale=true}. */
    STALE_NONCE(-4),
    /** -5: no Authorization/Proxy-Authorization header for this realm. */
    NO_CREDENTIALS(-5),
    /** -6: a nonce-count (or, with one-time nonces, a nonce) already used: a replayed request. */
    NONCE_REUSED(-6),
    /** -8: authenticated, but the auth username is not the From (and for REGISTER the To) user. */
    USER_MISMATCH(-8);

    private final int code;

    AuthResult(int code) {
        this.code = code;
    }

    /** Kamailio's return code for this outcome. */
    public int code() {
        return code;
    }

    /** True only for {@link #OK}. */
    public boolean isOk() {
        return this == OK;
    }
}
