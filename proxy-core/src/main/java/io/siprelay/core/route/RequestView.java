package io.siprelay.core.route;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.TransportType;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import java.util.Objects;
import javax.sip.address.Address;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.Header;
import javax.sip.header.HeaderAddress;
import javax.sip.header.ToHeader;
import javax.sip.header.UserAgentHeader;
import javax.sip.message.Request;

/**
 * What a request says and how a route edits it: typed getters for what Kamailio calls {@code $rm $ru $rU $rd $fu $fU
 * $tu $tU $si $sp $ci $ua $cs}, header access, Request-URI and destination rewrites. While the request has not been
 * parsed in full, the getters the codec's fast scan answers read the received bytes. {@link RequestContext} adds
 * the actions.
 */
public abstract class RequestView {

    /** Parsed on first use when the view was made from a lazily parsed message. */
    private Request request;
    private final SipMessage message;
    private final Flow source;
    private String destination;
    // parsed alone from the received bytes while the request is not parsed in full
    private URI lazyRequestUri;
    private URI lazyFromUri;
    private URI lazyToUri;

    RequestView(Request request, Flow source) {
        this.request = Objects.requireNonNull(request, "request");
        this.message = null;
        this.source = Objects.requireNonNull(source, "source");
    }

    RequestView(SipMessage message, Flow source) {
        this.message = Objects.requireNonNull(message, "message");
        this.source = Objects.requireNonNull(source, "source");
    }

    // ---------------------------------------------------------------- getters ($ variables)

    /** The full JAIN-SIP request, for anything the typed getters do not cover. Edits go on the wire. */
    public final Request request() {
        Request r = request;
        if (r == null) {
            r = message.request();
            request = r;
        }
        return r;
    }

    /** Where the request came from (transport and remote address). */
    public final Flow source() {
        return source;
    }

    /** {@code $rm}: the method. */
    public final String method() {
        return message != null ? message.method() : request.getMethod();
    }

    public final boolean isMethod(String method) {
        return method().equalsIgnoreCase(method);
    }

    /** {@code $ru}: the Request-URI. */
    public final String requestUri() {
        return requestUriObject().toString(); // unparsed: the URI alone, encoded as the full parse would
    }

    /** {@code $rU}: user part of the Request-URI, or null. */
    public final String requestUser() {
        return user(requestUriObject());
    }

    /** {@code $rd}: host part of the Request-URI, or null for a non-SIP URI. */
    public final String requestDomain() {
        return host(requestUriObject());
    }

    /** The Request-URI object: while the request is not parsed, only the URI is (once), not the whole message. */
    private URI requestUriObject() {
        if (unparsed()) {
            if (lazyRequestUri == null) {
                try {
                    lazyRequestUri = addressFactory().createURI(message.requestUri());
                } catch (ParseException e) {
                    return request().getRequestURI(); // the full parse says what is wrong
                }
            }
            return lazyRequestUri;
        }
        return request().getRequestURI();
    }

    /** True while the request has not been parsed: getters then read the received bytes. */
    private boolean unparsed() {
        return request == null && !message.isParsed();
    }

    /** {@code $fu}: the From URI. */
    public final String fromUri() {
        return uriOf(FromHeader.NAME);
    }

    /** {@code $fU}: user part of the From URI. */
    public final String fromUser() {
        return user(addressUri(FromHeader.NAME));
    }

    /** {@code $fd}: host part of the From URI. */
    public final String fromDomain() {
        return host(addressUri(FromHeader.NAME));
    }

    /** {@code $tu}: the To URI. */
    public final String toUri() {
        return uriOf(ToHeader.NAME);
    }

    /** {@code $tU}: user part of the To URI. */
    public final String toUser() {
        return user(addressUri(ToHeader.NAME));
    }

    /** True when To carries a tag: the request is inside a dialog. */
    public final boolean hasToTag() {
        if (request == null) {
            String tag = message.toTag();
            return tag != null && !tag.isEmpty();
        }
        ToHeader to = (ToHeader) request().getHeader(ToHeader.NAME);
        return to != null && to.getTag() != null && !to.getTag().isEmpty();
    }

    /** {@code $si}: source IP address. */
    public final String sourceIp() {
        return source.remote().getAddress().getHostAddress();
    }

    /** {@code $sp}: source port. */
    public final int sourcePort() {
        return source.remote().getPort();
    }

    /**
     * Kamailio's {@code force_rport()}: answers go back to the source port as if the top Via carried {@code rport}
     * (RFC 3581), which a client behind NAT needs when it does not ask for it. Call it before anything replies.
     */
    public final void forceRport() {
        if (message != null) {
            message.forceRport();
            return;
        }
        javax.sip.header.ViaHeader top = (javax.sip.header.ViaHeader) request().getHeader(
                javax.sip.header.ViaHeader.NAME);
        if (top != null && !SipMessage.hasParameter(top, "rport")) {
            try {
                top.setRPort();
            } catch (javax.sip.InvalidArgumentException e) {
                return;
            }
            SipMessage.stampArrival(top, source.remote());
        }
    }

    /** {@code $pr}: the transport the request arrived on. */
    public final TransportType protocol() {
        return source.type();
    }

    /** {@code $ci}: the Call-ID. */
    public final String callId() {
        if (request == null) {
            return message.callId();
        }
        CallIdHeader h = (CallIdHeader) request().getHeader(CallIdHeader.NAME);
        return h == null ? null : h.getCallId();
    }

    /** {@code $ua}: the User-Agent, or null. */
    public final String userAgent() {
        if (unparsed()) {
            List<String> raw = message.rawHeaderValues(UserAgentHeader.NAME);
            if (raw != null) {
                return raw.isEmpty() ? null : raw.get(0);
            }
        }
        UserAgentHeader h = (UserAgentHeader) request().getHeader(UserAgentHeader.NAME);
        if (h == null) {
            return null;
        }
        String s = h.toString();
        int colon = s.indexOf(':');
        return s.substring(colon + 1).trim();
    }

    /** {@code $cs}: the CSeq number. */
    public final long cseq() {
        if (request == null) {
            return message.cseq();
        }
        CSeqHeader h = (CSeqHeader) request().getHeader(CSeqHeader.NAME);
        return h == null ? -1 : h.getSeqNumber();
    }

    /** {@code $du}: the destination URI set by the route, or null. */
    public final String destination() {
        return destination;
    }

    // ---------------------------------------------------------------- headers

    /** Value of the first header with this name (compact forms accepted), or null. */
    public final String header(String name) {
        List<String> raw = rawValues(name);
        if (raw != null) {
            return raw.isEmpty() ? null : raw.get(0);
        }
        Header h = request().getHeader(name);
        return h == null ? null : headerValue(h);
    }

    /** Values of every header with this name, in order. */
    public final List<String> headers(String name) {
        List<String> raw = rawValues(name);
        if (raw != null) {
            return raw.isEmpty() ? new ArrayList<>() : raw; // a fresh, modifiable list either way
        }
        List<String> out = new ArrayList<>();
        ListIterator<?> it = request().getHeaders(name);
        while (it.hasNext()) {
            out.add(headerValue((Header) it.next()));
        }
        return out;
    }

    public final boolean hasHeader(String name) {
        List<String> raw = rawValues(name);
        if (raw != null) {
            return !raw.isEmpty();
        }
        return request().getHeader(name) != null;
    }

    /** Appends a header ({@code append_hf}). */
    public final void addHeader(String name, String value) {
        try {
            request().addHeader(headerFactory().createHeader(name, value));
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a valid " + name + " header value: " + value, e);
        }
    }

    /** Removes every header with this name ({@code remove_hf}). */
    public final void removeHeader(String name) {
        request().removeHeader(name);
    }

    // ---------------------------------------------------------------- rewrites

    /** Sets the Request-URI ({@code $ru = ...}). */
    public final void setRequestUri(String uri) {
        request().setRequestURI(parseUri(uri));
    }

    /** Replaces the host of a SIP Request-URI ({@code rewritehost} / {@code $rd = ...}). */
    public final void rewriteHost(String host) {
        try {
            sipRequestUri().setHost(host);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a valid host: " + host, e);
        }
    }

    /** Replaces the host and port of a SIP Request-URI ({@code rewritehostport}). */
    public final void rewriteHostPort(String host, int port) {
        SipURI u = sipRequestUri();
        try {
            u.setHost(host);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a valid host: " + host, e);
        }
        u.setPort(port);
    }

    /** Replaces the user of a SIP Request-URI ({@code $rU = ...}). */
    public final void rewriteUser(String user) {
        try {
            sipRequestUri().setUser(user);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a valid user: " + user, e);
        }
    }

    /** Sets the next hop without touching the Request-URI ({@code $du}, {@code setdsturi}). Null clears it. */
    public final void setDestination(String uri) {
        if (uri != null) {
            URI parsed = parseUri(uri);
            if (!(parsed instanceof SipURI)) {
                throw new IllegalArgumentException("destination must be a sip: or sips: URI, got " + uri);
            }
        }
        this.destination = uri;
    }

    // ---------------------------------------------------------------- helpers for subclasses and getters

    /** JAIN-SIP header factory, for headers a route or component builds (reply customizers, for example). */
    public abstract javax.sip.header.HeaderFactory headerFactory();

    /** JAIN-SIP address factory. */
    public abstract javax.sip.address.AddressFactory addressFactory();

    private SipURI sipRequestUri() {
        if (request().getRequestURI() instanceof SipURI u) {
            return u;
        }
        throw new IllegalStateException("Request-URI is not a SIP URI: " + request().getRequestURI());
    }

    protected final URI parseUri(String uri) {
        try {
            return addressFactory().createURI(uri);
        } catch (ParseException e) {
            throw new IllegalArgumentException("not a valid URI: " + uri, e);
        }
    }

    /** Header values from the received bytes while unparsed (see {@code SipMessage.rawHeaderValues}), else null. */
    private List<String> rawValues(String name) {
        return unparsed() ? message.rawHeaderValues(name) : null;
    }

    private URI addressUri(String headerName) {
        if (unparsed()) {
            URI u = lazyAddressUri(headerName);
            if (u != null) {
                return u;
            }
        }
        Header h = request().getHeader(headerName);
        if (h instanceof HeaderAddress ha) {
            Address a = ha.getAddress();
            return a == null ? null : a.getURI();
        }
        return null;
    }

    /** From or To parsed alone (once) from the received bytes; null when the full parse must answer. */
    private URI lazyAddressUri(String headerName) {
        boolean from = FromHeader.NAME.equals(headerName);
        URI cached = from ? lazyFromUri : lazyToUri;
        if (cached != null) {
            return cached;
        }
        List<String> raw = message.rawHeaderValues(headerName);
        if (raw == null || raw.size() != 1) {
            return null;
        }
        try {
            Header h = headerFactory().createHeader(headerName, raw.get(0));
            if (!(h instanceof HeaderAddress ha) || ha.getAddress() == null) {
                return null;
            }
            URI u = ha.getAddress().getURI();
            if (from) {
                lazyFromUri = u;
            } else {
                lazyToUri = u;
            }
            return u;
        } catch (ParseException | RuntimeException e) {
            return null; // malformed: the full parse answers with the 400 it deserves
        }
    }

    private String uriOf(String headerName) {
        URI u = addressUri(headerName);
        return u == null ? null : u.toString();
    }

    private static String user(URI uri) {
        return uri instanceof SipURI s ? s.getUser() : null;
    }

    private static String host(URI uri) {
        return uri instanceof SipURI s ? s.getHost() : null;
    }

    private static String headerValue(Header h) {
        String s = h.toString();
        int colon = s.indexOf(':');
        return s.substring(colon + 1).trim();
    }
}
