package io.siprelay.core.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * Kamailio tm's timers for relayed requests, per proxy (a route may override fr and fr_inv per transaction).
 *
 * @param fr     {@code fr_timer}: no response (INVITE: no provisional) within this → the branch ends with a local 408
 * @param frInv  {@code fr_inv_timer}: an INVITE branch that sent a provisional but no final within this is cancelled
 *               and ends with a local 408
 * @param timerC RFC 3261 §16.8 Timer C: restarted by every provisional above 100; when it fires the INVITE branch is
 *               cancelled (a branch that rings forever)
 */
public record RelayTimers(Duration fr, Duration frInv, Duration timerC) {

    public RelayTimers {
        Objects.requireNonNull(fr, "fr");
        Objects.requireNonNull(frInv, "frInv");
        Objects.requireNonNull(timerC, "timerC");
        if (fr.isNegative() || fr.isZero() || frInv.isNegative() || frInv.isZero() || timerC.isNegative()
                || timerC.isZero()) {
            throw new IllegalArgumentException("relay timers must be positive: " + fr + ", " + frInv + ", " + timerC);
        }
    }

    /** Kamailio's defaults: fr_timer 30 s, fr_inv_timer 120 s; Timer C 180 s (RFC 3261: more than 3 minutes). */
    public static RelayTimers defaults() {
        return new RelayTimers(Duration.ofSeconds(30), Duration.ofSeconds(120), Duration.ofSeconds(181));
    }
}
