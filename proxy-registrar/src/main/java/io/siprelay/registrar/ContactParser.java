package io.siprelay.registrar;

import io.siprelay.core.blocks.Nat;
import io.siprelay.core.route.RequestContext;
import io.siprelay.registrar.Registrar.MinExpiresMode;
import io.siprelay.registrar.Registrar.ReceivedMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.ContactHeader;
import javax.sip.header.HeaderFactory;

/** Reads a REGISTER into a {@link SaveRequest}: Contact headers, Expires, Path, Allow, the NAT received address. */
final class ContactParser {

    private final HeaderFactory headers;
    private final int minExpires;
    private final int maxExpires;
    private final int defaultExpires;
    private final MinExpiresMode minExpiresMode;
    private final float defaultQ;
    private final int maxContactLength;
    private final ReceivedMode receivedMode;

    ContactParser(HeaderFactory headers, int minExpires, int maxExpires, int defaultExpires,
                  MinExpiresMode minExpiresMode, float defaultQ, int maxContactLength, ReceivedMode receivedMode) {
        this.headers = headers;
        this.minExpires = minExpires;
        this.maxExpires = maxExpires;
        this.defaultExpires = defaultExpires;
        this.minExpiresMode = minExpiresMode;
        this.defaultQ = defaultQ;
        this.maxContactLength = maxContactLength;
        this.receivedMode = receivedMode;
    }

    SaveRequest parse(RequestContext ctx, String aor, long now) {
        String callId = ctx.callId();
        long cseq = ctx.cseq();
        if (callId == null || callId.length() > 255) {
            throw new Reject(400, "Bad Request", "Bad Call-ID");
        }
        int headerExpires = expiresHeader(ctx.header("Expires"));
        // each Contact parsed alone, not the whole REGISTER (ctx.headers reads the received bytes)
        List<ContactHeader> contacts = new ArrayList<>();
        for (String value : ctx.headers(ContactHeader.NAME)) {
            try {
                contacts.add((ContactHeader) headers.createHeader(ContactHeader.NAME, value));
            } catch (ParseException | ClassCastException e) {
                throw new Reject(400, "Bad Request", "Invalid Contact");
            }
        }
        boolean wildcard = false;
        for (ContactHeader c : contacts) {
            if (c.isWildCard() || (c.getAddress() != null && c.getAddress().isWildcard())) {
                wildcard = true;
            }
        }
        if (wildcard) {
            if (contacts.size() != 1 || headerExpires != 0) {
                throw new Reject(400, "Bad Request", "Invalid Contact: * needs to be alone and with Expires: 0");
            }
            return new SaveRequest(aor, callId, cseq, true, List.of(), null, null, null, null);
        }
        String path = PathHeaders.joinPath(ctx.headers("Path"));
        if (path != null && path.length() > 512) {
            throw new Reject(400, "Bad Request", "Path too long");
        }
        String allow = ctx.hasHeader("Allow") ? String.join(",", ctx.headers("Allow")) : null;
        Integer methods = allow == null ? null : Methods.parse(allow);
        String ua = ctx.userAgent();
        if (ua != null && ua.length() > 255) {
            ua = ua.substring(0, 255);
        }
        InetSocketAddress local = ctx.source().transport().localAddress();
        String socket = ctx.protocol().name().toLowerCase(Locale.ROOT) + ":" + local.getAddress().getHostAddress()
                + ":" + local.getPort();
        List<ContactSpec> specs = new ArrayList<>(contacts.size());
        for (ContactHeader c : contacts) {
            specs.add(contactSpec(ctx, c, headerExpires));
        }
        return new SaveRequest(aor, callId, cseq, false, specs, path, ua, socket, methods);
    }

    /** The Expires header's delta-seconds (RFC 3261 §20.19), -1 when absent; 400 when it is not a number. */
    private static int expiresHeader(String value) {
        if (value == null) {
            return -1;
        }
        if (value.isEmpty() || value.length() > 10) {
            throw new Reject(400, "Bad Request", "Invalid Expires");
        }
        long v = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw new Reject(400, "Bad Request", "Invalid Expires");
            }
            v = v * 10 + (c - '0');
        }
        return (int) Math.min(v, Integer.MAX_VALUE);
    }

    private ContactSpec contactSpec(RequestContext ctx, ContactHeader c, int headerExpires) {
        if (c.getAddress() == null || c.getAddress().getURI() == null) {
            throw new Reject(400, "Bad Request", "Invalid Contact");
        }
        URI uri = c.getAddress().getURI();
        String s = uri.toString();
        if (s.length() > maxContactLength) {
            throw new Reject(400, "Bad Request", "Contact too long");
        }
        if (!(uri instanceof SipURI) && !s.regionMatches(true, 0, "tel:", 0, 4)) {
            throw new Reject(400, "Bad Request", "Invalid Contact URI");
        }
        int expires = c.getExpires();
        if (expires < 0) {
            expires = headerExpires >= 0 ? headerExpires : defaultExpires;
        }
        if (expires > 0 && expires < minExpires) {
            if (minExpiresMode == MinExpiresMode.REJECT) {
                throw new Reject(423, "Interval Too Brief", null, 0, minExpires);
            }
            expires = minExpires;
        }
        if (maxExpires > 0 && expires > maxExpires) {
            expires = maxExpires;
        }
        float q = c.getQValue();
        if (q == -1f) {
            q = defaultQ;
        } else if (q < 0f || q > 1f) {
            throw new Reject(400, "Bad Request", "Invalid q value");
        }
        String instance = c.getParameter("+sip.instance");
        if (instance != null) {
            instance = unquote(instance);
            if (instance.length() > 255) {
                throw new Reject(400, "Bad Request", "Invalid +sip.instance");
            }
        }
        int regId = 0;
        String regIdParam = c.getParameter("reg-id");
        if (regIdParam != null) {
            try {
                regId = Integer.parseInt(regIdParam.trim());
            } catch (NumberFormatException e) {
                throw new Reject(400, "Bad Request", "Invalid reg-id");
            }
        }
        String methodsParam = c.getParameter("methods");
        Integer methods = methodsParam == null ? null : Methods.parse(unquote(methodsParam));
        return new ContactSpec(s, expires, q, instance, regId, methods, received(ctx, uri), isNated(ctx, uri));
    }

    /**
     * The REGISTER's source as a SIP URI when the binding should be reached there ({@code received}), else null: per
     * {@link ReceivedMode}, where "behind NAT" is what {@code Nat.detect()} found earlier in the route
     * ({@code fix_nated_register}) or, without it, a Contact IP address or port that is not the source's.
     */
    private String received(RequestContext ctx, URI contact) {
        if (receivedMode == ReceivedMode.NEVER) {
            return null;
        }
        if (receivedMode == ReceivedMode.WHEN_NATED && !isNated(ctx, contact)) {
            return null;
        }
        String src = ctx.sourceIp();
        String host = src.indexOf(':') >= 0 ? "[" + src + "]" : src;
        String uri = "sip:" + host + ":" + ctx.sourcePort();
        return switch (ctx.protocol()) {
            case UDP -> uri;
            case TCP -> uri + ";transport=tcp";
            case TLS -> uri + ";transport=tls";
            case WS -> uri + ";transport=ws";
            case WSS -> uri + ";transport=wss";
        };
    }

    /** Behind NAT: marked so by {@code Nat.detect()}, or a Contact IP:port that is not the source address. */
    private static boolean isNated(RequestContext ctx, URI contact) {
        if (Nat.isNated(ctx)) {
            return true;
        }
        if (!(contact instanceof SipURI su) || !isIpLiteral(su.getHost())) {
            return false;
        }
        int cport = su.getPort() > 0 ? su.getPort() : (su.isSecure() ? 5061 : 5060);
        return !sameAddress(su.getHost(), ctx.sourceIp()) || cport != ctx.sourcePort();
    }

    private static boolean isIpLiteral(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        if (host.startsWith("[")) {
            return true;
        }
        for (int i = 0; i < host.length(); i++) {
            char ch = host.charAt(i);
            if (!(ch == '.' || (ch >= '0' && ch <= '9'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameAddress(String literal, String ip) {
        String l = literal.startsWith("[") ? literal.substring(1, literal.length() - 1) : literal;
        if (l.equals(ip)) {
            return true;
        }
        try {
            return InetAddress.getByName(l).equals(InetAddress.getByName(ip)); // literals only: no DNS
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static String unquote(String s) {
        String t = s.trim();
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }
}
