package io.siprelay.core.route;

/**
 * What a request route does once the work it waited for is done ({@link RequestContext#suspend}): Kamailio's
 * {@code t_continue} into a route. It runs on the call's worker lane with the same context, the request as the route
 * left it, and returns a step like any block.
 *
 * @param <T> what the work produced
 */
@FunctionalInterface
public interface Continuation<T> {

    /**
     * @param result  the work's result, or null when it failed
     * @param failure why the work failed (unwrapped from a {@code CompletionException}), or null
     */
    Step resume(RequestContext ctx, T result, Throwable failure);
}
