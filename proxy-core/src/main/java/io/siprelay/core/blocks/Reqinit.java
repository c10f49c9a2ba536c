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
        Objects.requireNonNull(myself, "myself");
        Objects.requireNonNull(flood, "flood");
        return Route.named("REQINIT", Route.seq(
                Route.when(ctx -> !myself.isSourceMyself(ctx), flood.dropFlooders()),
                Scanners.dropKnown(),
                MaxForwards.check(10),
                OptionsKeepalive.replyIfForMe(myself),
                Sanity.check()));
    }

    /** REQINIT without flood detection (the default configuration without {@code WITH_ANTIFLOOD}). */
    public static Route defaults(Myself myself) {
        Objects.requireNonNull(myself, "myself");
        return Route.named("REQINIT", Route.seq(
                Scanners.dropKnown(),
                MaxForwards.check(10),
                OptionsKeepalive.replyIfForMe(myself),
                Sanity.check()));
    }
}
