package io.siprelay.core.proxy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one proxy instance (Kamailio's core/sl statistics). Cheap to update from any thread. */
public final class ProxyStats {

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

    /** Messages handed up by the transports. */
    public long received() {
        return received.sum();
    }

    /** Messages that failed parsing or sanity checks. */
    public long parseErrors() {
        return parseErrors.sum();
    }

    /** New requests refused with 503 because the worker queues were full. */
    public long overloadRejected() {
        return overloadRejected.sum();
    }

    /** Requests that ran through the request route. */
    public long requestsRouted() {
        return requestsRouted.sum();
    }

    /** Retransmissions and ACKs absorbed before the route. */
    public long absorbed() {
        return absorbed.sum();
    }

    public long statelessReplies() {
        return statelessReplies.sum();
    }

    public long forwardedRequests() {
        return forwardedRequests.sum();
    }

    public long forwardedResponses() {
        return forwardedResponses.sum();
    }

    /** Requests that left the request route without a terminal action (dropped with a WARN). */
    public long fellOffRoute() {
        return fellOffRoute.sum();
    }

    /** Routes that threw. */
    public long routeErrors() {
        return routeErrors.sum();
    }

    /** Branches sent by stateful relays. */
    public long relayedBranches() {
        return relayedBranches.sum();
    }

    public long cancelsReceived() {
        return cancelsReceived.sum();
    }

    public long cancelsSent() {
        return cancelsSent.sum();
    }

    /** Branches ended by fr_timer, fr_inv_timer, Timer C or Timer B/F (a local 408). */
    public long localTimeouts() {
        return localTimeouts.sum();
    }

    /** Requests of the proxy's own sent without a transaction (NAT keep-alive pings). */
    public long ownStatelessSent() {
        return ownStatelessSent.sum();
    }

    /** Responses to those requests (absorbed). */
    public long ownStatelessAnswers() {
        return ownStatelessAnswers.sum();
    }

    /** All counters by name, in a stable order (for {@code stats.get}). */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("received", received());
        m.put("parse_errors", parseErrors());
        m.put("bad_request_replies", badRequestReplies.sum());
        m.put("overload_rejected", overloadRejected());
        m.put("requests_routed", requestsRouted());
        m.put("absorbed", absorbed());
        m.put("stateless_replies", statelessReplies());
        m.put("forwarded_requests", forwardedRequests());
        m.put("forwarded_responses", forwardedResponses());
        m.put("dropped_responses", droppedResponses.sum());
        m.put("fell_off_route", fellOffRoute());
        m.put("route_errors", routeErrors());
        m.put("send_errors", sendErrors.sum());
        m.put("relayed_branches", relayedBranches());
        m.put("cancels_received", cancelsReceived());
        m.put("cancels_sent", cancelsSent());
        m.put("local_timeouts", localTimeouts());
        m.put("own_stateless_sent", ownStatelessSent());
        m.put("own_stateless_answers", ownStatelessAnswers());
        return m;
    }
}
