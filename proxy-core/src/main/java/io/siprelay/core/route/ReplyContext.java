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
}
