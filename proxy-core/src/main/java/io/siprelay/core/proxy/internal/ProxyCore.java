package io.siprelay.core.proxy.internal;

import io.siprelay.core.proxy.Listener;
import io.siprelay.core.proxy.Myself;
import io.siprelay.core.proxy.ProxyStats;
import io.siprelay.core.proxy.RelayTimers;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.codec.SipParseException;
import io.siprelay.core.concurrent.KeyedExecutor;
import io.siprelay.core.concurrent.KeyedExecutor.Admission;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.transaction.internal.ServerTransaction;
import io.siprelay.core.transaction.internal.TransactionLayer;
import io.siprelay.core.transaction.internal.ViaAddressing;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.InboundHandler;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The inbound pipeline: transport thread → worker lane (keyed by Call-ID) → parse and validate → transaction layer →
 * request route; responses → transaction layer or stateless forwarding along the Via stack. Also the stateless
 * actions the routes call.
 */
public final class ProxyCore implements InboundHandler {

    static final Logger LOG = LoggerFactory.getLogger(ProxyCore.class);
    static final String MDC_CALL_ID = "callId";

    private final SipCodec codec;
    private final io.siprelay.core.clock.SipClock clock;
    private final KeyedExecutor executor;
    private final TransactionLayer transactions;
    private final Route requestRoute;
    private final List<Listener> listeners;
    private final ProxyCounters stats = new ProxyCounters();
    private final RelayTimers relayTimers;
    private final Myself myself;
    private final int maxRelays;
    private final Forwarding forwarding = new Forwarding(this);
    /** Relays in progress, by their server transaction: where a CANCEL finds its INVITE. */
    private final java.util.Map<ServerTransaction, ProxyTransaction> active =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final String branchPrefix;
    /** Ends the branch of a request sent by {@link #sendStateless}. */
    private static final String OWN_STATELESS = "-ka";
    private final java.util.concurrent.atomic.AtomicLong branchCounter = new java.util.concurrent.atomic.AtomicLong();
    /** Prefix of every To-tag of our stateless replies, so ACKs for them are recognised and absorbed. */
    private final String statelessTagPrefix;
    private final StatelessReplier replier;
    private final SuspendedRoutes suspended = new SuspendedRoutes(this);

    public ProxyCore(SipCodec codec, io.siprelay.core.clock.SipClock clock, KeyedExecutor executor,
                     TransactionLayer transactions, Route requestRoute, List<Listener> listeners, int retryAfterSeconds,
                     RelayTimers relayTimers, Myself myself, int maxRelays) {
        this.maxRelays = maxRelays;
        this.codec = codec;
        this.clock = clock;
        this.relayTimers = relayTimers;
        this.myself = myself;
        this.executor = executor;
        this.transactions = transactions;
        this.requestRoute = requestRoute;
        this.listeners = List.copyOf(listeners);
        byte[] r = new byte[4];
        new SecureRandom().nextBytes(r);
        this.statelessTagPrefix = "sr" + HexFormat.of().formatHex(r) + "-";
        this.replier = new StatelessReplier(codec, transactions, stats, statelessTagPrefix, retryAfterSeconds);
        new SecureRandom().nextBytes(r);
        this.branchPrefix = "z9hG4bKsr" + HexFormat.of().formatHex(r) + "-";
    }

    /** The counters, for the core's own classes to update. */
    ProxyCounters counters() {
        return stats;
    }

    public ProxyStats stats() {
        return stats;
    }

    public List<Listener> listeners() {
        return listeners;
    }

    SipCodec codec() {
        return codec;
    }

    io.siprelay.core.clock.SipClock clock() {
        return clock;
    }

    KeyedExecutor executor() {
        return executor;
    }

    TransactionLayer transactions() {
        return transactions;
    }

    Forwarding forwarding() {
        return forwarding;
    }

    RelayTimers relayTimers() {
        return relayTimers;
    }

    /**
     * Sends a request of the proxy's own (a UAC: OPTIONS probes and the like) in a client transaction. The request
     * needs Call-ID, From (with tag), To, CSeq and Max-Forwards; the proxy adds its Via. The future completes with the
     * final response: a received one, a local 408 when Timer B/F fires, or a local 503 when it cannot be sent.
     */
    public java.util.concurrent.CompletableFuture<Response> sendOwnRequest(Request request, String destination) {
        java.util.concurrent.CompletableFuture<Response> result = new java.util.concurrent.CompletableFuture<>();
        javax.sip.header.CallIdHeader cid = (javax.sip.header.CallIdHeader) request.getHeader(
                javax.sip.header.CallIdHeader.NAME);
        if (cid == null) {
            throw new IllegalArgumentException("the request needs a Call-ID");
        }
        boolean queued = executor.execute(cid.getCallId(), Admission.IN_PROGRESS, () -> {
            try {
                Forwarding.Hop hop = forwarding.resolve(request, destination);
                forwarding.pushVia(request, hop, newBranchId());
                transactions.sendRequest(SipMessage.of(request), new Flow(hop.listener().transport(), hop.address()),
                        new io.siprelay.core.transaction.internal.ClientTransactionListener() {
                            @Override
                            public void onResponse(io.siprelay.core.transaction.internal.ClientTransaction tx,
                                                   SipMessage response) {
                                if (response.statusCode() >= 200) {
                                    result.complete(response.response());
                                }
                            }

                            @Override
                            public void onTimeout(io.siprelay.core.transaction.internal.ClientTransaction tx) {
                                result.complete(localAnswer(request, 408, "Request Timeout"));
                            }

                            @Override
                            public void onTransportError(io.siprelay.core.transaction.internal.ClientTransaction tx,
                                                         IOException error) {
                                result.complete(localAnswer(request, 503, "Service Unavailable"));
                            }
                        });
            } catch (Forwarding.HopException e) {
                result.complete(localAnswer(request, e.status, e.reason));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        if (!queued) {
            result.complete(localAnswer(request, 503, "Service Unavailable"));
        }
        return result;
    }

    /**
     * Sends a request of the proxy's own once, with no transaction, no retransmission and no timer (Kamailio's
     * nathelper pings): the proxy adds its Via with a branch of its own and sends it to {@code destination} (null: the
     * Request-URI). Responses to it are counted ({@link ProxyStats#ownStatelessAnswers()}) and absorbed.
     *
     * @return false when it could not be sent (no listener for the transport, unresolvable, or a send error)
     */
    public boolean sendStateless(Request request, String destination) {
        Forwarding.Hop hop;
        try {
            hop = forwarding.resolve(request, destination);
        } catch (Forwarding.HopException e) {
            LOG.debug("not sending {} to {}: {}", request.getMethod(), destination, e.getMessage());
            return false;
        }
        forwarding.pushVia(request, hop, newBranchId() + OWN_STATELESS);
        try {
            hop.listener().transport().send(hop.address(), codec.encode(request));
            stats.ownStatelessSent.increment();
            return true;
        } catch (IOException e) {
            stats.sendErrors.increment();
            LOG.debug("could not send {} to {}: {}", request.getMethod(), hop.address(), e.toString());
            return false;
        }
    }

    private Response localAnswer(Request request, int status, String reason) {
        try {
            Response r = codec.messageFactory().createResponse(status, request);
            r.setReasonPhrase(reason);
            return r;
        } catch (java.text.ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Relays whose transaction has not ended yet. */
    public int activeRelays() {
        return active.size();
    }

    void register(ServerTransaction server, ProxyTransaction pt) {
        active.put(server, pt);
    }

    void unregister(ServerTransaction server, ProxyTransaction pt) {
        active.remove(server, pt);
    }

    /** A fresh RFC 3261 branch for a relayed request: unique per proxy instance. */
    String newBranchId() {
        return branchPrefix + Long.toHexString(branchCounter.incrementAndGet());
    }

    // ---------------------------------------------------------------- transport thread

    @Override
    public void onMessage(Transport transport, InetSocketAddress source, byte[] message) {
        stats.received.increment();
        boolean response = MessageScan.isResponse(message);
        long peek = MessageScan.peek(message);
        Admission admission = response || MessageScan.isAckOrCancel(message) ? Admission.IN_PROGRESS
                : MessageScan.continuesWork(peek) ? Admission.CONTINUING
                : transport.type().isReliable() ? Admission.NEW_STREAM_WORK : Admission.NEW_WORK;
        String key = MessageScan.callId(message, peek);
        Flow flow = new Flow(transport, source);
        if (!executor.execute(key != null ? key : source.toString(), admission, () -> process(flow, message))) {
            if (response) {
                stats.overloadRejected.increment();
            } else {
                rejectOverloaded(flow, message);
            }
        }
    }

    /**
     * 503 with Retry-After for a new request that found the queues full. This runs on the transport thread while the
     * proxy is overloaded, so it must cost less than serving: a plainly well-formed request gets a reply cut from its
     * bytes; anything else is dropped rather than parsed in full.
     */
    private void rejectOverloaded(Flow flow, byte[] data) {
        SipMessage m;
        try {
            m = codec.parse(data);
        } catch (SipParseException e) {
            LOG.debug("overload: dropped an unparsable message from {}", flow);
            return;
        }
        if (m.isParsed()) {
            stats.overloadRejected.increment();
            LOG.debug("overload: dropped a request from {} that needs a full parse", flow);
            return;
        }
        m.stampArrival(flow.remote());
        if (transactions.absorb(m, flow)) {
            // a retransmission of a request already answered (or in a transaction) gets that answer, not a 503
            stats.absorbed.increment();
            return;
        }
        rejectOverloaded(flow, m);
    }

    /** 503 with Retry-After: the proxy is at one of its limits (queues, relays in progress). */
    void rejectOverloaded(Flow flow, SipMessage m) {
        replier.rejectOverloaded(flow, m);
    }

    int maxRelays() {
        return maxRelays;
    }

    // ---------------------------------------------------------------- worker lane

    void process(Flow flow, byte[] data) {
        SipMessage msg;
        try {
            msg = codec.parse(data);
        } catch (SipParseException e) {
            onBadMessage(flow, e);
            return;
        }
        try {
            if (msg.isRequest()) {
                onRequest(flow, msg);
            } else {
                onResponse(flow, msg);
            }
        } catch (SipMessage.Unparsable e) {
            onBadMessage(flow, e.parseError()); // lazily parsed, and malformed where the fast scan did not look
        } catch (RuntimeException e) {
            LOG.error("failed to process a message from {}", flow, e);
        }
    }

    private void onBadMessage(Flow flow, SipParseException e) {
        stats.parseErrors.increment();
        if (e.canReply() && !Request.ACK.equals(e.partial().method())) {
            stats.badRequestReplies.increment();
            e.partial().stampArrival(flow.remote()); // the reply goes where it came from
            LOG.debug("rejecting a request from {}: {} {}", flow, e.statusCode(), e.reason());
            statelessReply(flow, e.partial(), e.statusCode(), e.reason(), r -> {
                for (String tag : e.unsupportedOptionTags()) { // RFC 3261 §16.3 step 5: 420 lists them
                    try {
                        r.addHeader(codec.headerFactory().createUnsupportedHeader(tag));
                    } catch (java.text.ParseException ignored) {
                        // a tag that does not parse cannot be listed; the 420 still goes out
                    }
                }
            });
        } else {
            LOG.debug("dropped a malformed message from {}: {}", flow, e.getMessage());
        }
    }

    private void onRequest(Flow flow, SipMessage msg) {
        msg.stampArrival(flow.remote());
        MDC.put(MDC_CALL_ID, msg.callId());
        try {
            if (transactions.absorb(msg, flow)) {
                stats.absorbed.increment();
                return;
            }
            if (Request.ACK.equals(msg.method()) && isAckForStatelessReply(msg)) {
                stats.absorbed.increment();
                return;
            }
            if (Request.CANCEL.equals(msg.method()) && cancelRelay(flow, msg)) {
                return;
            }
            if (suspended.isWaiting(msg)) {
                stats.absorbed.increment(); // the original is waiting in its route; it will be answered
                return;
            }
            stats.requestsRouted.increment();
            RouteContext ctx = new RouteContext(this, msg, flow);
            runRoute(ctx, msg, flow, requestRoute);
        } finally {
            MDC.remove(MDC_CALL_ID);
        }
    }

    /** Runs the request route, or a continuation of it, and handles how it ended. */
    void runRoute(RouteContext ctx, SipMessage msg, Flow flow, Route block) {
        Step step;
        try {
            step = ctx.route(block);
        } catch (SipMessage.Unparsable e) {
            if (!ctx.isFinished()) {
                onBadMessage(flow, e.parseError()); // a header the route read is malformed: 400 as if parsed eagerly
            }
            return;
        } catch (RuntimeException e) {
            stats.routeErrors.increment();
            LOG.error("route '{}' failed on {} {}", ctx.currentBlock(), msg.method(), msg.requestUri(), e);
            if (!ctx.isFinished() && !Request.ACK.equals(msg.method())) {
                ctx.reply(500, "Server Internal Error");
            }
            return;
        }
        if (!step.isDone()) {
            stats.fellOffRoute.increment();
            LOG.warn("{} {} fell off the end of route '{}' without reply, forward, drop or exit: dropped",
                    msg.method(), msg.requestUri(), requestRoute.name());
        }
    }

    /** RequestContext.suspend: the continuation runs on the call's lane when the work completes. */
    <T> void suspend(RouteContext ctx, SipMessage msg, java.util.concurrent.CompletionStage<T> work,
                     io.siprelay.core.route.Continuation<T> then) {
        suspended.suspend(ctx, msg, work, then);
    }

    /** Requests waiting in a suspended route now. */
    public int suspendedRoutes() {
        return suspended.size();
    }

    /**
     * §16.10: a CANCEL for a relay in progress is answered 200 here and fanned out to the branches; the route never
     * sees it. A CANCEL that matches nothing goes to the route (a stateless route forwards it; relay() answers 481).
     */
    private boolean cancelRelay(Flow flow, SipMessage cancel) {
        ServerTransaction invite = transactions.findInviteServer(cancel);
        if (invite == null) {
            return false;
        }
        // §16.10: a CANCEL matching a response context gets 200 at once; when the relay already ended (a final was
        // sent) it has no further effect
        ProxyTransaction pt = active.get(invite);
        ServerTransaction cst = transactions.createServer(cancel, flow);
        try {
            Response ok = codec.messageFactory().createResponse(200, cancel.request());
            ToHeader to = (ToHeader) ok.getHeader(ToHeader.NAME);
            if (to.getTag() == null) {
                to.setTag(statelessTag(cancel));
            }
            cst.respond(SipMessage.of(ok));
        } catch (java.text.ParseException e) {
            LOG.warn("could not answer a CANCEL: {}", e.toString());
        }
        stats.cancelsReceived.increment();
        if (pt != null) {
            pt.cancel(cancel.request().getHeader("Reason"));
        }
        return true;
    }

    private boolean isAckForStatelessReply(SipMessage ack) {
        String tag = ack.toTag();
        return tag != null && tag.startsWith(statelessTagPrefix);
    }

    private void onResponse(Flow flow, SipMessage msg) {
        msg.receivedFrom(flow.remote());
        MDC.put(MDC_CALL_ID, msg.callId());
        try {
            if (transactions.onResponse(msg, flow)) {
                return;
            }
            forwardResponseStatelessly(msg);
        } finally {
            MDC.remove(MDC_CALL_ID);
        }
    }

    /** RFC 3261 §16.11: a response with no transaction goes to the next Via, if the top one is ours. */
    private void forwardResponseStatelessly(SipMessage msg) {
        Response r = msg.response();
        ViaHeader top = msg.topVia();
        if (top == null || !isOurVia(top)) {
            stats.droppedResponses.increment();
            LOG.debug("dropped a {} response whose top Via is not ours", r.getStatusCode());
            return;
        }
        String branch = top.getBranch();
        if (branch != null && branch.endsWith(OWN_STATELESS)) {
            stats.ownStatelessAnswers.increment(); // the answer to a keep-alive ping of ours: nothing to forward
            return;
        }
        r.removeFirst(ViaHeader.NAME);
        ViaHeader next = (ViaHeader) r.getHeader(ViaHeader.NAME);
        if (next == null) {
            stats.droppedResponses.increment();
            LOG.debug("dropped a {} response with no Via left after ours", r.getStatusCode());
            return;
        }
        Listener out = listenerFor(TransportType.fromToken(next.getTransport()));
        if (out == null) {
            stats.droppedResponses.increment();
            LOG.debug("no listener for transport {} to forward a response", next.getTransport());
            return;
        }
        try {
            InetSocketAddress dest = ViaAddressing.responseAddress(next);
            if (!isUnicast(dest.getAddress())) {
                stats.droppedResponses.increment();
                LOG.debug("refused to forward a response to non-unicast {}", dest);
                return;
            }
            out.transport().send(dest, codec.encode(r));
            stats.forwardedResponses.increment();
        } catch (IOException e) {
            stats.sendErrors.increment();
            LOG.debug("could not forward a response: {}", e.toString());
        }
    }

    // ---------------------------------------------------------------- stateless actions

    /** Builds and sends a stateless reply (RFC 3261 §8.2.6, §16.7 for where it goes). */
    void statelessReply(Flow flow, SipMessage request, int status, String reason, Consumer<Response> customizer) {
        replier.reply(flow, request, status, reason, customizer);
    }

    /** A stateless reply with extra header lines: cut from the bytes when it can be, else built with the customizer. */
    void statelessReply(Flow flow, SipMessage request, int status, String reason, String headerLines,
                        Consumer<Response> customizer) {
        replier.reply(flow, request, status, reason, headerLines, customizer);
    }

    void sendResponse(Flow flow, Response resp) {
        replier.send(flow, resp);
    }

    private String statelessTag(SipMessage request) {
        return replier.tag(request);
    }

    Listener listenerFor(TransportType type) {
        if (type == null) {
            return null;
        }
        for (Listener l : listeners) {
            if (l.transport().type() == type) {
                return l;
            }
        }
        return null;
    }

    /** The listener a transport belongs to, or null. */
    Listener listenerOf(Transport transport) {
        for (Listener l : listeners) {
            if (l.transport() == transport) {
                return l;
            }
        }
        return null;
    }

    /** Kamailio's {@code myself}: a URI naming one of our listeners or domains. */
    boolean isMyself(javax.sip.address.SipURI uri) {
        return myself.isMyself(uri);
    }

    boolean isOurVia(ViaHeader via) {
        String host = via.getHost();
        int port = via.getPort() > 0 ? via.getPort() : 5060;
        for (Listener l : listeners) {
            if (l.port() == port && l.host().equalsIgnoreCase(host)) {
                return true;
            }
        }
        return false;
    }

    static boolean isUnicast(InetAddress a) {
        if (a.isMulticastAddress() || a.isAnyLocalAddress()) {
            return false;
        }
        byte[] b = a.getAddress();
        return !(b.length == 4 && b[0] == -1 && b[1] == -1 && b[2] == -1 && b[3] == -1);
    }

    static InetAddress resolve(String host) throws UnknownHostException {
        return InetAddress.getByName(ViaAddressing.stripBrackets(host));
    }

    /** 64-bit FNV-1a over the parts; deterministic across runs (branches and tags of retransmissions match). */
    static long hash(String... parts) {
        long h = 0xcbf29ce484222325L;
        for (String p : parts) {
            if (p != null) {
                for (int i = 0; i < p.length(); i++) {
                    h ^= p.charAt(i);
                    h *= 0x100000001b3L;
                }
            }
            h ^= 0x1f;
            h *= 0x100000001b3L;
        }
        return h;
    }
}
