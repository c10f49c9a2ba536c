package io.siprelay.core.blocks;

import io.siprelay.core.proxy.Myself;

import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import java.util.Objects;

/**
 * The keep-alive answer of Kamailio's default configuration:
 * {@code if (is_method("OPTIONS") && uri==myself && $rU==$null) { sl_send_reply("200","Keepalive"); exit; }}.
 * An OPTIONS for a user at this proxy ({@code sip:alice@proxy}) is not a keep-alive and goes on to the route.
 */
public final class OptionsKeepalive {

    private OptionsKeepalive() {
    }

    /** Answers 200 "Keepalive" to an OPTIONS whose Request-URI is this proxy without a user part. */
    public static Route replyIfForMe(Myself myself) {
        Objects.requireNonNull(myself, "myself");
        return Route.named("KEEPALIVE", ctx -> {
            if (ctx.isMethod("OPTIONS")) {
                String user = ctx.requestUser();
                if ((user == null || user.isEmpty()) && myself.isRequestUriMyself(ctx)) {
                    return ctx.reply(200, "Keepalive");
                }
            }
            return Step.next();
        });
    }
}
