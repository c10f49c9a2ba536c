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
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.ReplyContext;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.TxKey;
import io.siprelay.dispatcher.Algorithm;
import io.siprelay.dispatcher.Dispatcher;
import io.siprelay.permissions.Permissions;
import io.siprelay.registrar.LookupResult;
import io.siprelay.registrar.Registrar;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.sip.InvalidArgumentException;
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
 *     if (is_method("CANCEL")) { t_relay(); exit; }    # (matching CANCELs never get here: the core answers them)
 *     route(WITHINDLG);
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
 * onreply_route[MANAGE_REPLY] { NATMANAGE: alias the Contact of a callee behind NAT }
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
 */
public final class PbxRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(PbxRoutes.class);
    private static final TxKey<Long> STARTED = TxKey.of("pbx.started", Long.class);

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

    /** route[REQINIT]: Kamailio's default block, with flood detection (pike + ipban). */
    public final Route reqinit;
    /** route[NATDETECT], or null when NAT handling is off. */
    public final Route natDetect;
    /** onreply_route[MANAGE_REPLY] (NATMANAGE for replies), or null when NAT handling is off. */
    private final io.siprelay.core.route.ReplyRoute natReplies;
    /** route[WITHINDLG]: loose_route + relay, stray ACK dropped, else 404 "Not here". */
    public final Route withinDialog;
    /** route[RELAY]: {@code t_relay()}. */
    public final Route relay;
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
    /** request_route. */
    public final Route request;

    /** A single carrier address: host and port (0 = default) the Request-URI is rewritten to. */
    public record Carrier(String host, int port) {

        /** {@code sip:203.0.113.10:5060}, {@code 203.0.113.10:5060} or {@code carrier.example.net}. */
        public static Carrier parse(String s) {
            if (s == null || s.isBlank()) {
                return null;
            }
            String v = s.trim();
            if (v.startsWith("sip:")) {
                v = v.substring(4);
            }
            int semi = v.indexOf(';');
            if (semi >= 0) {
                v = v.substring(0, semi);
            }
            int at = v.indexOf('@');
            if (at >= 0) {
                v = v.substring(at + 1);
            }
            if (v.startsWith("[")) {
                int end = v.indexOf(']');
                String host = v.substring(0, end + 1);
                int port = end + 1 < v.length() && v.charAt(end + 1) == ':' ? Integer.parseInt(v.substring(end + 2)) : 0;
                return new Carrier(host, port);
            }
            int colon = v.lastIndexOf(':');
            if (colon >= 0) {
                return new Carrier(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
            }
            return new Carrier(v, 0);
        }

        @Override
        public String toString() {
            return "sip:" + host + (port > 0 ? ":" + port : "");
        }
    }

    /**
     * @param dispatcher    supplies the dispatcher (built after the proxy, because it probes through it); used only
     *                      when {@code dispatcherSet > 0}
     * @param flood         flood detection, or null for none
     * @param scanners      the scanner filter, or null for none
     * @param natTests      NAT detection tests; empty: no NAT handling
     * @param draining      true while the PBX shuts down: new requests get 503 with Retry-After
     */
    public PbxRoutes(Myself myself, String domain, FloodDetector flood, Scanners scanners,
                     java.util.Set<Nat.Test> natTests, Registrar registrar, DigestAuth auth,
                     SubscriberStore subscribers, Permissions permissions, int carrierGroup, Carrier carrier,
                     Supplier<Dispatcher> dispatcher, int dispatcherSet, Algorithm algorithm,
                     BooleanSupplier draining, PbxCounters counters) {
        this.myself = myself;
        this.domain = domain;
        this.registrar = registrar;
        this.auth = auth;
        this.subscribers = subscribers;
        this.permissions = permissions;
        this.carrierGroup = carrierGroup;
        this.carrier = carrier;
        this.dispatcher = dispatcher;
        this.dispatcherSet = dispatcherSet;
        this.algorithm = algorithm;
        this.draining = draining;
        this.counters = counters;

        this.reqinit = Reqinit.builder(myself).flood(flood).scanners(scanners)
                .floodExempt(ctx -> permissions.allowSource(ctx, carrierGroup)).build();
        this.natDetect = natTests.isEmpty() ? null : Nat.detect(natTests);
        this.natReplies = natTests.isEmpty() ? null : Nat.manageReplies(myself);
        this.withinDialog = Dialogs.withinDialog();
        this.relay = Route.named("RELAY", RequestContext::relay);
        this.registrarBlock = Route.named("REGISTRAR", this::registrar);
        this.fromCarrier = Route.named("FROMCARRIER", this::fromCarrier);
        this.toCarrier = Route.named("TOCARRIER", this::toCarrier);
        this.invite = Route.named("INVITE", this::invite);
        this.carrierFailed = this::carrierFailed;
        this.request = Route.named("request_route", this::requestRoute);
    }

    // ------------------------------------------------------------------------------------------ request_route

    private Step requestRoute(RequestContext ctx) {
        counters.request(ctx.method());
        ctx.set(STARTED, System.nanoTime());
        ctx.onReply(this::manageReply); // the dispatcher chains its call-load hook in front of this one
        Step s = ctx.route(reqinit);
        if (s.isDone()) {
            return s;
        }
        if (natDetect != null) {
            ctx.route(natDetect); // always goes on
        }
        if (draining.getAsBoolean() && !ctx.hasToTag() && !ctx.isMethod("ACK")) {
            counters.overloadRejected.increment();
            return ctx.reply(503, "Shutting Down", r -> retryAfter(ctx, r));
        }
        if (ctx.isMethod("CANCEL")) {
            return ctx.relay(); // a CANCEL that matched no transaction: relay() answers 481
        }
        s = ctx.route(withinDialog);
        if (s.isDone()) {
            return s;
        }
        if (ctx.isMethod("INVITE")) {
            ctx.recordRoute();
        }
        if (ctx.isMethod("REGISTER")) {
            return ctx.route(registrarBlock);
        }
        if (ctx.isMethod("INVITE")) {
            s = ctx.route(invite);
            if (s.isDone()) {
                return s;
            }
        }
        return ctx.reply(501, "Not Implemented");
    }

    // ------------------------------------------------------------------------------------------ blocks

    private Step registrar(RequestContext ctx) {
        Step s = authenticate(ctx);
        if (s.isDone()) {
            return s;
        }
        Step saved = ctx.route(registrar.save());
        counters.registerSaved(ctx);
        return saved;
    }

    private Step invite(RequestContext ctx) {
        if (permissions.allowSource(ctx, carrierGroup)) {
            return ctx.route(fromCarrier);
        }
        if (!isOurDomain(ctx)) {
            return ctx.reply(403, "Nope. Don't know who you are");
        }
        Step s = authenticate(ctx);
        if (s.isDone()) {
            return s;
        }
        auth.consumeCredentials(ctx);
        LookupResult found = registrar.lookup(ctx);
        if (found == LookupResult.FOUND) {
            return ctx.route(relay);
        }
        if (isLocal(ctx.requestUser())) {
            return ctx.reply(404, "User not Registered");
        }
        return ctx.route(toCarrier);
    }

    private Step fromCarrier(RequestContext ctx) {
        counters.fromCarrier.increment();
        if (registrar.lookup(ctx) != LookupResult.FOUND) {
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

    /** onreply_route[MANAGE_REPLY]: NAT handling of the callee's answer, then the counters. */
    private void manageReply(ReplyContext r) {
        if (natReplies != null) {
            natReplies.handle(r);
        }
        countReply(r);
    }

    /** Counts what comes back from downstream, and times final answers. */
    private void countReply(ReplyContext r) {
        Long started = r.get(STARTED);
        javax.sip.header.CSeqHeader cseq = (javax.sip.header.CSeqHeader) r.response()
                .getHeader(javax.sip.header.CSeqHeader.NAME);
        counters.reply(r.status(), cseq != null ? cseq.getMethod() : "OTHER",
                started != null ? System.nanoTime() - started : -1);
    }

    /** auth_check("$fd", "subscriber", "1") or auth_challenge("$fd", "0"). */
    private Step authenticate(RequestContext ctx) {
        AuthResult r = auth.check(ctx, ctx.fromDomain());
        if (r.isOk()) {
            return Step.next();
        }
        counters.authFailure(r);
        return auth.challenge(ctx, ctx.fromDomain());
    }

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

    private static void retryAfter(RequestContext ctx, javax.sip.message.Response r) {
        try {
            r.setHeader(ctx.headerFactory().createRetryAfterHeader(5));
        } catch (InvalidArgumentException e) {
            throw new IllegalStateException(e);
        }
    }
}
