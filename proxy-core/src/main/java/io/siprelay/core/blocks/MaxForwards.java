package io.siprelay.core.blocks;

import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import javax.sip.InvalidArgumentException;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.message.Request;

/**
 * Kamailio's {@code maxfwd} module.
 *
 * <p>{@link #check(int)} is {@code mf_process_maxfwd_header("10")}: a request without Max-Forwards gets one with the
 * given value, a request whose Max-Forwards is 0 is answered {@code 483 Too Many Hops}, any other request goes on.
 * Unlike Kamailio, the value is <em>not</em> decremented here: {@link RequestContext#forward()} (and stateful relaying)
 * decrement Max-Forwards when the request is actually sent on (RFC 3261 §16.6 step 3), so a request the proxy answers
 * itself keeps its value and nothing is decremented twice.
 */
public final class MaxForwards {

    private MaxForwards() {
    }

    /** {@code mf_process_maxfwd_header(limit)}: add Max-Forwards {@code limit} when absent, 483 when it is 0. */
    public static Route check(int limit) {
        return check(limit, 255);
    }

    /**
     * As {@link #check(int)}, and like Kamailio's {@code max_limit} modparam: a present value above {@code maxLimit}
     * is lowered so that the forwarded request carries at most {@code maxLimit}.
     */
    public static Route check(int limit, int maxLimit) {
        if (limit < 1 || limit > 255) {
            throw new IllegalArgumentException("limit must be 1..255, got " + limit);
        }
        if (maxLimit < 1 || maxLimit > 255) {
            throw new IllegalArgumentException("maxLimit must be 1..255, got " + maxLimit);
        }
        return Route.named("MAXFWD", ctx -> {
            Request req = ctx.request();
            MaxForwardsHeader mf = (MaxForwardsHeader) req.getHeader(MaxForwardsHeader.NAME);
            try {
                if (mf == null) {
                    ctx.addHeader(MaxForwardsHeader.NAME, Integer.toString(limit));
                    return Step.next();
                }
                int v = mf.getMaxForwards();
                if (v <= 0) {
                    return ctx.reply(483, "Too Many Hops");
                }
                if (v > maxLimit + 1) {
                    // forwarding decrements once more, so the outgoing request carries maxLimit
                    mf.setMaxForwards(Math.min(255, maxLimit + 1));
                }
            } catch (InvalidArgumentException e) {
                throw new IllegalStateException(e); // 0..255 are always valid
            }
            return Step.next();
        });
    }

    /** The Max-Forwards value, or -1 when the request has none. */
    public static int value(RequestContext ctx) {
        MaxForwardsHeader mf = (MaxForwardsHeader) ctx.request().getHeader(MaxForwardsHeader.NAME);
        return mf == null ? -1 : mf.getMaxForwards();
    }

    /**
     * Kamailio's {@code is_maxfwd_lt(limit)}: true when Max-Forwards is present and below {@code limit}, e.g. to refuse
     * a request that cannot make the hops still ahead of it. False when the header is absent.
     */
    public static boolean isLessThan(RequestContext ctx, int limit) {
        int v = value(ctx);
        return v >= 0 && v < limit;
    }
}
