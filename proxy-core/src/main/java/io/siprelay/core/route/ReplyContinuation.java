package io.siprelay.core.route;

/**
 * What a reply route does once the work it waited for is done ({@link ReplyContext#suspend}), before the response
 * goes on upstream. It runs on the call's worker lane; edits to the response are forwarded.
 *
 * @param <T> what the work produced
 */
@FunctionalInterface
public interface ReplyContinuation<T> {

    /**
     * @param result  the work's result, or null when it failed
     * @param failure why the work failed (unwrapped from a {@code CompletionException}), or null
     */
    void resume(ReplyContext reply, T result, Throwable failure);
}
