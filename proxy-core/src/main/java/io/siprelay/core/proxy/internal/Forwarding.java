package io.siprelay.core.proxy.internal;

import io.siprelay.core.proxy.Listener;
import io.siprelay.core.transport.TransportType;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.text.ParseException;
import java.util.ListIterator;
import javax.sip.InvalidArgumentException;
import javax.sip.SipException;
import javax.sip.address.Address;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.RouteHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;

/**
 * The steps of RFC 3261 §16.6 that stateless forwarding and stateful relay share: Max-Forwards, strict-router
 * compatibility, Record-Route, next-hop resolution and the Via push.
 */
final class Forwarding {

    /** Where a request goes: the listener it leaves from and the address it is sent to. */
    record Hop(Listener listener, InetSocketAddress address) {
        TransportType type() {
            return listener.transport().type();
        }
    }

    /** A request that cannot be sent, with the reply it deserves. */
    static final class HopException extends Exception {
        final int status;
        final String reason;

        HopException(int status, String reason) {
            super(status + " " + reason, null, false, false);
            this.status = status;
            this.reason = reason;
        }
    }

    private final ProxyCore core;

    Forwarding(ProxyCore core) {
        this.core = core;
    }

    /** §16.6 step 3: false when Max-Forwards is exhausted; adds one (70, decremented) when absent. */
    boolean decrementMaxForwards(Request req) {
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

    /**
     * §16.6 step 6: when the next hop in Route is a strict router (no {@code lr}), the Request-URI goes to the end of
     * the Route set and the strict router's URI becomes the Request-URI.
     */
    private void strictRouteCompat(Request req, SipURI u) {
        try {
            Address old = core.codec().addressFactory().createAddress(req.getRequestURI());
            req.removeFirst(RouteHeader.NAME);
            req.addLast(core.codec().headerFactory().createRouteHeader(old));
            req.setRequestURI(u);
        } catch (SipException e) {
            throw new IllegalStateException("cannot rewrite for a strict router", e);
        }
    }

    /**
     * The next hop (§16.6 steps 6-7): {@code destination} ($du) if given; else the top Route when it is a loose router;
     * else, when it is a strict router, the request is rewritten for it and goes to the new Request-URI; else the
     * Request-URI. Route values naming this proxy at the top are removed first (§16.4): a UA with this proxy as its
     * outbound proxy preloads one, and following it would send the request back here.
     */
    Hop resolve(Request req, String destination) throws HopException {
        removeOwnTopRoutes(req);
        URI next;
        if (destination != null) {
            try {
                next = core.codec().addressFactory().createURI(destination);
            } catch (ParseException e) {
                throw new HopException(500, "Bad Destination URI");
            }
        } else {
            RouteHeader route = (RouteHeader) req.getHeader(RouteHeader.NAME);
            if (route == null) {
                next = req.getRequestURI();
            } else if (route.getAddress().getURI() instanceof SipURI r && !r.hasLrParam()) {
                strictRouteCompat(req, r);
                next = req.getRequestURI();
            } else {
                next = route.getAddress().getURI();
            }
        }
        if (!(next instanceof SipURI uri)) {
            throw new HopException(416, "Unsupported URI Scheme");
        }
        TransportType type = transportOf(uri);
        Listener out = core.listenerFor(type);
        if (out == null) {
            throw new HopException(503, "No Listener For " + type);
        }
        int port = uri.getPort() > 0 ? uri.getPort() : defaultPort(type);
        try {
            return new Hop(out, new InetSocketAddress(ProxyCore.resolve(uri.getHost()), port));
        } catch (UnknownHostException e) {
            throw new HopException(478, "Unresolvable Destination");
        }
    }

    /** Pushes this proxy's Via with {@code branch} and rport (§16.6 step 8). */
    void pushVia(Request req, Hop hop, String branch) {
        try {
            ViaHeader via = core.codec().headerFactory().createViaHeader(hop.listener().host(), hop.listener().port(),
                    hop.type().viaToken(), branch);
            via.setRPort();
            req.addFirst(via);
        } catch (ParseException | InvalidArgumentException | SipException e) {
            throw new IllegalStateException("cannot build our own Via", e);
        }
    }

    /**
     * §16.6 step 4: Record-Route with {@code lr} for the interface the request leaves from; a second one for the
     * interface it arrived on when they differ (Kamailio's double Record-Route, marked {@code r2=on}).
     */
    void recordRoute(Request req, Listener in, Hop out) {
        try {
            boolean twice = in != null && in != out.listener();
            req.addFirst(rr(out.listener(), twice));
            if (twice) {
                // addFirst twice: the incoming interface must end up second, so insert it after the first one
                ListIterator<?> it = req.getHeaders(RecordRouteHeader.NAME);
                java.util.List<RecordRouteHeader> all = new java.util.ArrayList<>();
                while (it.hasNext()) {
                    all.add((RecordRouteHeader) it.next());
                }
                all.add(1, rr(in, true));
                req.removeHeader(RecordRouteHeader.NAME);
                for (RecordRouteHeader h : all) {
                    req.addLast(h);
                }
            }
        } catch (ParseException | SipException e) {
            throw new IllegalStateException("cannot build our own Record-Route", e);
        }
    }

    private RecordRouteHeader rr(Listener l, boolean r2) throws ParseException {
        SipURI u = core.codec().addressFactory().createSipURI(null, l.host());
        u.setPort(l.port());
        TransportType t = l.transport().type();
        if (t != TransportType.UDP) {
            u.setTransportParam(t.name().toLowerCase(java.util.Locale.ROOT));
        }
        u.setLrParam();
        if (r2) {
            u.setParameter("r2", "on");
        }
        return core.codec().headerFactory().createRecordRouteHeader(core.codec().addressFactory().createAddress(u));
    }

    /** RFC 3261 §19.1.2 and RFC 7118 §5.2 (WebSocket URIs use the HTTP ports). */
    static int defaultPort(TransportType type) {
        return switch (type) {
            case TLS -> 5061;
            case WS -> 80;
            case WSS -> 443;
            default -> 5060;
        };
    }

    static TransportType transportOf(SipURI uri) {
        TransportType t = TransportType.fromToken(uri.getTransportParam());
        if (t != null) {
            return t;
        }
        return uri.isSecure() ? TransportType.TLS : TransportType.UDP;
    }

    /**
     * Loose routing (§16.4): a Request-URI that is ours came from a strict router, so the real one is the last Route;
     * then our own top Route entries are removed. True when the request had a route set.
     */
    boolean looseRoute(Request req) {
        if (req.getHeader(RouteHeader.NAME) == null) {
            return false;
        }
        if (req.getRequestURI() instanceof SipURI ruri && core.isMyself(ruri)) {
            java.util.List<RouteHeader> routes = new java.util.ArrayList<>();
            for (ListIterator<?> it = req.getHeaders(RouteHeader.NAME); it.hasNext(); ) {
                routes.add((RouteHeader) it.next());
            }
            RouteHeader last = routes.remove(routes.size() - 1);
            req.setRequestURI(last.getAddress().getURI());
            req.removeHeader(RouteHeader.NAME);
            for (RouteHeader r : routes) {
                try {
                    req.addLast(r);
                } catch (SipException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        removeOwnTopRoutes(req);
        return true;
    }

    /** §16.4: removes the top Route value when it is ours (both of a double Record-Route of ours). */
    private void removeOwnTopRoutes(Request req) {
        for (int i = 0; i < 2; i++) { // at most two: a double Record-Route of ours
            RouteHeader top = (RouteHeader) req.getHeader(RouteHeader.NAME);
            if (top == null || !(top.getAddress().getURI() instanceof SipURI u) || !core.isMyself(u)) {
                break;
            }
            req.removeFirst(RouteHeader.NAME);
            if (!"on".equalsIgnoreCase(u.getParameter("r2"))) {
                break;
            }
        }
    }
}
