package io.siprelay.core.proxy.internal;

import io.siprelay.core.proxy.ProxyStats;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@link ProxyStats}: one {@link LongAdder} each, incremented by the core. */
public final class ProxyCounters implements ProxyStats {

    final LongAdder received = new LongAdder();
    final LongAdder parseErrors = new LongAdder();
    final LongAdder badRequestReplies = new LongAdder();
    final LongAdder overloadRejected = new LongAdder();
    final LongAdder requestsRouted = new LongAdder();
    final LongAdder absorbed = new LongAdder();
    final LongAdder statelessReplies = new LongAdder();
    final LongAdder forwardedRequests = new LongAdder();
    final LongAdder forwardedResponses = new LongAdder();
    final LongAdder droppedResponses = new LongAdder();
    final LongAdder fellOffRoute = new LongAdder();
    final LongAdder routeErrors = new LongAdder();
    final LongAdder sendErrors = new LongAdder();
    final LongAdder relayedBranches = new LongAdder();
    final LongAdder cancelsReceived = new LongAdder();
    final LongAdder cancelsSent = new LongAdder();
    final LongAdder localTimeouts = new LongAdder();
    final LongAdder ownStatelessSent = new LongAdder();
    final LongAdder ownStatelessAnswers = new LongAdder();
    final LongAdder suspendedRoutes = new LongAdder();
    final LongAdder suspendedReplies = new LongAdder();

    @Override
    public long received() {
        return received.sum();
    }

    @Override
    public long parseErrors() {
        return parseErrors.sum();
    }

    @Override
    public long badRequestReplies() {
        return badRequestReplies.sum();
    }

    @Override
    public long overloadRejected() {
        return overloadRejected.sum();
    }

    @Override
    public long requestsRouted() {
        return requestsRouted.sum();
    }

    @Override
    public long absorbed() {
        return absorbed.sum();
    }

    @Override
    public long statelessReplies() {
        return statelessReplies.sum();
    }

    @Override
    public long forwardedRequests() {
        return forwardedRequests.sum();
    }

    @Override
    public long forwardedResponses() {
        return forwardedResponses.sum();
    }

    @Override
    public long droppedResponses() {
        return droppedResponses.sum();
    }

    @Override
    public long fellOffRoute() {
        return fellOffRoute.sum();
    }

    @Override
    public long routeErrors() {
        return routeErrors.sum();
    }

    @Override
    public long sendErrors() {
        return sendErrors.sum();
    }

    @Override
    public long relayedBranches() {
        return relayedBranches.sum();
    }

    @Override
    public long cancelsReceived() {
        return cancelsReceived.sum();
    }

    @Override
    public long cancelsSent() {
        return cancelsSent.sum();
    }

    @Override
    public long localTimeouts() {
        return localTimeouts.sum();
    }

    @Override
    public long ownStatelessSent() {
        return ownStatelessSent.sum();
    }

    @Override
    public long ownStatelessAnswers() {
        return ownStatelessAnswers.sum();
    }

    @Override
    public long suspendedRoutes() {
        return suspendedRoutes.sum();
    }

    @Override
    public long suspendedReplies() {
        return suspendedReplies.sum();
    }
}
