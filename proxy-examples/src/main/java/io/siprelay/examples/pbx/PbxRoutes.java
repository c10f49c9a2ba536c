package io.siprelay.examples.pbx;

import io.siprelay.auth.AuthResult;
import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.SubscriberStore;
import io.siprelay.core.blocks.Dialogs;
import io.siprelay.core.blocks.FloodDetector;
import io.siprelay.core.blocks.Nat;
import io.siprelay.core.blocks.Reqinit;
import io.siprelay.core.blocks.Scanners;
import io.siprelay.core.proxy.Myself;
import io.siprelay.core.route.FailureContext;
import io.siprelay.core.route.FailureRoute;
import io.siprelay.core.route.ReplyContext;
import io.siprelay.core.route.ReplyRoute;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.TxKey;
import io.siprelay.dispatcher.Algorithm;
import io.siprelay.dispatcher.Dispatcher;
import io.siprelay.media.MediaFlags;
import io.siprelay.media.MediaRelay;
import io.siprelay.permissions.Permissions;
import io.siprelay.registrar.LookupResult;
import io.siprelay.registrar.Registrar;
import io.siprelay.registrar.store.Binding;
import java.text.ParseException;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.sip.address.AddressFactory;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PBX of the Kamailio 101 series (parts 2–10) and of the dispatcher article, as Java routes. Each block is named
 * like the tutorial's {@code route[...]} and reads like it:
 *
 * <pre>
 * request_route {
 *     route(REQINIT);                                  # flood (not for carriers), scanners, Max-Forwards,
 *                                                      # keep-alive, sanity
 *     route(NATDETECT);                                # force_rport, nat_uac_test("19"), contact alias
 *     if (is_method("CANCEL")) { route(RELAY); exit; } # (matching CANCELs never get here: the core answers them)
 *     route(WITHINDLG);                                # loose_route() → route(RELAY): ACK, BYE, re-INVITE
 *     if (is_method("INVITE")) record_route();
 *     if (is_method("REGISTER")) route(REGISTRAR);
 *     if (is_method("INVITE")) route(INVITE);
 *     sl_send_reply("501", "Not Implemented");
 * }
 * route[REGISTRAR] {
 *     if (!auth_check("$fd", "subscriber", "1")) { auth_challenge("$fd", "0"); exit; }
 *     save("location"); exit;
 * }
 * route[INVITE] {
 *     if (allow_source_address("200")) { route(FROMCARRIER); }    # lookup or 404 "User not Registered"
 *     if ($fd != myself) { sl_send_reply("403", "Nope. Don't know who you are"); exit; }
 *     if (!auth_check("$fd", "subscriber", "1")) { auth_challenge("$fd", "0"); exit; }
 *     consume_credentials();
 *     if (lookup("location")) route(RELAY);
 *     if ($rU is one of our subscribers) { sl_send_reply("404", "User not Registered"); exit; }
 *     route(TOCARRIER);
 * }
 * route[RELAY] {                                       # with --rtpengine; without it t_relay() only
 *     if (mode == "always" || isflagset(FLT_NATS) || isbflagset(FLB_NATB))   # --rtpengine-mode always|nat
 *         rtpengine_manage("replace-origin replace-session-connection");     # offer, answer, delete on BYE/CANCEL
 *     t_relay();                                       # FLB_NATB: callee registered behind NAT; in a dialog,
 * }                                                    # a Request-URI with a Contact alias
 * onreply_route[MANAGE_REPLY] {
 *     if (the request passed rtpengine_manage) rtpengine_manage(...);         # 18x/2xx with SDP
 *     NATMANAGE: alias the Contact of a callee behind NAT
 * }
 * route[TOCARRIER] {                                   # one carrier address, or a dispatcher set with failover
 *     if (!ds_select_dst(SET, ALG)) { sl_send_reply("503", "No carrier available"); exit; }
 *     t_on_failure("CARRIER_FAILED");
 *     route(RELAY);
 * }
 * failure_route[CARRIER_FAILED] {
 *     if (t_is_canceled()) exit;
 *     if (t_check_status("5[0-9][0-9]") or local timeout) {
 *         if (local timeout) ds_mark_dst("ip");
 *         if (ds_next_dst()) { xlog("trying next destination"); t_on_failure("CARRIER_FAILED"); t_relay(); }
 *     }
 * }
 * </pre>
 *
 * <p>The counters and timings of {@code /metrics} are not in these blocks: {@link PbxCounters#around} wraps the request
 * route and {@link PbxCounters#replies} the reply route.
 */
public final class PbxRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(PbxRoutes.class);

    /** Set on a request that passed {@code rtpengine_manage}, so its replies pass it too. */
    static final TxKey<Boolean> MEDIA = TxKey.of("pbx.media", Boolean.class);
    /** The flags of rtpengine's SDP for the caller (the replies' answers), chosen by the caller's transport. */
    static final TxKey<MediaFlags> REPLY_FLAGS = TxKey.of("pbx.reply-media-flags", MediaFlags.class);
    /**
     * The offer toward a browser: WebRTC's media (ICE, DTLS-SRTP with rtpengine passive, feedback profile, RTCP on
     * the RTP port, no SDES), as Kamailio's WebRTC configs ask rtpengine for it.
     */
    static final MediaFlags TO_BROWSER = MediaFlags.parse("ICE=force DTLS=passive RTP/SAVPF rtcp-mux-offer SDES-off");
    /**
     * The answer toward a browser that called: the same without {@code DTLS=passive}. The browser offered
     * {@code setup:actpass}, so rtpengine takes the active role at the offer already and sends its ClientHello as
     * soon as ICE works, before the 200 reaches the browser; Chromium then acts as the DTLS server. Asking for passive
     * in the answer flipped rtpengine to {@code setup:passive} after that, and the handshake never finished (ICE
     * connected, DTLS "connecting", no RTP: SoftphoneBrowserTest with real Chromium and rtpengine).
     */
    static final MediaFlags TO_BROWSER_ANSWER = MediaFlags.parse("ICE=force RTP/SAVPF rtcp-mux-offer SDES-off");
    /** Toward a phone, from a browser: plain RTP, no ICE, RTCP on its own port again. */
    static final MediaFlags TO_PHONE = MediaFlags.parse("ICE=remove RTP/AVP rtcp-mux-demux");
    /** Kamailio's FLB_NATB on an initial request: lookup found the callee registered behind NAT. */
    static final TxKey<Boolean> CALLEE_NATED = TxKey.of("pbx.callee-nated", Boolean.class);

    private final Myself myself;
    private final String domain;
    private final Registrar registrar;
    private final DigestAuth auth;
    private final SubscriberStore subscribers;
    private final Permissions permissions;
    private final int carrierGroup;
    private final Carrier carrier;
    private final Supplier<Dispatcher> dispatcher;
    private final int dispatcherSet;
    private final Algorithm algorithm;
    private final BooleanSupplier draining;
    private final PbxCounters counters;
    /** The media relay (rtpengine), or null: signalling only. */
    private final MediaRelay media;
    private final MediaFlags mediaFlags;
    /** The media relay takes only calls with a party behind NAT ({@code --rtpengine-mode nat}). */
    private final boolean mediaNatOnly;
    /** onreply_route[MANAGE_REPLY]: rtpengine_manage (media relay on), NATMANAGE of the callee's answer, counters. */
    private final ReplyRoute manageReply;

    /** route[REQINIT]: Kamailio's default block, with flood detection (pike + ipban). */
    public final Route reqinit;
    /** route[NATDETECT]; a block that only goes on when NAT handling is off. */
    public final Route natDetect;
    /** route[WITHINDLG]: loose_route + route(RELAY), stray ACK dropped, else 404 "Not here". */
    public final Route withinDialog;
    /** route[RELAY]: {@code t_relay()}, after {@code rtpengine_manage(flags)} when the media relay is on. */
    public final Route relay;
    /** auth_check("$fd", "subscriber", "1") or auth_challenge("$fd", "0"). */
    public final Route authCheck;
    /** route[REGISTRAR]: digest auth, then save("location"). */
    public final Route registrarBlock;
    /** route[FROMCARRIER]: INVITEs from address group 200 go to a registered user or get 404. */
    public final Route fromCarrier;
    /** route[TOCARRIER]: the carrier address, or a dispatcher set with failover. */
    public final Route toCarrier;
    /** route[INVITE]. */
    public final Route invite;
    /** failure_route[CARRIER_FAILED]: "trying next destination". */
    public final FailureRoute carrierFailed;
    /** request_route, inside the counters. */
    public final Route request;

    /** A single carrier address: host and port (0 = default) the Request-URI is rewritten to. */
    public record Carrier(String host, int port) {

        private static final Pattern OTHER_SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:[^0-9]");

        /**
         * {@code sip:203.0.113.10:5060}, {@code 203.0.113.10:5060}, {@code carrier.example.net} or
         * {@code sip:[2001:db8::1]:5060}, read by the SIP stack's URI parser; null or blank is no carrier.
         *
         * @throws IllegalArgumentException when it is not a SIP URI
         */
        public static Carrier of(String s, AddressFactory addresses) {
            if (s == null || s.isBlank()) {
                return null;
            }
            String v = s.trim();
            boolean sipScheme = v.regionMatches(true, 0, "sip:", 0, 4) || v.regionMatches(true, 0, "sips:", 0, 5);
            if (v.chars().anyMatch(Character::isWhitespace) || !sipScheme && OTHER_SCHEME.matcher(v).find()) {
                throw notSip(s, null); // tel:, http:, ... (host:port has a digit after the colon)
            }
            try {
                URI uri = addresses.createURI(sipScheme ? v : "sip:" + v);
                if (uri instanceof SipURI sip && sip.getHost() != null && !sip.getHost().isEmpty()
                        && sip.getPort() <= 65535) {
                    return new Carrier(sip.getHost(), Math.max(0, sip.getPort()));
                }
            } catch (ParseException | RuntimeException e) {
                throw notSip(s, e);
            }
            throw notSip(s, null);
        }

        private static IllegalArgumentException notSip(String s, Exception cause) {
            return new IllegalArgumentException("carrier must be a SIP URI such as sip:203.0.113.10:5060, got '" + s
                    + "'", cause);
        }

        @Override
        public String toString() {
            return "sip:" + host + (port > 0 ? ":" + port : "");
        }
    }

    private PbxRoutes(Builder b) {
        this.myself = Objects.requireNonNull(b.myself, "myself");
        this.domain = Objects.requireNonNull(b.domain, "domain");
        this.registrar = Objects.requireNonNull(b.registrar, "registrar");
        this.auth = Objects.requireNonNull(b.auth, "auth");
        this.subscribers = Objects.requireNonNull(b.subscribers, "subscribers");
        this.permissions = Objects.requireNonNull(b.permissions, "permissions");
        this.counters = Objects.requireNonNull(b.counters, "counters");
        this.carrierGroup = b.carrierGroup;
        this.carrier = b.carrier;
        this.dispatcher = b.dispatcher;
        this.dispatcherSet = b.dispatcherSet;
        this.algorithm = b.algorithm;
        this.draining = b.draining;
        if (dispatcherSet > 0 && (dispatcher == null || algorithm == null)) {
            throw new IllegalArgumentException("a dispatcher set needs the dispatcher and an algorithm");
        }

        this.media = b.media;
        this.mediaFlags = b.mediaFlags;
        this.mediaNatOnly = media != null && b.mediaNatOnly;
        boolean nat = !b.natTests.isEmpty();
        if (mediaNatOnly && !nat) {
            throw new IllegalArgumentException("a media relay for calls behind NAT only needs NAT detection");
        }

        this.reqinit = Reqinit.builder(myself).flood(b.flood).scanners(b.scanners)
                .floodExempt(ctx -> permissions.allowSource(ctx, carrierGroup)).build();
        this.natDetect = nat ? Nat.detect(b.natTests) : Route.named("NATDETECT", ctx -> Step.next());
        ReplyRoute natReply = nat ? Nat.manageReplies(myself) : null;
        this.manageReply = counters.replies(media == null ? natReply : r -> manageReply(r, natReply));
        this.relay = Route.named("RELAY", media == null ? RequestContext::relay : this::relayWithMedia);
        this.withinDialog = Dialogs.withinDialog(relay);
        this.authCheck = Route.named("AUTH", this::authCheck);
        this.registrarBlock = Route.named("REGISTRAR", Route.seq(authCheck, registrar.save()));
        this.fromCarrier = Route.named("FROMCARRIER", this::fromCarrier);
        this.toCarrier = Route.named("TOCARRIER", this::toCarrier);
        this.invite = Route.named("INVITE", Route.seq(
                Route.when(ctx -> permissions.allowSource(ctx, carrierGroup), fromCarrier),
                ctx -> isOurDomain(ctx) ? Step.next() : ctx.reply(403, "Nope. Don't know who you are"),
                authCheck,
                this::toSubscriberOrCarrier));
        this.carrierFailed = this::carrierFailed;
        this.request = counters.around(Route.named("request_route", Route.seq(
                this::armReplyRoute,
                reqinit,
                natDetect,
                this::refuseWhileDraining,
                Route.when(ctx -> ctx.isMethod("CANCEL"), relay), // matched no transaction: delete media, 481
                withinDialog,
                Route.when(ctx -> ctx.isMethod("INVITE"), PbxRoutes::recordRoute),
                Route.when(ctx -> ctx.isMethod("REGISTER"), registrarBlock),
                Route.when(ctx -> ctx.isMethod("INVITE"), invite),
                ctx -> ctx.reply(501, "Not Implemented"))), auth);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The single carrier address, or null (none, or a dispatcher set instead). */
    public Carrier carrier() {
        return carrier;
    }

    // ------------------------------------------------------------------------------------------ blocks

    /** t_on_reply("MANAGE_REPLY"); the dispatcher chains its call-load hook in front of this one. */
    private Step armReplyRoute(RequestContext ctx) {
        ctx.onReply(manageReply);
        return Step.next();
    }

    /** route[RELAY] with the media relay: {@code rtpengine_manage(flags)} when the call qualifies, then t_relay(). */
    private Step relayWithMedia(RequestContext ctx) {
        if (mediaNatOnly && !behindNat(ctx) && !isAckWithoutBody(ctx)) {
            return ctx.relay();
        }
        ctx.set(MEDIA, Boolean.TRUE);
        boolean fromBrowser = isWebSocket(ctx.protocol());
        boolean toBrowser = targetIsWebSocket(ctx);
        ctx.set(REPLY_FLAGS, mediaFlags.and(fromBrowser ? TO_BROWSER_ANSWER : toBrowser ? TO_PHONE : MediaFlags.NONE));
        return media.manage(ctx, mediaFlags.and(toBrowser ? TO_BROWSER : fromBrowser ? TO_PHONE : MediaFlags.NONE),
                RequestContext::relay);
    }

    private static boolean isWebSocket(io.siprelay.core.transport.TransportType t) {
        return t == io.siprelay.core.transport.TransportType.WS || t == io.siprelay.core.transport.TransportType.WSS;
    }

    /** The next hop ($du, else the Request-URI) is a browser: {@code transport=ws} or {@code wss}. */
    private static boolean targetIsWebSocket(RequestContext ctx) {
        String target = ctx.destination() != null ? ctx.destination() : ctx.requestUri();
        String t = target.toLowerCase(java.util.Locale.ROOT);
        return t.contains(";transport=ws");
    }

    /**
     * NATMANAGE's {@code isflagset(FLT_NATS) || isbflagset(FLB_NATB)}: NATDETECT found the sender behind NAT, or the
     * target is. For an initial request that is a callee registered behind NAT; within a dialog, a Request-URI that
     * carried a Contact alias (handle_ruri_alias made it the destination), which stands in for the {@code nat=yes}
     * Record-Route parameter Kamailio adds: only NATed parties get an aliased Contact.
     */
    private boolean behindNat(RequestContext ctx) {
        if (Nat.isNated(ctx)) {
            return true;
        }
        return ctx.hasToTag() ? ctx.destination() != null : Boolean.TRUE.equals(ctx.get(CALLEE_NATED));
    }

    /**
     * An ACK without SDP only ends the relay's wait for it, so in nat mode every one passes: a NATed caller whose ACK
     * the NAT tests miss would otherwise lose its media after 32 s.
     */
    private static boolean isAckWithoutBody(RequestContext ctx) {
        if (!ctx.isMethod("ACK")) {
            return false;
        }
        byte[] body = ctx.request().getRawContent();
        return body == null || body.length == 0;
    }

    /** onreply_route[MANAGE_REPLY] with the media relay: rtpengine_manage for a managed request, then NATMANAGE. */
    private void manageReply(ReplyContext r, ReplyRoute nat) {
        if (Boolean.TRUE.equals(r.get(MEDIA))) {
            MediaFlags toCaller = r.get(REPLY_FLAGS);
            media.manage(r, toCaller != null ? toCaller : mediaFlags);
        }
        if (nat != null) {
            nat.handle(r);
        }
    }

    /** lookup("location"); in nat mode it also notes FLB_NATB when a binding of the callee is behind NAT. */
    private LookupResult lookup(RequestContext ctx) {
        String aor = ctx.requestUri();
        LookupResult r = registrar.lookup(ctx);
        if (r == LookupResult.FOUND && mediaNatOnly) {
            for (Binding b : registrar.contacts(aor)) {
                if ((b.cflags() & Registrar.NAT_BFLAG) != 0) {
                    ctx.set(CALLEE_NATED, Boolean.TRUE);
                    break;
                }
            }
        }
        return r;
    }

    private Step refuseWhileDraining(RequestContext ctx) {
        if (draining.getAsBoolean() && !ctx.hasToTag() && !ctx.isMethod("ACK")) {
            counters.overloadRejected.increment();
            return ctx.reply(503, "Shutting Down", List.of("Retry-After: 5"));
        }
        return Step.next();
    }

    private static Step recordRoute(RequestContext ctx) {
        ctx.recordRoute();
        return Step.next();
    }

    private Step authCheck(RequestContext ctx) {
        return auth.check(ctx, ctx.fromDomain()).isOk() ? Step.next() : auth.challenge(ctx, ctx.fromDomain());
    }

    /** The rest of route[INVITE]: consume_credentials, lookup("location"), a local 404 or the carrier. */
    private Step toSubscriberOrCarrier(RequestContext ctx) {
        auth.consumeCredentials(ctx);
        if (lookup(ctx) == LookupResult.FOUND) {
            return ctx.route(relay);
        }
        if (isLocal(ctx.requestUser())) {
            return ctx.reply(404, "User not Registered");
        }
        return ctx.route(toCarrier);
    }

    private Step fromCarrier(RequestContext ctx) {
        counters.fromCarrier.increment();
        if (lookup(ctx) != LookupResult.FOUND) {
            return ctx.reply(404, "User not Registered");
        }
        return ctx.route(relay);
    }

    private Step toCarrier(RequestContext ctx) {
        counters.toCarrier.increment();
        if (dispatcherSet > 0) {
            Dispatcher ds = dispatcher.get();
            if (ds == null || !ds.select(ctx, dispatcherSet, algorithm)) {
                return ctx.reply(503, "No carrier available");
            }
            ctx.onFailure(carrierFailed);
            return ctx.route(relay);
        }
        if (carrier != null) {
            if (carrier.port() > 0) {
                ctx.rewriteHostPort(carrier.host(), carrier.port());
            } else {
                ctx.rewriteHost(carrier.host());
            }
            return ctx.route(relay);
        }
        return ctx.reply(404, "Not Found");
    }

    private Step carrierFailed(FailureContext f) {
        if (f.isCanceled()) {
            return f.exit();
        }
        int status = f.status();
        if (status >= 500 || f.isLocalTimeout()) {
            Dispatcher ds = dispatcher.get();
            if (f.isLocalTimeout()) {
                ds.mark(f, "ip");
            }
            if (ds.next(f)) {
                counters.failovers.increment();
                LOG.info("carrier answered {} for {}: trying next destination {}", status, f.callId(),
                        f.destination());
                f.onFailure(carrierFailed);
                return f.relay();
            }
        }
        return Step.next();
    }

    // ------------------------------------------------------------------------------------------ helpers

    /**
     * {@code $fd == myself}: the From domain is the subscribers' domain (whatever port the From URI names, so
     * {@code sip:1001@127.0.0.1} counts with the PBX on 127.0.0.1:5090), an alias, or an address of this proxy.
     */
    private boolean isOurDomain(RequestContext ctx) {
        String fd = ctx.fromDomain();
        return fd != null && (fd.equalsIgnoreCase(domain) || myself.isFromMyself(ctx));
    }

    /** Is the callee one of our subscribers (a local extension)? */
    private boolean isLocal(String user) {
        return user != null && !user.isEmpty() && subscribers.find(user, domain).isPresent();
    }

    /** What the routes are made of. Required: myself, domain, registrar, auth, subscribers, permissions, counters. */
    public static final class Builder {
        private Myself myself;
        private String domain;
        private FloodDetector flood;
        private Scanners scanners;
        private Set<Nat.Test> natTests = Set.of();
        private Registrar registrar;
        private DigestAuth auth;
        private SubscriberStore subscribers;
        private Permissions permissions;
        private int carrierGroup = 200;
        private Carrier carrier;
        private Supplier<Dispatcher> dispatcher;
        private int dispatcherSet;
        private Algorithm algorithm;
        private BooleanSupplier draining = () -> false;
        private PbxCounters counters;
        private MediaRelay media;
        private MediaFlags mediaFlags = MediaFlags.NONE;
        private boolean mediaNatOnly;

        private Builder() {
        }

        /** Our addresses and domains, and the subscribers' domain (the digest realm). */
        public Builder myself(Myself myself, String domain) {
            this.myself = myself;
            this.domain = domain;
            return this;
        }

        /** Flood detection (pike + ipban); null for none. */
        public Builder flood(FloodDetector flood) {
            this.flood = flood;
            return this;
        }

        /** The scanner filter; null for none. */
        public Builder scanners(Scanners scanners) {
            this.scanners = scanners;
            return this;
        }

        /** nat_uac_test flags; empty: no NAT handling. */
        public Builder natTests(Set<Nat.Test> tests) {
            this.natTests = Set.copyOf(tests);
            return this;
        }

        public Builder registrar(Registrar registrar) {
            this.registrar = registrar;
            return this;
        }

        /** Digest auth and the subscriber table it checks (also asked whether a callee is a local extension). */
        public Builder auth(DigestAuth auth, SubscriberStore subscribers) {
            this.auth = auth;
            this.subscribers = subscribers;
            return this;
        }

        /** The address groups, and the group of trusted carriers ({@code allow_source_address("200")}). */
        public Builder carriers(Permissions permissions, int carrierGroup) {
            this.permissions = permissions;
            this.carrierGroup = carrierGroup;
            return this;
        }

        /** Calls to non-local numbers go to this one address; null for none. A dispatcher set wins over it. */
        public Builder carrier(Carrier carrier) {
            this.carrier = carrier;
            return this;
        }

        /**
         * Calls to non-local numbers go to dispatcher set {@code setId} with failover. The dispatcher is supplied
         * late: it is built after the proxy, because it probes through it.
         */
        public Builder dispatcher(Supplier<Dispatcher> dispatcher, int setId, Algorithm algorithm) {
            this.dispatcher = dispatcher;
            this.dispatcherSet = setId;
            this.algorithm = algorithm;
            return this;
        }

        /** True while the PBX shuts down: new requests outside dialogs get 503 with Retry-After. */
        public Builder draining(BooleanSupplier draining) {
            this.draining = Objects.requireNonNull(draining, "draining");
            return this;
        }

        public Builder counters(PbxCounters counters) {
            this.counters = counters;
            return this;
        }

        /**
         * The media relay: route[RELAY] and the reply route run {@code rtpengine_manage(flags)}, for every call or,
         * with {@code natOnly}, for calls with a party behind NAT (needs {@link #natTests}). Null: signalling only.
         */
        public Builder media(MediaRelay media, MediaFlags flags, boolean natOnly) {
            this.media = media;
            this.mediaFlags = Objects.requireNonNull(flags, "flags");
            this.mediaNatOnly = natOnly;
            return this;
        }

        public PbxRoutes build() {
            return new PbxRoutes(this);
        }
    }
}
