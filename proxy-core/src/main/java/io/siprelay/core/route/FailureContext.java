package io.siprelay.core.route;

import io.siprelay.core.transport.Flow;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * What a {@link FailureRoute} sees: the request as it was relayed, the winning (best) final response, and the
 * actions of a request route. {@code relay()} sends new branches in the same transaction (set a new Request-URI,
 * {@code $du} or appended targets first); {@code reply()} answers upstream instead of the best response;
 * {@link Step#next()}, {@code drop()} and {@code exit()} let the best response go. {@code forward()} is not
 * possible here.
 */
public abstract class FailureContext extends RequestContext {

    private final Response best;
    private final boolean canceled;
    private final boolean localTimeout;

    protected FailureContext(Request request, Flow source, Response best, boolean canceled, boolean localTimeout) {
        super(request, source);
        this.best = best;
        this.canceled = canceled;
        this.localTimeout = localTimeout;
    }

    /** The best final response so far (RFC 3261 §16.7 step 6); a local 408 when only timers answered. */
    public final Response response() {
        return best;
    }

    /** Its status code ({@code $T_reply_code}). */
    public final int status() {
        return best.getStatusCode();
    }

    /** True when the caller cancelled the request ({@code t_is_canceled}): do not try new targets then. */
    public final boolean isCanceled() {
        return canceled;
    }

    /** True when the best response is a 408 made by the proxy's own timers, not received from a peer. */
    public final boolean isLocalTimeout() {
        return localTimeout;
    }
}
