package io.siprelay.core.transaction;

/**
 * RFC 3261 base timers, per proxy instance (never static, so tests can run proxies with different values side by
 * side). Every other timer (A..K, L, M) derives from these as in RFC 3261 §17 and RFC 6026.
 *
 * @param t1Millis RTT estimate, default 500 ms
 * @param t2Millis maximum retransmit interval for non-INVITE requests and INVITE responses, default 4 s
 * @param t4Millis maximum duration a message stays in the network, default 5 s
 */
public record TimerSettings(long t1Millis, long t2Millis, long t4Millis) {

    public TimerSettings {
        if (t1Millis <= 0 || t2Millis < t1Millis || t4Millis <= 0) {
            throw new IllegalArgumentException("need 0 < T1 <= T2 and T4 > 0, got T1=" + t1Millis + " T2=" + t2Millis
                    + " T4=" + t4Millis);
        }
    }

    public static TimerSettings defaults() {
        return new TimerSettings(500, 4_000, 5_000);
    }

    /** 64*T1: Timers B, F, H, J (unreliable), L and M. */
    public long timeoutMillis() {
        return 64 * t1Millis;
    }
}
