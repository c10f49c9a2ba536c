package io.siprelay.core.proxy.internal;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.concurrent.KeyedExecutor.Admission;
import io.siprelay.core.route.Continuation;
import io.siprelay.core.route.RouteInternals;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.MDC;

/**
 * Request routes waiting for work off the lane ({@code RequestContext.suspend}): the continuation goes back onto the
 * call's lane when the work completes, and retransmissions of a waiting request are absorbed meanwhile.
 */
final class SuspendedRoutes {

    /** How often a continuation that found the lanes full is re-queued (every 10 ms) before it is given up. */
    private static final int RESUME_ATTEMPTS = 100;

    private final ProxyCore core;
    /** Waiting requests by method, CSeq, top Via branch and Call-ID. */
    private final Set<String> waiting = ConcurrentHashMap.newKeySet();

    SuspendedRoutes(ProxyCore core) {
        this.core = core;
    }

    /** True for a retransmission of a request whose route is waiting. */
    boolean isWaiting(SipMessage msg) {
        return !waiting.isEmpty() && waiting.contains(key(msg));
    }

    int size() {
        return waiting.size();
    }

    <T> void suspend(RouteContext ctx, SipMessage msg, CompletionStage<T> work, Continuation<T> then) {
        String key = key(msg);
        waiting.add(key);
        core.counters().suspendedRoutes.increment();
        work.whenComplete((result, failure) -> resumeOnLane(ctx, msg, key, then, result, unwrap(failure)));
    }

    static Throwable unwrap(Throwable failure) {
        while (failure instanceof CompletionException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        return failure;
    }

    private static String key(SipMessage msg) {
        return msg.method() + ' ' + msg.cseq() + ' ' + msg.topViaBranch() + ' ' + msg.callId();
    }

    private <T> void resumeOnLane(RouteContext ctx, SipMessage msg, String key, Continuation<T> then, T result,
                                  Throwable failure) {
        continueOnLane(core, msg.callId(), () -> resume(ctx, msg, key, then, result, failure), RESUME_ATTEMPTS, () -> {
            waiting.remove(key); // the client's retransmission starts it over
            core.counters().overloadRejected.increment();
            ProxyCore.LOG.warn("gave up resuming {} {}: the worker lanes stayed full", msg.method(), msg.callId());
        });
    }

    /**
     * Queues work that continues a call (a resumed route, a held response) on its lane as {@code IN_PROGRESS}; while
     * the lanes are full it tries again every 10 ms, {@code attempts} times at most, then runs {@code giveUp}.
     */
    static void continueOnLane(ProxyCore core, String callId, Runnable task, int attempts, Runnable giveUp) {
        if (core.executor().execute(callId, Admission.IN_PROGRESS, task)) {
            return;
        }
        if (attempts > 1) {
            core.clock().schedule(10, () -> continueOnLane(core, callId, task, attempts - 1, giveUp));
        } else {
            giveUp.run();
        }
    }

    private <T> void resume(RouteContext ctx, SipMessage msg, String key, Continuation<T> then, T result,
                            Throwable failure) {
        waiting.remove(key);
        MDC.put(ProxyCore.MDC_CALL_ID, msg.callId());
        try {
            core.runRoute(ctx, msg, ctx.source(), c -> RouteInternals.resume(c, then, result, failure));
        } finally {
            MDC.remove(ProxyCore.MDC_CALL_ID);
        }
    }
}
