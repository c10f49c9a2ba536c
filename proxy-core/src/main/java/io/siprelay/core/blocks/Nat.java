package io.siprelay.core.blocks;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.proxy.Myself;
import io.siprelay.core.route.ReplyContext;
import io.siprelay.core.route.ReplyRoute;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.TxKey;
import io.siprelay.core.transport.TransportType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.ListIterator;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import javax.sip.address.Address;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.ContactHeader;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * NAT traversal for signalling, as Kamailio's nathelper and its default configuration's NATDETECT / NATMANAGE blocks
 * do it:
 *
 * <pre>
 * route[NATDETECT] {                          Route natDetect = Nat.detect();
 *     force_rport();                          // force_rport, nat_uac_test("19"), then for REGISTER the registrar
 *     if (nat_uac_test("19")) {               // stores the source as "received" (fix_nated_register), for
 *         if (is_method("REGISTER"))          // other requests from the first hop the Contact gets
 *             fix_nated_register();           // ;alias=ip~port~proto (set_contact_alias)
 *         else if (is_first_hop())
 *             set_contact_alias();
 *         setflag(FLT_NATS);                  Nat.isNated(ctx)
 *     }
 * }
 * route[DLGURI] { if (!isdsturiset()) handle_ruri_alias(); }     part of Dialogs.withinDialog()
 * onreply_route[MANAGE_REPLY] { ... set_contact_alias(); }        ctx.onReply(Nat.manageReplies(myself))
 * </pre>
 *
 * A phone behind NAT sends from its public address (the NAT's) while its Contact and Via name its private one. With
 * these blocks, answers go back to the port it sent from (rport), calls to it go to where its REGISTER came from (the
 * registrar's {@code received}), and requests inside its dialogs reach it through the address its INVITE or its
 * 200 OK came from (the Contact alias, which only this proxy reads and removes before sending on). Keep-alive pings
 * that hold the NAT binding open are the registrar's {@code NatKeepalive}.
 */
public final class Nat {

    /** Kamailio's {@code nat_uac_test} flags, each one test. */
    public enum Test {
        /** 1: the Contact URI host is a private address (RFC 1918, RFC 6598 or IPv6 ULA). */
        PRIVATE_CONTACT(1),
        /** 2: the top Via sent-by host is not the source IP. */
        VIA_RECEIVED(2),
        /** 4: the top Via sent-by host is a private address. */
        PRIVATE_VIA(4),
        /** 8: the SDP connection address ({@code c=}) is a private address. */
        PRIVATE_SDP(8),
        /** 16: the source port is not the top Via's port (5060 when it has none). */
        VIA_PORT(16),
        /** 32: the source IP itself is a private address. */
        PRIVATE_SOURCE(32),
        /** 64: the request came over WebSocket (ws or wss): a browser, reachable only over its connection. */
        WEBSOCKET(64),
        /** 128: the Contact URI port is not the source port. */
        CONTACT_PORT(128);

        private final int flag;

        Test(int flag) {
            this.flag = flag;
        }

        /** The Kamailio flag value. */
        public int flag() {
            return flag;
        }

        /** The tests of a Kamailio flag sum, e.g. {@code 19} → PRIVATE_CONTACT, VIA_RECEIVED, VIA_PORT. */
        public static Set<Test> of(int flags) {
            Set<Test> out = EnumSet.noneOf(Test.class);
            int rest = flags;
            for (Test t : values()) {
                if ((flags & t.flag) != 0) {
                    out.add(t);
                    rest &= ~t.flag;
                }
            }
            if (rest != 0) {
                throw new IllegalArgumentException("unsupported nat_uac_test flags " + rest + " in " + flags
                        + " (supported: 1, 2, 4, 8, 16, 32, 64, 128)");
            }
            return out;
        }
    }

    /** {@code nat_uac_test("19")}: what Kamailio's default configuration tests. */
    public static final Set<Test> DEFAULT_TESTS = Test.of(19);

    /** Kamailio's {@code FLT_NATS}: set on a request that {@link #detect()} found behind NAT. */
    public static final TxKey<Boolean> NATED = TxKey.of("siprelay.nat.nated", Boolean.class);

    /** The URI parameter that carries the public address of a Contact (Kamailio's {@code alias}). */
    public static final String ALIAS = "alias";

    private Nat() {
    }

    // ------------------------------------------------------------------------------------------ blocks

    /** route[NATDETECT] with {@link #DEFAULT_TESTS}. */
    public static Route detect() {
        return detect(DEFAULT_TESTS);
    }

    /**
     * route[NATDETECT]: {@code force_rport()}; when {@code tests} find NAT the request is marked ({@link #isNated}),
     * a REGISTER is left for the registrar (which then stores the source as {@code received}), and any other request
     * from the first hop gets its Contact aliased to the source ({@link #setContactAlias}). Always goes on.
     */
    public static Route detect(Set<Test> tests) {
        Set<Test> t = tests.isEmpty() ? EnumSet.noneOf(Test.class) : EnumSet.copyOf(tests);
        return Route.named("NATDETECT", ctx -> {
            ctx.forceRport();
            if (test(ctx, t)) {
                ctx.set(NATED, Boolean.TRUE);
                if (!ctx.isMethod(Request.REGISTER) && isFirstHop(ctx)) {
                    setContactAlias(ctx);
                }
            }
            return Step.next();
        });
    }

    /** {@code isflagset(FLT_NATS)}: whether {@link #detect()} found this request behind NAT. */
    public static boolean isNated(RequestContext ctx) {
        return Boolean.TRUE.equals(ctx.get(NATED));
    }

    /**
     * onreply_route[MANAGE_REPLY]: a 1xx/2xx answer from the first hop downstream (our Record-Route on top, so no
     * proxy after us stays in the dialog) whose Contact is not where the answer came from gets its Contact aliased to
     * that source, so the caller's ACK, BYE and re-INVITE reach a callee behind NAT. Compose it with other reply
     * routes: {@code ctx.onReply(r -> { nat.handle(r); mine(r); })}.
     */
    public static ReplyRoute manageReplies(Myself myself) {
        Objects.requireNonNull(myself, "myself");
        return r -> {
            int status = r.status();
            if (status > 100 && status < 300 && r.source() != null && isFirstHop(r.response(), myself)) {
                setContactAlias(r.response(), r.source(), transportOf(r.response()));
            }
        };
    }

    // ------------------------------------------------------------------------------------------ nat_uac_test

    /** {@code nat_uac_test(flags)} with Kamailio's flag numbers. */
    public static boolean test(RequestContext ctx, int flags) {
        return test(ctx, Test.of(flags));
    }

    /** {@code nat_uac_test}: true when any of {@code tests} says the request came through a NAT. */
    public static boolean test(RequestContext ctx, Set<Test> tests) {
        for (Test t : tests) {
            if (passes(ctx, t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean passes(RequestContext ctx, Test t) {
        Request req = ctx.request();
        switch (t) {
            case PRIVATE_CONTACT: {
                SipURI c = contactUri(req);
                return c != null && isPrivate(c.getHost());
            }
            case VIA_RECEIVED: {
                ViaHeader v = topVia(req);
                return v != null && !sameAddress(v.getHost(), ctx.sourceIp());
            }
            case PRIVATE_VIA: {
                ViaHeader v = topVia(req);
                return v != null && isPrivate(v.getHost());
            }
            case PRIVATE_SDP:
                return sdpHasPrivateAddress(req.getRawContent());
            case VIA_PORT: {
                ViaHeader v = topVia(req);
                return v != null && (v.getPort() > 0 ? v.getPort() : 5060) != ctx.sourcePort();
            }
            case PRIVATE_SOURCE:
                return isPrivate(ctx.sourceIp());
            case WEBSOCKET:
                return ctx.protocol() == io.siprelay.core.transport.TransportType.WS
                        || ctx.protocol() == io.siprelay.core.transport.TransportType.WSS;
            case CONTACT_PORT: {
                SipURI c = contactUri(req);
                return c != null && portOf(c) != ctx.sourcePort();
            }
            default:
                return false;
        }
    }

    /**
     * Kamailio's {@code is_first_hop()} for a request: it has one Via, so it comes straight from the UA that sent it.
     */
    public static boolean isFirstHop(RequestContext ctx) {
        int n = 0;
        for (ListIterator<?> it = ctx.request().getHeaders(ViaHeader.NAME); it.hasNext(); it.next()) {
            n++;
        }
        return n == 1;
    }

    // ------------------------------------------------------------------------------------------ contact alias

    /**
     * Kamailio's {@code set_contact_alias()}: adds {@code ;alias=IP~PORT~PROTO} (the source address; proto 1 UDP,
     * 2 TCP, 3 TLS) to the Contact URI, unless the Contact already names the source or carries an alias. Requests
     * that later use this Contact as their Request-URI are sent to the alias by {@link #handleRuriAlias}.
     *
     * @return true when the Contact was changed
     */
    public static boolean setContactAlias(RequestContext ctx) {
        return setContactAlias(ctx.request(), new InetSocketAddress(ctx.sourceIp(), ctx.sourcePort()),
                ctx.protocol());
    }

    private static boolean setContactAlias(Message m, InetSocketAddress source, TransportType proto) {
        ContactHeader ch = (ContactHeader) m.getHeader(ContactHeader.NAME);
        if (ch == null || ch.getAddress() == null || !(ch.getAddress().getURI() instanceof SipURI u)) {
            return false; // "*" or a non-SIP contact
        }
        if (u.getParameter(ALIAS) != null) {
            return false;
        }
        String src = source.getAddress().getHostAddress();
        if (sameAddress(u.getHost(), src) && portOf(u) == source.getPort()) {
            return false;
        }
        String host = src.indexOf(':') >= 0 ? "[" + src + "]" : src;
        try {
            u.setParameter(ALIAS, host + "~" + source.getPort() + "~" + protoNumber(proto));
        } catch (ParseException e) {
            return false;
        }
        return true;
    }

    /**
     * Kamailio's {@code handle_ruri_alias()}: when the Request-URI carries an alias, the request goes to that address
     * ({@code $du}) and the alias is removed from the Request-URI. Does nothing when the route already set a
     * destination or a Route header still names the next hop.
     *
     * @return true when the destination was set from an alias
     */
    public static boolean handleRuriAlias(RequestContext ctx) {
        if (ctx.destination() != null) {
            return false;
        }
        String ruri = ctx.requestUri();
        if (ruri == null || !ruri.toLowerCase(Locale.ROOT).contains(ALIAS + "=")) {
            return false; // cheap test before touching the parsed URI
        }
        Request req = ctx.request();
        if (req.getHeader(javax.sip.header.RouteHeader.NAME) != null || !(req.getRequestURI() instanceof SipURI)) {
            return false;
        }
        SipURI u = (SipURI) req.getRequestURI().clone();
        String alias = u.getParameter(ALIAS);
        String dest = aliasDestination(alias);
        if (dest == null) {
            return false;
        }
        u.removeParameter(ALIAS);
        req.setRequestURI(u);
        ctx.setDestination(dest);
        return true;
    }

    /** {@code 198.51.100.7~5072~1} → {@code sip:198.51.100.7:5072}; null when it is not a well-formed alias. */
    static String aliasDestination(String alias) {
        if (alias == null) {
            return null;
        }
        String[] p = alias.split("~", -1);
        if (p.length != 3 || p[0].isEmpty()) {
            return null;
        }
        int port;
        try {
            port = Integer.parseInt(p[1]);
        } catch (NumberFormatException e) {
            return null;
        }
        if (port < 1 || port > 65535 || !isIpLiteral(p[0])) {
            return null;
        }
        String transport = switch (p[2]) {
            case "1" -> "";
            case "2" -> ";transport=tcp";
            case "3" -> ";transport=tls";
            case "5" -> ";transport=ws";
            case "6" -> ";transport=wss";
            default -> null;
        };
        return transport == null ? null : "sip:" + p[0] + ":" + port + transport;
    }

    /**
     * Kamailio's {@code fix_nated_contact()}: rewrites the Contact URI's host and port to the source address. It makes
     * the Contact wrong for anyone who compares it with what the UA sent (RFC 3261 does not allow it); prefer the
     * alias, which this proxy removes again. Kept for UAs and servers that need a reachable Contact in the message.
     *
     * @return true when the Contact was changed
     */
    public static boolean fixNatedContact(RequestContext ctx) {
        ContactHeader ch = (ContactHeader) ctx.request().getHeader(ContactHeader.NAME);
        if (ch == null || ch.getAddress() == null || !(ch.getAddress().getURI() instanceof SipURI u)) {
            return false;
        }
        if (sameAddress(u.getHost(), ctx.sourceIp()) && portOf(u) == ctx.sourcePort()) {
            return false;
        }
        try {
            u.setHost(ctx.sourceIp());
            u.setPort(ctx.sourcePort());
        } catch (ParseException e) {
            return false;
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** True for RFC 1918, RFC 6598 (carrier-grade NAT) and IPv6 unique-local addresses; false for names. */
    public static boolean isPrivate(String host) {
        String h = SipMessage.stripBrackets(host);
        if (h == null || !isIpLiteral(h)) {
            return false;
        }
        byte[] a;
        try {
            a = InetAddress.getByName(h).getAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
        if (a.length == 4) {
            int b0 = a[0] & 0xff;
            int b1 = a[1] & 0xff;
            return b0 == 10 || (b0 == 172 && b1 >= 16 && b1 <= 31) || (b0 == 192 && b1 == 168)
                    || (b0 == 100 && b1 >= 64 && b1 <= 127);
        }
        return (a[0] & 0xfe) == 0xfc;
    }

    private static boolean isFirstHop(Response r, Myself myself) {
        RecordRouteHeader rr = (RecordRouteHeader) r.getHeader(RecordRouteHeader.NAME);
        return rr != null && rr.getAddress() != null && myself.isMyself(rr.getAddress().getURI());
    }

    private static TransportType transportOf(Response r) {
        ViaHeader top = (ViaHeader) r.getHeader(ViaHeader.NAME);
        TransportType t = top == null ? null : TransportType.fromToken(top.getTransport());
        return t == null ? TransportType.UDP : t;
    }

    private static int protoNumber(TransportType t) {
        return switch (t) {
            case UDP -> 1;
            case TCP -> 2;
            case TLS -> 3;
            case WS -> 5; // Kamailio's PROTO_WS and PROTO_WSS
            case WSS -> 6;
        };
    }

    private static ViaHeader topVia(Request req) {
        return (ViaHeader) req.getHeader(ViaHeader.NAME);
    }

    private static SipURI contactUri(Request req) {
        ContactHeader ch = (ContactHeader) req.getHeader(ContactHeader.NAME);
        if (ch == null) {
            return null;
        }
        Address a = ch.getAddress();
        URI u = a == null ? null : a.getURI();
        return u instanceof SipURI s ? s : null;
    }

    private static int portOf(SipURI u) {
        if (u.getPort() > 0) {
            return u.getPort();
        }
        String t = u.getTransportParam();
        return u.isSecure() || "tls".equalsIgnoreCase(t) ? 5061 : 5060;
    }

    private static boolean sameAddress(String host, String ip) {
        String h = SipMessage.stripBrackets(host);
        if (h == null) {
            return false;
        }
        if (h.equalsIgnoreCase(ip)) {
            return true;
        }
        if (h.indexOf(':') >= 0 && ip.indexOf(':') >= 0) {
            try {
                return InetAddress.getByName(h).equals(InetAddress.getByName(ip));
            } catch (UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    static boolean isIpLiteral(String host) {
        String h = SipMessage.stripBrackets(host);
        if (h == null || h.isEmpty()) {
            return false;
        }
        if (h.indexOf(':') >= 0) {
            for (int i = 0; i < h.length(); i++) {
                char c = h.charAt(i);
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            return true;
        }
        int dots = 0;
        int digits = 0;
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (c == '.') {
                if (digits == 0) {
                    return false;
                }
                dots++;
                digits = 0;
            } else if (c >= '0' && c <= '9' && digits < 3) {
                digits++;
            } else {
                return false;
            }
        }
        return dots == 3 && digits > 0;
    }

    /** A {@code c=IN IP4/IP6 <address>} line of the SDP that names a private address. */
    private static boolean sdpHasPrivateAddress(byte[] body) {
        if (body == null || body.length == 0) {
            return false;
        }
        String sdp = new String(body, StandardCharsets.ISO_8859_1);
        for (Iterator<String> it = sdp.lines().iterator(); it.hasNext(); ) {
            String line = it.next().trim();
            if (line.startsWith("c=")) {
                String[] p = line.substring(2).trim().split("\\s+");
                if (p.length >= 3) {
                    String addr = p[2];
                    int slash = addr.indexOf('/');
                    if (isPrivate(slash >= 0 ? addr.substring(0, slash) : addr)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
