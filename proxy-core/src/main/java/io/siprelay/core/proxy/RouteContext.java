package io.siprelay.core.proxy;

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
        super(message.request(), source);
        this.core = core;
        this.message = message;
    }

    @Override
    protected void sendStatelessReply(int status, String reason, Consumer<Response> customizer) {
        core.statelessReply(source(), message, status, reason, customizer);
    }

    /** RFC 3261 §16.11 stateless forwarding: §16.6 steps without a transaction, a deterministic branch. */
    @Override
    protected void sendStatelessForward() {
        Request req = request();
        if (!decrementMaxForwards(req)) {
            core.statelessReply(source(), message, 483, "Too Many Hops", r -> { });
            return;
        }
        URI next = nextHop(req);
        if (!(next instanceof SipURI uri)) {
            core.statelessReply(source(), message, 416, "Unsupported URI Scheme", r -> { });
            return;
        }
        TransportType type = transportOf(uri);
        Listener out = core.listenerFor(type);
        if (out == null) {
            core.statelessReply(source(), message, 503, "No Listener For " + type, r -> { });
            return;
        }
        InetSocketAddress dest;
        try {
            int port = uri.getPort() > 0 ? uri.getPort() : (type == TransportType.TLS ? 5061 : 5060);
            dest = new InetSocketAddress(ProxyCore.resolve(uri.getHost()), port);
        } catch (UnknownHostException e) {
            core.statelessReply(source(), message, 478, "Unresolvable Destination", r -> { });
            return;
        }
        try {
            ViaHeader via = core.codec().headerFactory().createViaHeader(out.host(), out.port(), type.viaToken(),
                    statelessBranch());
            via.setRPort();
            req.addFirst(via);
        } catch (ParseException | InvalidArgumentException | javax.sip.SipException e) {
            core.statelessReply(source(), message, 500, "Server Internal Error", r -> { });
            return;
        }
        try {
            out.transport().send(dest, core.codec().encode(req));
            core.stats().forwardedRequests.increment();
        } catch (IOException e) {
            core.stats().sendErrors.increment();
            ProxyCore.LOG.info("forward to {} failed: {}", dest, e.toString());
            req.removeFirst(ViaHeader.NAME);
            core.statelessReply(source(), message, 503, "Service Unavailable", r -> { });
        }
    }

    /** §16.6 step 3: false when Max-Forwards is exhausted; adds 70 when absent (RFC 2543 peers). */
    private boolean decrementMaxForwards(Request req) {
        MaxForwardsHeader mf = (MaxForwardsHeader) req.getHeader(MaxForwardsHeader.NAME);
        try {
            if (mf == null) {
                req.setHeader(core.codec().headerFactory().createMaxForwardsHeader(69));
                return true;
            }
            if (mf.getMaxForwards() <= 0) {
                return false;
            }
            mf.decrementMaxForwards();
            return true;
        } catch (InvalidArgumentException | javax.sip.header.TooManyHopsException e) {
            return false;
        }
    }

    /** $du if set, else the top Route (loose routing, §16.12), else the Request-URI. */
    private URI nextHop(Request req) {
        if (destination() != null) {
            try {
                return core.codec().addressFactory().createURI(destination());
            } catch (ParseException e) {
                return null;
            }
        }
        RouteHeader route = (RouteHeader) req.getHeader(RouteHeader.NAME);
        return route != null ? route.getAddress().getURI() : req.getRequestURI();
    }

    private static TransportType transportOf(SipURI uri) {
        TransportType t = TransportType.fromToken(uri.getTransportParam());
        if (t != null) {
            return t;
        }
        return uri.isSecure() ? TransportType.TLS : TransportType.UDP;
    }

    /**
     * Stateless proxies derive the branch from the incoming request (§16.11) so a retransmission, its CANCEL and its
     * non-2xx ACK all get the same branch as the original.
     */
    private String statelessBranch() {
        String incoming = message.topViaBranch();
        ViaHeader top = message.topVia();
        long h;
        if (incoming != null && incoming.startsWith(MAGIC_COOKIE) && incoming.length() > MAGIC_COOKIE.length()) {
            h = ProxyCore.hash(incoming, top.getHost(), Integer.toString(top.getPort()));
        } else {
            h = ProxyCore.hash(message.callId(), Long.toString(message.cseq()), request().getRequestURI().toString(),
                    String.valueOf(top));
        }
        return MAGIC_COOKIE + "sl" + Long.toHexString(h);
    }

    @Override
    protected HeaderFactory headerFactory() {
        return core.codec().headerFactory();
    }

    @Override
    protected AddressFactory addressFactory() {
        return core.codec().addressFactory();
    }
}
