package io.siprelay.dispatcher;

/**
 * The selection algorithms of Kamailio's {@code ds_select_dst(set, alg)}, with the same numbers. Hash algorithms
 * (0, 1, 2, 3, 5, 7) use consistent (rendezvous) hashing: a key always maps to the same destination while it is up,
 * and when a destination goes down only its own keys move, spread evenly over the others.
 */
public enum Algorithm {
    /** 0: hash of the Call-ID. */
    CALL_ID(0),
    /** 1: hash of the From URI. */
    FROM_URI(1),
    /** 2: hash of the To URI. */
    TO_URI(2),
    /** 3: hash of the Request-URI (user@host, port only when not 5060/5061). */
    REQUEST_URI(3),
    /** 4: round robin over the usable destinations. */
    ROUND_ROBIN(4),
    /** 5: hash of the digest auth username (Authorization / Proxy-Authorization); round robin when there is none. */
    AUTH_USERNAME(5),
    /** 6: random. */
    RANDOM(6),
    /** 7: hash of a key the route supplies ({@code hash_pvar}), see {@link Dispatcher#select(io.siprelay.core.route.RequestContext, int, Algorithm, java.util.function.Function)}. */
    HASH_KEY(7),
    /** 8: serial by priority, highest first. */
    PRIORITY(8),
    /** 9: {@code weight} attribute as percentages (sum capped at 100, remainder to the last entry). */
    WEIGHT(9),
    /** 10: call load: fewest active calls per {@code duid}, never above {@code maxload}. INVITE only. */
    CALL_LOAD(10),
    /** 11: relative weight {@code rweight} among the active destinations only. */
    RELATIVE_WEIGHT(11),
    /** 12: parallel fork to every usable destination of the set (no failover list). */
    PARALLEL(12),
    /** 13: latency optimised: round robin among the best of priority adjusted by the estimated ping latency. */
    LATENCY(13);

    private final int code;

    Algorithm(int code) {
        this.code = code;
    }

    /** Kamailio's number for this algorithm. */
    public int code() {
        return code;
    }

    /** The algorithm with Kamailio's number {@code code}. */
    public static Algorithm of(int code) {
        for (Algorithm a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown dispatcher algorithm " + code + " (supported: 0..13)");
    }

    boolean isHash() {
        return this == CALL_ID || this == FROM_URI || this == TO_URI || this == REQUEST_URI || this == AUTH_USERNAME
                || this == HASH_KEY;
    }
}
