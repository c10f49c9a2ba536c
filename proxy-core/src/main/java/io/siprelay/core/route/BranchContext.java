package io.siprelay.core.route;

import java.util.Map;
import javax.sip.message.Request;

/** One outgoing branch of a relayed request, seen by a {@link BranchRoute} before it is sent. */
public final class BranchContext {

    private final Request request;
    private final int branch;
    private final Map<TxKey<?>, Object> vars;
    private boolean dropped;

    public BranchContext(Request request, int branch, Map<TxKey<?>, Object> vars) {
        this.request = request;
        this.branch = branch;
        this.vars = vars;
    }

    /** This branch's copy of the request: changes affect only this branch. */
    public Request request() {
        return request;
    }

    /** Index of the branch (0 for the first). */
    public int branch() {
        return branch;
    }

    public String requestUri() {
        return request.getRequestURI().toString();
    }

    public <T> T get(TxKey<T> key) {
        return key.cast(vars.get(key));
    }

    /** Does not send this branch ({@code drop} in a branch_route). */
    public void drop() {
        dropped = true;
    }

    public boolean isDropped() {
        return dropped;
    }
}
