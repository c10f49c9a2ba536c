package io.siprelay.core.proxy;

import io.siprelay.core.route.RequestContext;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.FromHeader;
import javax.sip.header.HeaderAddress;
import javax.sip.header.ToHeader;

/**
 * "Is this me", Kamailio's {@code myself}: the domains the proxy serves ({@code alias=}), the addresses it listens on
 * ({@code listen=}), and the socket a request arrived on.
 *
 * <p>A domain matches on any port, as an {@code alias} without a port does. An address given with a port matches only
 * that port; a URI without a port means 5060 (5061 for {@code sips:}). IPv6 literals compare by address, with or
 * without brackets. Wildcard listeners (0.0.0.0, ::) are ignored: they say nothing about which address is ours.
 *
 * <p>Thread-safe; {@link #listeners} may be called after the proxy started (the proxy is built after its routes),
 * lookups read an immutable snapshot.
 */
public final class Myself {

    private record HostPort(String host, InetAddress ip, int port) { }

    private volatile String[] domains = new String[0];
    private volatile HostPort[] addresses = new HostPort[0];

    private Myself() {
    }

    public static Myself create() {
        return new Myself();
    }

    /** Adds domains served here ({@code alias=example.com}); they match on any port. */
    public synchronized Myself domain(String... names) {
        List<String> d = new ArrayList<>(List.of(domains));
        for (String n : names) {
            d.add(normalize(Objects.requireNonNull(n, "domain")));
        }
        domains = d.toArray(String[]::new);
        return this;
    }

    /** Adds an address (host or IP literal) on any port. */
    public Myself address(String host) {
        return address(host, 0);
    }

    /** Adds an address and port ({@code listen=udp:10.0.0.1:5060}); port 0 means any port. */
    public synchronized Myself address(String host, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        String h = normalize(Objects.requireNonNull(host, "host"));
        List<HostPort> a = new ArrayList<>(List.of(addresses));
        a.add(new HostPort(h, ipLiteral(h), port));
        addresses = a.toArray(HostPort[]::new);
        return this;
    }

    /** Adds the proxy's listeners: their bound address and port, and the advertised host if one is set. */
    public synchronized Myself listeners(Collection<Listener> listeners) {
        for (Listener l : listeners) {
            InetSocketAddress local = l.transport().localAddress();
            if (!local.getAddress().isAnyLocalAddress()) {
                address(local.getAddress().getHostAddress(), local.getPort());
            }
            if (l.advertisedHost() != null) {
                address(l.advertisedHost(), local.getPort());
            }
        }
        return this;
    }

    /** True when {@code host:port} is this proxy; {@code port <= 0} means the default port 5060. */
    public boolean isMyself(String host, int port) {
        return isMyself(host, port, null);
    }

    /** True when a SIP URI's host and port name this proxy (Kamailio's {@code uri == myself}). */
    public boolean isMyself(URI uri) {
        return isMyself(uri, null);
    }

    /** The Request-URI is this proxy or the socket the request arrived on ({@code uri == myself}). */
    public boolean isRequestUriMyself(RequestContext ctx) {
        return isMyself(ctx.request().getRequestURI(), ctx.source().transport().localAddress());
    }

    /** The From URI names a domain or address of this proxy ({@code from_uri == myself}). */
    public boolean isFromMyself(RequestContext ctx) {
        return isMyself(addressUri(ctx, FromHeader.NAME), ctx.source().transport().localAddress());
    }

    /** The To URI names a domain or address of this proxy ({@code to_uri == myself}). */
    public boolean isToMyself(RequestContext ctx) {
        return isMyself(addressUri(ctx, ToHeader.NAME), ctx.source().transport().localAddress());
    }

    /** The request was sent by this proxy's own address ({@code src_ip == myself}); ports are not compared. */
    public boolean isSourceMyself(RequestContext ctx) {
        InetAddress src = ctx.source().remote().getAddress();
        InetAddress local = ctx.source().transport().localAddress().getAddress();
        if (src.equals(local)) {
            return true;
        }
        for (HostPort a : addresses) {
            if (src.equals(a.ip)) {
                return true;
            }
        }
        return false;
    }

    private boolean isMyself(URI uri, InetSocketAddress receivedOn) {
        if (!(uri instanceof SipURI s)) {
            return false;
        }
        int port = s.getPort() > 0 ? s.getPort() : (s.isSecure() ? 5061 : 5060);
        return isMyself(s.getHost(), port, receivedOn);
    }

    private boolean isMyself(String host, int port, InetSocketAddress receivedOn) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        int p = port <= 0 ? 5060 : port;
        String h = host.length() > 1 && host.charAt(0) == '[' && host.charAt(host.length() - 1) == ']'
                ? host.substring(1, host.length() - 1) : host;
        for (String d : domains) {
            if (d.equalsIgnoreCase(h)) {
                return true;
            }
        }
        InetAddress ip = null;
        boolean v6 = h.indexOf(':') >= 0;
        if (v6) {
            ip = ipLiteral(h);
        }
        for (HostPort a : addresses) {
            if ((a.port == 0 || a.port == p) && (v6 ? a.ip != null && a.ip.equals(ip) : a.host.equalsIgnoreCase(h))) {
                return true;
            }
        }
        if (receivedOn != null && receivedOn.getPort() == p && !receivedOn.getAddress().isAnyLocalAddress()) {
            InetAddress local = receivedOn.getAddress();
            return v6 ? local.equals(ip) : local.getHostAddress().equals(h);
        }
        return false;
    }

    private static URI addressUri(RequestContext ctx, String name) {
        return ctx.request().getHeader(name) instanceof HeaderAddress ha && ha.getAddress() != null
                ? ha.getAddress().getURI() : null;
    }

    private static String normalize(String host) {
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.isEmpty()) {
            throw new IllegalArgumentException("empty host");
        }
        return h;
    }

    /** The address for an IP literal (no name lookup), null for a host name. */
    private static InetAddress ipLiteral(String h) {
        boolean literal = h.indexOf(':') >= 0 || h.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
        if (!literal) {
            return null;
        }
        try {
            return InetAddress.getByName(h);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    @Override
    public String toString() {
        return "myself" + List.of(domains) + List.of(addresses);
    }
}
