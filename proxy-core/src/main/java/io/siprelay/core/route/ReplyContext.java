package io.siprelay.core.route;

import java.net.InetSocketAddress;
import java.util.Map;
import javax.sip.message.Response;

/** One response of a relayed request, seen by a {@link ReplyRoute} before it goes upstream. */
public final class ReplyContext {

    private final Response response;
    private final int branch;
    private final Map<TxKey<?>, Object> vars;
    private final InetSocketAddress source;
    private boolean dropped;
    private Suspension<?> suspension;

    public ReplyContext(Response response, int branch, Map<TxKey<?>, Object> vars) {
        this(response, branch, vars, null);
    }

    /** @param source where the response came from ({@code $si:$sp} in an onreply_route), or null if unknown */
    public ReplyContext(Response response, int branch, Map<TxKey<?>, Object> vars, InetSocketAddress source) {
        this.response = response;
        this.branch = branch;
        this.vars = vars;
        this.source = source;
    }

    /** The address the response came from ({@code $si}, {@code $sp}), or null for a response made locally. */
    public InetSocketAddress source() {
        return source;
    }

    /** The response; edits are forwarded. */
    public Response response() {
        return response;
    }

    public int status() {
        return response.getStatusCode();
    }

    /** Index of the branch it came from (0 for the first). */
    public int branch() {
        return branch;
    }

    public <T> T get(TxKey<T> key) {
        return key.cast(vars.get(key));
    }

    /**
     * Does not forward this provisional response ({@code drop} in an onreply_route). Final responses cannot be
     * dropped: they decide the transaction.
     */
    public void drop() {
        if (response.getStatusCode() >= 200) {
            throw new IllegalStateException("only provisional responses can be dropped, not "
                    + response.getStatusCode());
        }
        dropped = true;
    }

    public boolean isDropped() {
        return dropped;
    }

    /**
     * Holds this response until {@code work} completes, then runs {@code then} on the call's lane and lets the response
     * go on (Kamailio's async reply handling): e.g. rewrite its SDP with what rtpengine answered. Later responses of the
     * same transaction wait behind it, so they go upstream in the order they came; the proxy's timers keep running.
     *
     * @throws IllegalStateException when this reply route already suspended
     */
    public <T> void suspend(java.util.concurrent.CompletionStage<T> work, ReplyContinuation<T> then) {
        java.util.Objects.requireNonNull(work, "work");
        java.util.Objects.requireNonNull(then, "then");
        if (suspension != null) {
            throw new IllegalStateException("this reply route already suspended once");
        }
        suspension = new Suspension<>(work, then);
    }

    Suspension<?> takeSuspension() {
        Suspension<?> s = suspension;
        suspension = null;
        return s;
    }

    /** Work a reply route waits for and what to do after it; for the proxy core. */
    public record Suspension<T>(java.util.concurrent.CompletionStage<T> work, ReplyContinuation<T> then) {

        /** Runs {@code then} with the outcome. */
        public void resume(ReplyContext reply, Object result, Throwable failure) {
            @SuppressWarnings("unchecked")
            T r = (T) result;
            then.resume(reply, r, failure);
        }
    }
}
