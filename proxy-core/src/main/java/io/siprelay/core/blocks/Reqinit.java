package io.siprelay.core.blocks;

import io.siprelay.core.proxy.Myself;

import io.siprelay.core.route.Route;
import java.util.Objects;

/**
 * Kamailio's default {@code route[REQINIT]}, from ready-made blocks:
 *
 * <pre>
 * route[REQINIT] {
 *     if (src_ip != myself) {                      # ANTIFLOOD
 *         if ($sht(ipban=&gt;$si) != $null) exit;
 *         if (!pike_check_req()) { $sht(ipban=&gt;$si) = 1; exit; }
 *     }
 *     if ($ua =~ "friendly-scanner|sipcli|sipvicious|VaxSIPUserAgent") exit;
 *     if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
 *     if (is_method("OPTIONS") &amp;&amp; uri == myself &amp;&amp; $rU == $null) { sl_send_reply("200", "Keepalive"); exit; }
 *     if (!sanity_check("17895", "7")) exit;
 * }
 * </pre>
 *
 * is, in Java,
 *
 * <pre>{@code
 * Route reqinit = Route.named("REQINIT", Route.seq(
 *         Route.when(ctx -> !myself.isSourceMyself(ctx), flood.dropFlooders()),
 *         Scanners.dropKnown(),
 *         MaxForwards.check(10),
 *         OptionsKeepalive.replyIfForMe(myself),
 *         Sanity.check()));
 * }</pre>
 *
 * which is what {@link #defaults(Myself, FloodDetector)} returns. Use it as the first block of the request route:
 * {@code Route.seq(Reqinit.defaults(myself, flood), route(WITHINDLG), ...)}.
 */
public final class Reqinit {

    private Reqinit() {
    }

    /** REQINIT with flood detection (the default configuration with {@code WITH_ANTIFLOOD}). */
    public static Route defaults(Myself myself, FloodDetector flood) {
        return builder(myself).flood(Objects.requireNonNull(flood, "flood")).build();
    }

    /** REQINIT without flood detection (the default configuration without {@code WITH_ANTIFLOOD}). */
    public static Route defaults(Myself myself) {
        return builder(myself).build();
    }

    /**
     * REQINIT with other choices than the defaults:
     *
     * <pre>{@code
     * Route reqinit = Reqinit.builder(myself)
     *         .flood(pike)
     *         .floodExempt(ctx -> perms.allowSource(ctx, 200))   // trusted carriers are never blocked
     *         .scanners(Scanners.dropMatching(List.of("friendly-scanner", "evil-bot")))
     *         .build();
     * }</pre>
     */
    public static Builder builder(Myself myself) {
        return new Builder(Objects.requireNonNull(myself, "myself"));
    }

    /** The parts of REQINIT; each has Kamailio's default. */
    public static final class Builder {
        private final Myself myself;
        private FloodDetector flood;
        private java.util.function.Predicate<io.siprelay.core.route.RequestContext> floodExempt = ctx -> false;
        private Route scanners = Scanners.dropKnown();
        private int maxForwards = 10;

        private Builder(Myself myself) {
            this.myself = myself;
        }

        /** Flood detection (pike) for every source that is not this proxy; default none. */
        public Builder flood(FloodDetector flood) {
            this.flood = flood;
            return this;
        }

        /** Sources flood detection never counts or blocks (e.g. the trusted carriers' address group). */
        public Builder floodExempt(java.util.function.Predicate<io.siprelay.core.route.RequestContext> exempt) {
            this.floodExempt = Objects.requireNonNull(exempt, "exempt");
            return this;
        }

        /** The scanner filter; default {@link Scanners#dropKnown()}; null for none. */
        public Builder scanners(Scanners scanners) {
            this.scanners = scanners;
            return this;
        }

        /** {@code mf_process_maxfwd_header(limit)}; default 10. */
        public Builder maxForwards(int limit) {
            this.maxForwards = limit;
            return this;
        }

        public Route build() {
            java.util.List<Route> parts = new java.util.ArrayList<>();
            if (flood != null) {
                FloodDetector f = flood;
                java.util.function.Predicate<io.siprelay.core.route.RequestContext> exempt = floodExempt;
                parts.add(Route.when(ctx -> !myself.isSourceMyself(ctx) && !exempt.test(ctx), f.dropFlooders()));
            }
            if (scanners != null) {
                parts.add(scanners);
            }
            parts.add(MaxForwards.check(maxForwards));
            parts.add(OptionsKeepalive.replyIfForMe(myself));
            parts.add(Sanity.check());
            return Route.named("REQINIT", Route.seq(parts.toArray(Route[]::new)));
        }
    }
}
