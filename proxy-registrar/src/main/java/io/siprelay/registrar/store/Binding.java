package io.siprelay.registrar.store;

import java.util.Objects;

/**
 * One registered contact of an address-of-record: a row of Kamailio's {@code location} table, immutable.
 *
 * <p>Times are wall-clock milliseconds since the epoch (from the registrar's {@code SipClock}), so that a binding
 * read back from a database after a restart keeps its remaining lifetime.
 *
 * @param ruid         unique id of the binding (Kamailio's {@code ruid}); stays the same when the binding is refreshed
 * @param aor          the address-of-record key: {@code user@domain} in multi-domain mode, {@code user} otherwise
 * @param contact      the Contact URI as registered
 * @param received     where the REGISTER really came from when that differs from the contact (NAT), as a SIP URI
 *                     ({@code sip:198.51.100.7:5060;transport=udp}), else null
 * @param path         the Path header values (RFC 3327), comma separated in order, else null
 * @param expiresAt    wall-clock millis when the binding expires
 * @param q            the q-value, 0..1
 * @param callId       Call-ID of the REGISTER that last wrote the binding
 * @param cseq         its CSeq number
 * @param lastModified wall-clock millis of the last change
 * @param flags        Kamailio's usrloc flags
 * @param cflags       Kamailio's branch flags (e.g. the NAT flag), restored at lookup
 * @param userAgent    the User-Agent of the REGISTER, or an empty string
 * @param socket       the local socket the REGISTER arrived on ({@code udp:127.0.0.1:5060}), or null
 * @param methods      the methods the contact accepts as a bit mask ({@code io.siprelay.registrar.Methods}), or null
 *                     for all
 * @param instance     the {@code +sip.instance} parameter (RFC 5626), or null
 * @param regId        the {@code reg-id} parameter (RFC 5626), or 0
 */
public record Binding(String ruid, String aor, String contact, String received, String path, long expiresAt,
                      float q, String callId, long cseq, long lastModified, int flags, int cflags, String userAgent,
                      String socket, Integer methods, String instance, int regId) {

    public Binding {
        Objects.requireNonNull(ruid, "ruid");
        Objects.requireNonNull(aor, "aor");
        Objects.requireNonNull(contact, "contact");
        Objects.requireNonNull(callId, "callId");
        userAgent = userAgent == null ? "" : userAgent;
    }

    /** True when the binding has expired at wall time {@code nowMillis}. */
    public boolean isExpired(long nowMillis) {
        return expiresAt <= nowMillis;
    }

    /** Seconds left at wall time {@code nowMillis}, rounded up; 0 once expired. */
    public long remainingSeconds(long nowMillis) {
        long left = expiresAt - nowMillis;
        return left <= 0 ? 0 : (left + 999) / 1000;
    }

    /** A copy with a new expiry and modification time. */
    public Binding withExpiry(long expiresAt, long lastModified) {
        return new Binding(ruid, aor, contact, received, path, expiresAt, q, callId, cseq, lastModified, flags,
                cflags, userAgent, socket, methods, instance, regId);
    }
}
