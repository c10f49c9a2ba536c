package io.siprelay.core.route;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transport.Flow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import javax.sip.address.URI;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * One request on its way through the routes: what it says and how to edit it (inherited from {@link RequestView}),
 * running blocks ({@link #route}), the relay settings armed before {@link #relay()} and the terminal actions that
 * end processing. The proxy core provides the concrete class; routes only see this API.
 */
public abstract class RequestContext extends RequestView {

    private Step.Done finished;
    private String finishedIn;
    private final List<String> blocks = new ArrayList<>(4);
    // relay settings, armed before relay() (Kamailio: t_on_failure, t_on_reply, t_on_branch, append_branch, AVPs)
    FailureRoute failureRoute;
    private ReplyRoute replyRoute;
    private BranchRoute branchRoute;
    private List<Target> appended;
    private boolean recordRoute;
    Map<TxKey<?>, Object> vars;
    Duration frTimer;
    Duration frInvTimer;
    List<java.util.function.IntConsumer> finalListeners;

    protected RequestContext(Request request, Flow source) {
        super(request, source);
    }

    /**
     * A context over a received message. Getters that the codec's fast scan answers (method, Call-ID, CSeq, To tag)
     * do not parse it; everything else parses it on first use.
     */
    protected RequestContext(SipMessage message, Flow source) {
        super(message, source);
    }

    // ---------------------------------------------------------------- composition

    /**
     * Runs another block (Kamailio's {@code route(NAME)}) and returns its step; the caller goes on when it is
     * {@link Step#next()} and returns it when it is done.
     */
    public final Step route(Route block) {
        blocks.add(block.name());
        try {
            Step s = block.handle(this);
            if (s == null) {
                throw new IllegalStateException("route '" + block.name() + "' returned null; return Step.next() or"
                        + " the result of a terminal action");
            }
            if (!s.isDone() && finished != null) {
                throw new IllegalStateException("route '" + block.name() + "' returned Step.next() after "
                        + finished.outcome() + " in '" + finishedIn + "': return the action's result instead");
            }
            return s;
        } finally {
            blocks.remove(blocks.size() - 1);
        }
    }

    /** True once a terminal action ran. */
    public final boolean isFinished() {
        return finished != null;
    }

    // ---------------------------------------------------------------- terminal actions

    /**
     * The customizer of a plain {@link #reply(int, String)}: it adds nothing, so the core may cut the reply from the
     * received bytes without parsing the request.
     */
    protected static final Consumer<Response> PLAIN_REPLY = r -> { };

    /** Answers statelessly ({@code sl_send_reply}). A To-tag is added to replies above 100. */
    public final Step.Done reply(int status, String reason) {
        return reply(status, reason, PLAIN_REPLY);
    }

    /** Answers statelessly, letting {@code customizer} add headers (e.g. Retry-After, Unsupported) before sending. */
    public final Step.Done reply(int status, String reason, Consumer<Response> customizer) {
        if (status < 100 || status > 699) {
            throw new IllegalArgumentException("status code must be 100..699, got " + status);
        }
        Objects.requireNonNull(reason, "reason");
        beginFinish();
        doReply(status, reason, customizer);
        return finish(Step.Outcome.REPLIED);
    }

    /**
     * Answers statelessly with extra header lines ({@code append_to_reply} then {@code sl_send_reply}), each one
     * {@code "Name: value"}, e.g. {@code List.of("Retry-After: 30")}. Unlike a customizer this needs no JAIN-SIP
     * objects, so the core may cut the reply from the received bytes without parsing the request.
     *
     * @throws IllegalArgumentException for a line that is not {@code token ":" value} or holds CR, LF or NUL (header
     *                                  injection)
     */
    public final Step.Done reply(int status, String reason, List<String> headerLines) {
        if (status < 100 || status > 699) {
            throw new IllegalArgumentException("status code must be 100..699, got " + status);
        }
        Objects.requireNonNull(reason, "reason");
        String lines = HeaderLines.join(headerLines);
        beginFinish();
        doReplyWithHeaders(status, reason, lines);
        return finish(Step.Outcome.REPLIED);
    }

    /**
     * Sends a reply with extra header lines ({@code "Name: value\r\n"} each, checked). By default through
     * {@link #doReply} with the lines parsed into JAIN-SIP headers; the core's request context cuts it from the bytes.
     */
    protected void doReplyWithHeaders(int status, String reason, String lines) {
        doReply(status, reason, r -> addHeaderLines(r, lines));
    }

    /** Adds {@code "Name: value\r\n"} lines to a JAIN-SIP message. */
    protected final void addHeaderLines(javax.sip.message.Message m, String lines) {
        HeaderLines.addTo(m, lines, headerFactory());
    }

    /**
     * Sends the request on statelessly ({@code forward()}), to the destination URI ({@code $du}) if set, else the top
     * Route, else the Request-URI: pushes a Via, decrements Max-Forwards (483 when it is exhausted). When the next hop
     * cannot be reached (unresolvable host, no listener for its transport) the proxy answers an error itself.
     */
    public final Step.Done forward() {
        beginFinish();
        doForward();
        return finish(Step.Outcome.FORWARDED);
    }

    /**
     * Relays the request transaction-statefully ({@code t_relay}): creates the server transaction, answers an INVITE
     * with 100 Trying, and sends one branch per target: the Request-URI (to {@code $du} when set) plus every
     * {@link #appendBranch appended} target. Targets of the highest q are tried in parallel, lower q values in turn
     * when all branches of the higher group failed (serial forking). Responses go upstream per RFC 3261 §16.7. When
     * nothing can be sent the proxy answers an error itself (503, or 478 for an unresolvable host). An ACK is
     * forwarded statelessly, as Kamailio's t_relay does.
     */
    public final Step.Done relay() {
        beginFinish();
        doRelay();
        return finish(Step.Outcome.RELAYED);
    }

    /** Drops the request without an answer ({@code drop}). */
    public final Step.Done drop() {
        beginFinish();
        return finish(Step.Outcome.DROPPED);
    }

    /** Ends processing here ({@code exit}); the request is consumed without a further action. */
    public final Step.Done exit() {
        beginFinish();
        return finish(Step.Outcome.EXITED);
    }

    /**
     * Waits for {@code work} without holding the worker lane (Kamailio's {@code t_suspend} / {@code t_continue}, or an
     * async module call): the route returns at once, other calls go on, and when the work completes {@code then} runs
     * on this call's lane with this context and decides the request (relay, reply, or suspend again). Meanwhile
     * retransmissions of the request are absorbed. Use it for a network round trip a route needs the answer of before
     * relaying, such as an rtpengine offer; a short local lookup may simply block.
     *
     * @throws UnsupportedOperationException in a context that cannot wait (a failure route)
     */
    public final <T> Step.Done suspend(java.util.concurrent.CompletionStage<T> work, Continuation<T> then) {
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(then, "then");
        if (!canSuspend()) {
            throw new UnsupportedOperationException("suspend() is not possible in " + getClass().getSimpleName()
                    + ": only a request route can wait for work off the lane");
        }
        beginFinish();
        Step.Done done = finish(Step.Outcome.SUSPENDED);
        doSuspend(work, then);
        return done;
    }

    /** True when {@link #doSuspend} is implemented. */
    protected boolean canSuspend() {
        return false;
    }

    /** Arranges for {@code then} to run on the call's lane when {@code work} completes. */
    protected <T> void doSuspend(java.util.concurrent.CompletionStage<T> work, Continuation<T> then) {
        throw new UnsupportedOperationException("suspend");
    }

    /** Runs a continuation after {@link #suspend}: the context is open for a terminal action again. */
    final <T> Step resume(Continuation<T> then, T result, Throwable failure) {
        finished = null;
        finishedIn = null;
        blocks.add("continuation");
        try {
            Step s = then.resume(this, result, failure);
            if (s == null) {
                throw new IllegalStateException("a continuation returned null; return Step.next() or the result of a"
                        + " terminal action");
            }
            if (!s.isDone() && finished != null) {
                throw new IllegalStateException("a continuation returned Step.next() after " + finished.outcome()
                        + ": return the action's result instead");
            }
            return s;
        } finally {
            blocks.remove(blocks.size() - 1);
        }
    }

    private void beginFinish() {
        if (finished != null) {
            throw new IllegalStateException("request already finished (" + finished.outcome() + " in '" + finishedIn
                    + "'); a terminal action ends processing, return its result");
        }
    }

    private Step.Done finish(Step.Outcome outcome) {
        finished = new Step.Done(outcome);
        finishedIn = currentBlock();
        return finished;
    }

    /** Name of the innermost block running now. */
    public final String currentBlock() {
        return blocks.isEmpty() ? "request_route" : blocks.get(blocks.size() - 1);
    }

    /** Sends the reply: statelessly from the request route, on the transaction from a failure route. */
    protected abstract void doReply(int status, String reason, Consumer<Response> customizer);

    protected abstract void doForward();

    protected abstract void doRelay();

    protected abstract boolean doLooseRoute();

    // ---------------------------------------------------------------- relay settings

    /** Arms the failure route of the next {@link #relay()} ({@code t_on_failure}). */
    public final void onFailure(FailureRoute route) {
        this.failureRoute = route;
    }

    /** Arms the reply route of the next {@link #relay()} ({@code t_on_reply}). */
    public final void onReply(ReplyRoute route) {
        this.replyRoute = route;
    }

    /** Arms the branch route of the next {@link #relay()} ({@code t_on_branch}). */
    public final void onBranch(BranchRoute route) {
        this.branchRoute = route;
    }

    /** Adds a target to the next relay ({@code append_branch}); q 1.0, next hop from the URI. */
    public final void appendBranch(String uri) {
        appendBranch(new Target(uri, null, 1.0f));
    }

    /** Adds a target to the next relay: a Request-URI, an optional destination ({@code $du}) and a q-value. */
    public final void appendBranch(Target target) {
        parseUri(target.uri());
        if (target.destination() != null) {
            parseUri(target.destination());
        }
        if (appended == null) {
            appended = new ArrayList<>(4);
        }
        appended.add(target);
    }

    /** Targets appended so far (not including the Request-URI's own branch). */
    public final List<Target> appendedBranches() {
        return appended == null ? List.of() : List.copyOf(appended);
    }

    /** Removes the appended targets. */
    public final void clearBranches() {
        appended = null;
    }

    /** Adds a Record-Route for this proxy to the relayed request ({@code record_route}). */
    public final void recordRoute() {
        this.recordRoute = true;
    }

    public final boolean isRecordRouted() {
        return recordRoute;
    }

    /**
     * Loose routing per RFC 3261 §16.4 ({@code loose_route}): removes this proxy's own Route entries (and, when a
     * strict router put our URI in the Request-URI, restores the Request-URI from the last Route). Returns true when
     * the request carries a route set to follow: relay it and the next hop comes from the Route headers.
     */
    public final boolean looseRoute() {
        return doLooseRoute();
    }

    /** The live variables map, created on demand (see {@link RouteInternals#sharedVars}). */
    final Map<TxKey<?>, Object> sharedVars() {
        if (vars == null) {
            vars = new HashMap<>(8);
        }
        return vars;
    }

    /** Sets a per-transaction variable (Kamailio AVP) that failure, reply and branch routes can read. */
    public final <T> void set(TxKey<T> key, T value) {
        if (vars == null) {
            vars = new HashMap<>(8);
        }
        vars.put(key, value);
    }

    /** Reads a per-transaction variable, or null. */
    public final <T> T get(TxKey<T> key) {
        return vars == null ? null : key.cast(vars.get(key));
    }

    /**
     * Calls {@code listener} once, on the call's lane, with the status of the final response the next
     * {@link #relay()} sends upstream: received from a branch or made by the proxy (408, 487, 5xx), including the
     * errors relay() answers itself when nothing could be sent (tm's TMCB_RESPONSE_OUT). Components use it to release
     * what they hold for a call that did not come up, whatever way it failed; a 2xx is reported too.
     */
    public final void onFinalResponse(java.util.function.IntConsumer listener) {
        Objects.requireNonNull(listener, "listener");
        if (finalListeners == null) {
            finalListeners = new ArrayList<>(2);
        }
        finalListeners.add(listener);
    }

    /** Overrides the proxy's fr_timer for this transaction ({@code t_set_fr}): no provisional in time → 408. */
    public final void setFrTimer(Duration d) {
        this.frTimer = d;
    }

    /** Overrides the proxy's fr_inv_timer for this transaction: no final after a provisional in time → CANCEL, 408. */
    public final void setFrInvTimer(Duration d) {
        this.frInvTimer = d;
    }

    /** The armed reply route, or null. */
    public final ReplyRoute replyRoute() {
        return replyRoute;
    }

    /** The armed branch route, or null. */
    public final BranchRoute branchRoute() {
        return branchRoute;
    }
}
