package io.siprelay.core.proxy.internal;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.text.ParseException;
import java.util.function.Consumer;
import javax.sip.InvalidArgumentException;
import javax.sip.address.AddressFactory;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.HeaderFactory;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.RouteHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

/** The request context the core hands to routes; implements the stateless actions. */
final class RouteContext extends RequestContext {

    private static final String MAGIC_COOKIE = "z9hG4bK";

    private final ProxyCore core;
    private final SipMessage message;

    RouteContext(ProxyCore core, SipMessage message, Flow source) {
        super(message, source);
        this.core = core;
        this.message = message;
    }

    @Override
    protected void doReply(int status, String reason, Consumer<Response> customizer) {
        core.statelessReply(source(), message, status, reason, customizer == PLAIN_REPLY ? null : customizer);
    }

    @Override
    protected void doReplyWithHeaders(int status, String reason, String lines) {
        core.statelessReply(source(), message, status, reason, lines, r -> addHeaderLines(r, lines));
    }

    /** RFC 3261 §16.11 stateless forwarding: §16.6 steps without a transaction, a deterministic branch. */
    @Override
    protected void doForward() {
        Request req = request();
        Forwarding fwd = core.forwarding();
        if (!fwd.decrementMaxForwards(req)) {
            core.statelessReply(source(), message, 483, "Too Many Hops", r -> { });
            return;
        }
        Forwarding.Hop hop;
        try {
            hop = fwd.resolve(req, destination());
        } catch (Forwarding.HopException e) {
            if (!Request.ACK.equals(req.getMethod())) {
                core.statelessReply(source(), message, e.status, e.reason, r -> { });
            }
            return;
        }
        if (isRecordRouted()) {
            fwd.recordRoute(req, core.listenerOf(source().transport()), hop);
        }
        fwd.pushVia(req, hop, statelessBranch());
        try {
            hop.listener().transport().send(hop.address(), core.codec().encode(req));
            core.counters().forwardedRequests.increment();
        } catch (IOException e) {
            core.counters().sendErrors.increment();
            ProxyCore.LOG.info("forward to {} failed: {}", hop.address(), e.toString());
            req.removeFirst(ViaHeader.NAME);
            if (!Request.ACK.equals(req.getMethod())) {
                core.statelessReply(source(), message, 503, "Service Unavailable", r -> { });
            }
        }
    }

    /** t_relay: ACK goes on statelessly, a CANCEL that reached the route matched nothing (481). */
    @Override
    protected void doRelay() {
        String m = request().getMethod();
        if (Request.ACK.equals(m)) {
            doForward();
        } else if (Request.CANCEL.equals(m)) {
            core.statelessReply(source(), message, 481, "Call/Transaction Does Not Exist", r -> { });
        } else {
            ProxyTransaction.relay(core, this, message);
        }
    }

    @Override
    protected boolean canSuspend() {
        return true;
    }

    @Override
    protected <T> void doSuspend(java.util.concurrent.CompletionStage<T> work,
                                 io.siprelay.core.route.Continuation<T> then) {
        core.suspend(this, message, work, then);
    }

    @Override
    protected boolean doLooseRoute() {
        return core.forwarding().looseRoute(request());
    }

    /**
     * Stateless proxies derive the branch from the incoming request (§16.11) so a retransmission, its CANCEL and its
     * non-2xx ACK all get the same branch as the original.
     */
    private String statelessBranch() {
        String incoming = message.topViaBranch();
        long h;
        if (incoming != null && incoming.startsWith(MAGIC_COOKIE) && incoming.length() > MAGIC_COOKIE.length()) {
            h = ProxyCore.hash(incoming, message.topViaHost(), Integer.toString(message.topViaPort()));
        } else {
            h = ProxyCore.hash(message.callId(), Long.toString(message.cseq()), message.requestUri(),
                    String.valueOf(message.topVia()));
        }
        return MAGIC_COOKIE + "sl" + Long.toHexString(h);
    }

    @Override
    public HeaderFactory headerFactory() {
        return core.codec().headerFactory();
    }

    @Override
    public AddressFactory addressFactory() {
        return core.codec().addressFactory();
    }
}
