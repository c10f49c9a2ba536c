package io.siprelay.core.route;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.TransportType;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ListIterator;
import java.util.Objects;
import java.util.function.Consumer;
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
import javax.sip.message.Response;

/**
 * One request on its way through the routes: typed getters for what Kamailio calls {@code $rm $ru $rU $rd $fu $fU
 * $tu $tU $si $sp $ci $ua $cs}, edits (headers, Request-URI, destination) and the terminal actions that end
 * processing. The proxy core provides the concrete class; routes only see this API.
 */
public abstract class RequestContext {

    /** Parsed on first use when the context was made from a lazily parsed message. */
    private Request request;
    private final SipMessage message;
    private final Flow source;
    private String destination;
    private Step.Done finished;
    private String finishedIn;
    private final List<String> blocks = new ArrayList<>(4);
    // relay settings, armed before relay() (Kamailio: t_on_failure, t_on_reply, t_on_branch, append_branch, AVPs)
    private FailureRoute failureRoute;
    private ReplyRoute replyRoute;
    private BranchRoute branchRoute;
    private List<Target> appended;
    private boolean recordRoute;
    private Map<TxKey<?>, Object> vars;
    private Duration frTimer;
    private Duration frInvTimer;
    // parsed alone from the received bytes while the request is not parsed in full
    private URI lazyRequestUri;
    private URI lazyFromUri;
    private URI lazyToUri;

    protected RequestContext(Request request, Flow source) {
        this.request = Objects.requireNonNull(request, "request");
        this.message = null;
        this.source = Objects.requireNonNull(source, "source");
    }

    /**
     * A context over a received message. Getters that the codec's fast scan answers (method, Call-ID, CSeq, To tag)
     * do not parse it; everything else parses it on first use.
     */
    protected RequestContext(SipMessage message, Flow source) {
        this.message = Objects.requireNonNull(message, "message");
        this.source = Objects.requireNonNull(source, "source");
    }

    // ---------------------------------------------------------------- composition

    /**
     * Runs another block (Kamailio's {@code route(NAME)}) and returns its step; the caller goes on when it is
     * {@link Step#next()} and returns it when it is done.
     */
    public final Step route(Route block) {
        blocks.add(block.name());
        try {
            Step s = block.handle(this);
            if (s == null) {
                throw new IllegalStateException("route '" + block.name() + "' returned null; return Step.next() or"
                        + " the result of a terminal action");
            }
            if (!s.isDone() && finished != null) {
                throw new IllegalStateException("route '" + block.name() + "' returned Step.next() after "
                        + finished.outcome() + " in '" + finishedIn + "': return the action's result instead");
            }
            return s;
        } finally {
            blocks.remove(blocks.size() - 1);
        }
    }

    /** True once a terminal action ran. */
    public final boolean isFinished() {
        return finished != null;
    }

    // ---------------------------------------------------------------- terminal actions

    /**
     * The customizer of a plain {@link #reply(int, String)}: it adds nothing, so the core may cut the reply from the
     * received bytes without parsing the request.
     */
    protected static final Consumer<Response> PLAIN_REPLY = r -> { };

    /** Answers statelessly ({@code sl_send_reply}). A To-tag is added to replies above 100. */
    public final Step.Done reply(int status, String reason) {
        return reply(status, reason, PLAIN_REPLY);
    }

    /** Answers statelessly, letting {@code customizer} add headers (e.g. Retry-After, Unsupported) before sending. */
    public final Step.Done reply(int status, String reason, Consumer<Response> customizer) {
        if (status < 100 || status > 699) {
            throw new IllegalArgumentException("status code must be 100..699, got " + status);
        }
        Objects.requireNonNull(reason, "reason");
        beginFinish();
        doReply(status, reason, customizer);
        return finish(Step.Outcome.REPLIED);
    }

    /**
     * Answers statelessly with extra header lines ({@code append_to_reply} then {@code sl_send_reply}), each one
     * {@code "Name: value"}, e.g. {@code List.of("Retry-After: 30")}. Unlike a customizer this needs no JAIN-SIP
     * objects, so the core may cut the reply from the received bytes without parsing the request.
     *
     * @throws IllegalArgumentException for a line that is not {@code token ":" value} or holds CR, LF or NUL (header
     *                                  injection)
     */
    public final Step.Done reply(int status, String reason, List<String> headerLines) {
        if (status < 100 || status > 699) {
            throw new IllegalArgumentException("status code must be 100..699, got " + status);
        }
        Objects.requireNonNull(reason, "reason");
        String lines = headerLines(headerLines);
        beginFinish();
        doReplyWithHeaders(status, reason, lines);
        return finish(Step.Outcome.REPLIED);
    }

    /** The lines checked and joined, each ended by CRLF. */
    private static String headerLines(List<String> headerLines) {
        StringBuilder b = new StringBuilder(64 * headerLines.size());
        for (String line : headerLines) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("a header line must be \"Name: value\", got: " + line);
            }
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\r' || c == '\n' || c == 0) {
                    throw new IllegalArgumentException("a header line must not hold CR, LF or NUL: " + line);
                }
                if (i < colon && !isTokenChar(c) && !(c == ' ' && line.substring(i, colon).isBlank())) {
                    throw new IllegalArgumentException("not a header name: " + line.substring(0, colon));
                }
            }
            b.append(line).append("\r\n");
        }
        return b.toString();
    }

    private static boolean isTokenChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "-.!%*_+`'~".indexOf(c) >= 0;
    }

    /**
     * Sends a reply with extra header lines ({@code "Name: value\r\n"} each, checked). By default through
     * {@link #doReply} with the lines parsed into JAIN-SIP headers; the core's request context cuts it from the bytes.
     */
    protected void doReplyWithHeaders(int status, String reason, String lines) {
        doReply(status, reason, r -> addHeaderLines(r, lines));
    }

    /** Adds {@code "Name: value\r\n"} lines to a JAIN-SIP message. */
    protected final void addHeaderLines(javax.sip.message.Message m, String lines) {
        int s = 0;
        while (s < lines.length()) {
            int e = lines.indexOf("\r\n", s);
            String line = lines.substring(s, e);
            int colon = line.indexOf(':');
            String name = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            try {
                m.addHeader(headerFactory().createHeader(name, value));
            } catch (ParseException ex) {
                throw new IllegalArgumentException("not a valid " + name + " header: " + value, ex);
            }
            s = e + 2;
        }
    }

    /**
     * Sends the request on statelessly ({@code forward()}), to the destination URI ({@code $du}) if set, else the top
     * Route, else the Request-URI: pushes a Via, decrements Max-Forwards (483 when it is exhausted). When the next hop
     * cannot be reached (unresolvable host, no listener for its transport) the proxy answers an error itself.
     */
    public final Step.Done forward() {
        beginFinish();
        doForward();
        return finish(Step.Outcome.FORWARDED);
    }

    /**
     * Relays the request transaction-statefully ({@code t_relay}): creates the server transaction, answers an INVITE
     * with 100 Trying, and sends one branch per target: the Request-URI (to {@code $du} when set) plus every
     * {@link #appendBranch appended} target. Targets of the highest q are tried in parallel, lower q values in turn
     * when all branches of the higher group failed (serial forking). Responses go upstream per RFC 3261 §16.7. When
     * nothing can be sent the proxy answers an error itself (503, or 478 for an unresolvable host). An ACK is
     * forwarded statelessly, as Kamailio's t_relay does.
     */
    public final Step.Done relay() {
        beginFinish();
        doRelay();
        return finish(Step.Outcome.RELAYED);
    }

    /** Drops the request without an answer ({@code drop}). */
    public final Step.Done drop() {
        beginFinish();
        return finish(Step.Outcome.DROPPED);
    }

    /** Ends processing here ({@code exit}); the request is consumed without a further action. */
    public final Step.Done exit() {
        beginFinish();
        return finish(Step.Outcome.EXITED);
    }

    private void beginFinish() {
        if (finished != null) {
            throw new IllegalStateException("request already finished (" + finished.outcome() + " in '" + finishedIn
                    + "'); a terminal action ends processing, return its result");
        }
    }

    private Step.Done finish(Step.Outcome outcome) {
        finished = new Step.Done(outcome);
        finishedIn = currentBlock();
        return finished;
    }

    /** Name of the innermost block running now. */
    public final String currentBlock() {
        return blocks.isEmpty() ? "request_route" : blocks.get(blocks.size() - 1);
    }

    /** The outcome once finished, else null. */
    public final Step.Outcome outcome() {
        return finished == null ? null : finished.outcome();
    }

    /** Sends the reply: statelessly from the request route, on the transaction from a failure route. */
    protected abstract void doReply(int status, String reason, Consumer<Response> customizer);

    protected abstract void doForward();

    protected abstract void doRelay();

    protected abstract boolean doLooseRoute();

    // ---------------------------------------------------------------- relay settings

    /** Arms the failure route of the next {@link #relay()} ({@code t_on_failure}). */
    public final void onFailure(FailureRoute route) {
        this.failureRoute = route;
    }

    /** Arms the reply route of the next {@link #relay()} ({@code t_on_reply}). */
    public final void onReply(ReplyRoute route) {
        this.replyRoute = route;
    }

    /** Arms the branch route of the next {@link #relay()} ({@code t_on_branch}). */
    public final void onBranch(BranchRoute route) {
        this.branchRoute = route;
    }

    /** Adds a target to the next relay ({@code append_branch}); q 1.0, next hop from the URI. */
    public final void appendBranch(String uri) {
        appendBranch(new Target(uri, null, 1.0f));
    }

    /** Adds a target to the next relay: a Request-URI, an optional destination ({@code $du}) and a q-value. */
    public final void appendBranch(Target target) {
        parseUri(target.uri());
        if (target.destination() != null) {
            parseUri(target.destination());
        }
        if (appended == null) {
            appended = new ArrayList<>(4);
        }
        appended.add(target);
    }

    /** Targets appended so far (not including the Request-URI's own branch). */
    public final List<Target> appendedBranches() {
        return appended == null ? List.of() : List.copyOf(appended);
    }

    /** Removes the appended targets. */
    public final void clearBranches() {
        appended = null;
    }

    /** Adds a Record-Route for this proxy to the relayed request ({@code record_route}). */
    public final void recordRoute() {
        this.recordRoute = true;
    }

    public final boolean isRecordRouted() {
        return recordRoute;
    }

    /**
     * Loose routing per RFC 3261 §16.4 ({@code loose_route}): removes this proxy's own Route entries (and, when a
     * strict router put our URI in the Request-URI, restores the Request-URI from the last Route). Returns true when
     * the request carries a route set to follow: relay it and the next hop comes from the Route headers.
     */
    public final boolean looseRoute() {
        return doLooseRoute();
    }

    /** Sets a per-transaction variable (Kamailio AVP) that failure, reply and branch routes can read. */
    public final <T> void set(TxKey<T> key, T value) {
        if (vars == null) {
            vars = new HashMap<>(8);
        }
        vars.put(key, value);
    }

    /** Reads a per-transaction variable, or null. */
    public final <T> T get(TxKey<T> key) {
        return vars == null ? null : key.cast(vars.get(key));
    }

    /** Overrides the proxy's fr_timer for this transaction ({@code t_set_fr}): no provisional in time → 408. */
    public final void setFrTimer(Duration d) {
        this.frTimer = d;
    }

    /** Overrides the proxy's fr_inv_timer for this transaction: no final after a provisional in time → CANCEL, 408. */
    public final void setFrInvTimer(Duration d) {
        this.frInvTimer = d;
    }

    /** The armed failure route, or null. */
    public final FailureRoute failureRoute() {
        return failureRoute;
    }

    /** The armed reply route, or null. */
    public final ReplyRoute replyRoute() {
        return replyRoute;
    }

    /** The armed branch route, or null. */
    public final BranchRoute branchRoute() {
        return branchRoute;
    }

    /** This transaction's fr_timer, or null for the proxy's. */
    public final Duration frTimer() {
        return frTimer;
    }

    /** This transaction's fr_inv_timer, or null for the proxy's. */
    public final Duration frInvTimer() {
        return frInvTimer;
    }

    /** The live variables map, created on demand, shared with the transaction's later routes. */
    public final Map<TxKey<?>, Object> sharedVars() {
        if (vars == null) {
            vars = new HashMap<>(8);
        }
        return vars;
    }

    /** Seeds a context of a later route (failure route) with the transaction's variables. */
    protected final void adoptVars(Map<TxKey<?>, Object> shared) {
        this.vars = shared;
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
