package io.siprelay.core.blocks;

import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;

/** In-dialog handling, as in Kamailio's default configuration. */
public final class Dialogs {

    private Dialogs() {
    }

    /**
     * Kamailio's {@code route[WITHINDLG]}: requests without a To-tag go on; a request with a route set is relayed by
     * it ({@code loose_route} then {@code t_relay}); an ACK without one is dropped (an ACK that belongs to one of our
     * transactions never reaches the routes: the core absorbs it, which is what {@code t_check_trans} decides in the
     * Kamailio config); anything else gets 404 "Not here". A routed request whose Request-URI carries the alias that
     * {@link Nat} put into a NATed UA's Contact goes to that alias (route[DLGURI]: {@code handle_ruri_alias()}).
     *
     * <pre>{@code
     * Route.seq(Reqinit.defaults(myself), Dialogs.withinDialog(), ...initial requests...)
     * }</pre>
     */
    public static Route withinDialog() {
        return withinDialog(RequestContext::relay);
    }

    /**
     * {@link #withinDialog()} where a loose-routed request goes to {@code relay} instead of straight to
     * {@code relay()}: Kamailio's {@code route(RELAY)} from WITHINDLG, e.g. to pass it through
     * {@code rtpengine_manage} first.
     */
    public static Route withinDialog(Route relay) {
        java.util.Objects.requireNonNull(relay, "relay");
        return Route.named("WITHINDLG", ctx -> {
            if (!ctx.hasToTag()) {
                return Step.next();
            }
            if (ctx.looseRoute()) {
                Nat.handleRuriAlias(ctx);
                return ctx.route(relay);
            }
            if (ctx.isMethod("ACK")) {
                return ctx.drop();
            }
            return ctx.reply(404, "Not here");
        });
    }
}
