package io.siprelay.core.proxy;

import java.util.LinkedHashMap;
import java.util.Map;

/** Counters of one proxy instance (Kamailio's core/sl statistics), read-only; the core updates them lock-free. */
public interface ProxyStats {

    /** Messages handed up by the transports. */
    long received();

    /** Messages that failed parsing or sanity checks. */
    long parseErrors();

    /** Requests answered with a 4xx/5xx because they were malformed (the parse error replies). */
    long badRequestReplies();

    /** New requests refused with 503 because the worker queues were full. */
    long overloadRejected();

    /** Requests that ran through the request route. */
    long requestsRouted();

    /** Retransmissions and ACKs absorbed before the route. */
    long absorbed();

    /** Replies sent statelessly ({@code sl_send_reply}, and the core's own error replies). */
    long statelessReplies();

    /** Requests sent on statelessly ({@code forward()}). */
    long forwardedRequests();

    /** Responses forwarded along the Via stack without a transaction. */
    long forwardedResponses();

    /** Responses dropped: not for us, unparsable, or with nowhere to go. */
    long droppedResponses();

    /** Requests that left the request route without a terminal action (dropped with a WARN). */
    long fellOffRoute();

    /** Request routes that waited for work off the lane ({@code RequestContext.suspend}). */
    long suspendedRoutes();

    /** Responses a reply route held until work off the lane completed ({@code ReplyContext.suspend}). */
    long suspendedReplies();

    /** Routes that threw. */
    long routeErrors();

    /** Messages the transport could not send. */
    long sendErrors();

    /** Branches sent by stateful relays. */
    long relayedBranches();

    /** CANCEL requests received. */
    long cancelsReceived();

    /** CANCEL requests the core sent to pending branches. */
    long cancelsSent();

    /** Branches ended by fr_timer, fr_inv_timer, Timer C or Timer B/F (a local 408). */
    long localTimeouts();

    /** Requests of the proxy's own sent without a transaction (NAT keep-alive pings). */
    long ownStatelessSent();

    /** Responses to those requests (absorbed). */
    long ownStatelessAnswers();

    /** All counters by name, in a stable order (for {@code stats.get}). */
    default Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("received", received());
        m.put("parse_errors", parseErrors());
        m.put("bad_request_replies", badRequestReplies());
        m.put("overload_rejected", overloadRejected());
        m.put("requests_routed", requestsRouted());
        m.put("absorbed", absorbed());
        m.put("stateless_replies", statelessReplies());
        m.put("forwarded_requests", forwardedRequests());
        m.put("forwarded_responses", forwardedResponses());
        m.put("dropped_responses", droppedResponses());
        m.put("fell_off_route", fellOffRoute());
        m.put("route_errors", routeErrors());
        m.put("send_errors", sendErrors());
        m.put("relayed_branches", relayedBranches());
        m.put("cancels_received", cancelsReceived());
        m.put("cancels_sent", cancelsSent());
        m.put("local_timeouts", localTimeouts());
        m.put("own_stateless_sent", ownStatelessSent());
        m.put("own_stateless_answers", ownStatelessAnswers());
        m.put("suspended_routes", suspendedRoutes());
        m.put("suspended_replies", suspendedReplies());
        return m;
    }
}
