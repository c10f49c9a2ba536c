package io.siprelay.core.route;

import java.time.Duration;
import java.util.Map;

/**
 * What the proxy core reads from a {@link RequestContext} and routes never need: the armed failure route, the timer
 * overrides and the live per-transaction variables. Kept off the context so a route cannot call them; for the proxy
 * core only, may change in any release.
 */
public final class RouteInternals {

    private RouteInternals() {
    }

    /** The armed failure route ({@code t_on_failure}), or null. */
    public static FailureRoute failureRoute(RequestContext ctx) {
        return ctx.failureRoute;
    }

    /** This transaction's fr_timer, or null for the proxy's. */
    public static Duration frTimer(RequestContext ctx) {
        return ctx.frTimer;
    }

    /** This transaction's fr_inv_timer, or null for the proxy's. */
    public static Duration frInvTimer(RequestContext ctx) {
        return ctx.frInvTimer;
    }

    /** The live variables map, created on demand, shared with the transaction's later routes. */
    public static Map<TxKey<?>, Object> sharedVars(RequestContext ctx) {
        return ctx.sharedVars();
    }

    /** Seeds a context of a later route (failure route) with the transaction's variables. */
    public static void adoptVars(RequestContext ctx, Map<TxKey<?>, Object> shared) {
        ctx.vars = shared;
    }

    /** Runs the continuation of a suspended request route; the returned step decides the request. */
    public static <T> Step resume(RequestContext ctx, Continuation<T> then, T result, Throwable failure) {
        return ctx.resume(then, result, failure);
    }

    /** The work a reply route suspended on ({@link ReplyContext#suspend}), or null; taking it clears it. */
    public static ReplyContext.Suspension<?> takeSuspension(ReplyContext reply) {
        return reply.takeSuspension();
    }

    /** The listeners armed with {@link RequestContext#onFinalResponse}, or null; taking them clears them. */
    public static java.util.List<java.util.function.IntConsumer> takeFinalListeners(RequestContext ctx) {
        java.util.List<java.util.function.IntConsumer> l = ctx.finalListeners;
        ctx.finalListeners = null;
        return l;
    }
}
