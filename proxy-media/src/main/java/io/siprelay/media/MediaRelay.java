package io.siprelay.media;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.route.ReplyContext;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.TxKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.ToHeader;
import javax.sip.message.Message;
import javax.sip.message.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kamailio's {@code rtpengine_offer/answer/delete/manage/query} for routes: the SDP of a request or response is sent
 * to the call's rtpengine instance and replaced with the one it answers, so media flows through the relay. The route
 * never blocks on the network: {@link #offer} suspends the request ({@link RequestContext#suspend}) and runs
 * {@code then} once rtpengine answered; {@link #answer(ReplyContext, MediaFlags)} holds the response meanwhile.
 *
 * <p>When rtpengine does not answer (or answers an error) the message goes on with its SDP unchanged, as in Kamailio,
 * the failure is counted and {@link #FAILURE} is set for {@code then} to look at.
 *
 * <p>Sessions are deleted however a call ends: {@link #manage} deletes on BYE and CANCEL; an initial INVITE that was
 * offered deletes its session when its final response upstream is not a 2xx (rejected, cancelled, timed out,
 * unroutable: {@link RequestContext#onFinalResponse}); an answered call whose ACK has not passed {@code manage} within
 * {@link Builder#ackTimeout} (32 s) is deleted too. A call that just stops (no BYE) is ended by rtpengine's own
 * media timeout.
 */
public final class MediaRelay {

    private static final Logger LOG = LoggerFactory.getLogger(MediaRelay.class);

    /** Why the last media command of this transaction failed, for {@code then} and later routes; null when it worked. */
    public static final TxKey<Throwable> FAILURE = TxKey.of("rtpengine failure", Throwable.class);
    /** Set when the request was offered to rtpengine, so its 18x/2xx SDP is an answer. */
    static final TxKey<Boolean> OFFERED = TxKey.of("rtpengine offered", Boolean.class);

    private final NgClient engine;
    private final SipClock clock;
    private final long ackTimeoutMillis;
    private final int maxWatchedCalls;
    /** Answered calls waiting for their ACK, by Call-ID. */
    private final Map<String, SipClock.Timer> awaitingAck = new ConcurrentHashMap<>();
    private final LongAdder offers = new LongAdder();
    private final LongAdder answers = new LongAdder();
    private final LongAdder deletes = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder ackTimeouts = new LongAdder();

    private MediaRelay(Builder b) {
        this.engine = b.engine;
        this.clock = b.clock;
        this.ackTimeoutMillis = b.ackTimeout.toMillis();
        this.maxWatchedCalls = b.maxWatchedCalls;
    }

    /** A relay on {@code engine} with the defaults (ACK timeout 32 s). */
    public static MediaRelay on(NgClient engine) {
        return builder(engine).build();
    }

    public static Builder builder(NgClient engine) {
        return new Builder(engine);
    }

    public NgClient engine() {
        return engine;
    }

    // ---------------------------------------------------------------- request side

    /**
     * {@code rtpengine_offer}: sends the request's SDP as an offer, replaces it with rtpengine's, then runs
     * {@code then} (which relays, typically). A request without SDP goes to {@code then} at once. For an initial
     * INVITE the session is deleted again when the call fails.
     */
    public Step offer(RequestContext ctx, MediaFlags flags, Route then) {
        Objects.requireNonNull(then, "then");
        String sdp = Sdp.of(ctx.request());
        if (sdp == null) {
            return ctx.route(then);
        }
        String callId = ctx.callId();
        Map<String, Object> cmd = command("offer", ctx.request(), false, flags, ctx.source().remote());
        cmd.put("sdp", sdp);
        offers.increment();
        ctx.set(OFFERED, Boolean.TRUE);
        if (ctx.isMethod("INVITE") && !ctx.hasToTag()) {
            ctx.onFinalResponse(status -> afterInitialInvite(callId, status));
        }
        return ctx.suspend(engine.send(callId, cmd), (c, reply, failure) -> {
            useSdp(c, c.request(), reply, failure, "offer");
            return c.route(then);
        });
    }

    /**
     * {@code rtpengine_answer} on a request: the SDP answer of a late offer, carried by the ACK (or a PRACK). The
     * offer came in the 2xx, from the callee, so the tags are the other way round.
     */
    public Step answer(RequestContext ctx, MediaFlags flags, Route then) {
        Objects.requireNonNull(then, "then");
        String sdp = Sdp.of(ctx.request());
        if (sdp == null) {
            return ctx.route(then);
        }
        Map<String, Object> cmd = command("answer", ctx.request(), true, flags, ctx.source().remote());
        cmd.put("sdp", sdp);
        answers.increment();
        return ctx.suspend(engine.send(ctx.callId(), cmd), (c, reply, failure) -> {
            useSdp(c, c.request(), reply, failure, "answer");
            return c.route(then);
        });
    }

    /**
     * {@code rtpengine_manage} on a request: offer on an INVITE or UPDATE with SDP, answer on an ACK or PRACK with SDP,
     * delete on BYE and CANCEL; then {@code then}. Route every request of a media call through it (in-dialog ones
     * included: the ACK ends the wait for it).
     */
    public Step manage(RequestContext ctx, MediaFlags flags, Route then) {
        String method = ctx.method();
        switch (method) {
            case "INVITE", "UPDATE" -> {
                if (Sdp.of(ctx.request()) != null) {
                    return offer(ctx, flags, then);
                }
                if ("INVITE".equals(method) && !ctx.hasToTag()) {
                    String callId = ctx.callId(); // a late offer: the 2xx will carry it
                    ctx.onFinalResponse(status -> afterInitialInvite(callId, status));
                }
                return ctx.route(then);
            }
            case "ACK", "PRACK" -> {
                if ("ACK".equals(method)) {
                    stopWaitingForAck(ctx.callId());
                }
                return Sdp.of(ctx.request()) != null ? answer(ctx, flags, then) : ctx.route(then);
            }
            case "BYE", "CANCEL" -> {
                delete(ctx.callId());
                return ctx.route(then);
            }
            default -> {
                return ctx.route(then);
            }
        }
    }

    /** {@code rtpengine_delete}: ends the call's media session (all its branches). Nothing waits for the answer. */
    public CompletableFuture<Map<String, Object>> delete(RequestContext ctx) {
        return delete(ctx.callId());
    }

    /** Ends the media session of {@code callId}; completes with rtpengine's answer (an error for an unknown call). */
    public CompletableFuture<Map<String, Object>> delete(String callId) {
        Objects.requireNonNull(callId, "callId");
        stopWaitingForAck(callId);
        deletes.increment();
        Map<String, Object> cmd = new LinkedHashMap<>();
        cmd.put("command", "delete");
        cmd.put("call-id", callId);
        CompletableFuture<Map<String, Object>> f = engine.send(callId, cmd);
        f.whenComplete((r, e) -> {
            if (e != null) {
                failures.increment();
                LOG.debug("rtpengine delete of {} failed: {}", callId, e.toString());
            }
        });
        return f;
    }

    /** {@code rtpengine_query}: the call's session as rtpengine reports it (tags, streams, packet counters). */
    public CompletableFuture<Map<String, Object>> query(String callId) {
        Map<String, Object> cmd = new LinkedHashMap<>();
        cmd.put("command", "query");
        cmd.put("call-id", callId);
        return engine.send(callId, cmd);
    }

    // ---------------------------------------------------------------- reply side

    /**
     * {@code rtpengine_answer} in a reply route: the response's SDP answers the request's offer; the response waits
     * (it and the ones behind it) until rtpengine's SDP is in place.
     */
    public void answer(ReplyContext reply, MediaFlags flags) {
        sendFromReply(reply, "answer", false, flags);
    }

    /** {@code rtpengine_offer} in a reply route: a 2xx (or 18x) carrying the offer of an INVITE that had none. */
    public void offer(ReplyContext reply, MediaFlags flags) {
        sendFromReply(reply, "offer", true, flags);
    }

    /**
     * {@code rtpengine_manage} in a reply route: a 18x or 2xx with SDP to an INVITE or UPDATE is an answer when the
     * request was offered, an offer otherwise (late offer). Failures need nothing here: the INVITE's final-response
     * hook deletes the session once the whole transaction failed (failover to another branch keeps it).
     */
    public void manage(ReplyContext reply, MediaFlags flags) {
        Response r = reply.response();
        int status = r.getStatusCode();
        String method = ((CSeqHeader) r.getHeader(CSeqHeader.NAME)).getMethod();
        if (status <= 100 || status >= 300 || !("INVITE".equals(method) || "UPDATE".equals(method))) {
            return;
        }
        if (Boolean.TRUE.equals(reply.get(OFFERED))) {
            answer(reply, flags);
        } else {
            offer(reply, flags);
        }
    }

    private void sendFromReply(ReplyContext reply, String op, boolean calleeOffers, MediaFlags flags) {
        Response r = reply.response();
        String sdp = Sdp.of(r);
        if (sdp == null) {
            return;
        }
        Map<String, Object> cmd = command(op, r, calleeOffers, flags, reply.source());
        cmd.put("sdp", sdp);
        (calleeOffers ? offers : answers).increment();
        String callId = ((CallIdHeader) r.getHeader(CallIdHeader.NAME)).getCallId();
        reply.suspend(engine.send(callId, cmd), (rc, result, failure) -> useSdp(null, rc.response(), result, failure,
                op));
    }

    // ---------------------------------------------------------------- common

    /**
     * The ng dictionary for {@code op} on {@code m}. The offerer's tag is {@code from-tag}: the From tag, or the To tag
     * when the callee offers (late offer in the 2xx, its answer in the ACK).
     */
    private static Map<String, Object> command(String op, Message m, boolean calleeSide, MediaFlags flags,
                                               InetSocketAddress source) {
        Map<String, Object> cmd = new LinkedHashMap<>();
        cmd.put("command", op);
        cmd.put("call-id", ((CallIdHeader) m.getHeader(CallIdHeader.NAME)).getCallId());
        String fromTag = ((FromHeader) m.getHeader(FromHeader.NAME)).getTag();
        String toTag = ((ToHeader) m.getHeader(ToHeader.NAME)).getTag();
        String offerer = calleeSide ? toTag : fromTag;
        String answerer = calleeSide ? fromTag : toTag;
        if (offerer != null) {
            cmd.put("from-tag", offerer);
        }
        if (answerer != null) { // an answer, or an offer within a dialog (re-INVITE)
            cmd.put("to-tag", answerer);
        }
        if (source != null && source.getAddress() != null) {
            InetAddress a = source.getAddress();
            cmd.put("received-from", java.util.List.of(a instanceof java.net.Inet6Address ? "IP6" : "IP4",
                    a.getHostAddress()));
        }
        (flags == null ? MediaFlags.NONE : flags).addTo(cmd);
        return cmd;
    }

    /** Puts rtpengine's SDP into the message, or records why there is none. */
    private void useSdp(RequestContext ctx, Message m, Map<String, Object> reply, Throwable failure, String op) {
        Object sdp = reply == null ? null : reply.get("sdp");
        if (failure == null && sdp instanceof String s) {
            Sdp.replace(m, s);
            return;
        }
        Throwable why = failure != null ? failure
                : new NgException(NgException.Kind.ERROR_REPLY, "rtpengine " + op + " answer has no sdp: " + reply);
        failures.increment();
        LOG.warn("rtpengine {} failed, the SDP goes on unchanged: {}", op, why.getMessage());
        if (ctx != null) {
            ctx.set(FAILURE, why);
        }
    }

    private void afterInitialInvite(String callId, int status) {
        if (status >= 300) {
            delete(callId);
        } else if (status >= 200 && ackTimeoutMillis > 0 && awaitingAck.size() < maxWatchedCalls) {
            SipClock.Timer t = clock.schedule(ackTimeoutMillis, () -> {
                if (awaitingAck.remove(callId) != null) {
                    ackTimeouts.increment();
                    LOG.info("call {} answered but never acknowledged: media session deleted", callId);
                    delete(callId);
                }
            });
            SipClock.Timer old = awaitingAck.put(callId, t);
            if (old != null) {
                old.cancel();
            }
        }
    }

    /** The ACK came (or the session goes anyway): no ACK-timeout delete for this call. */
    private void stopWaitingForAck(String callId) {
        SipClock.Timer t = awaitingAck.remove(callId);
        if (t != null) {
            t.cancel();
        }
    }

    /** Counters since start (Kamailio's rtpengine statistics, per relay). */
    public Map<String, Long> stats() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("offers", offers.sum());
        m.put("answers", answers.sum());
        m.put("deletes", deletes.sum());
        m.put("failures", failures.sum());
        m.put("ack_timeouts", ackTimeouts.sum());
        m.put("awaiting_ack", (long) awaitingAck.size());
        return m;
    }

    /** Builds a {@link MediaRelay}. */
    public static final class Builder {
        private final NgClient engine;
        private SipClock clock;
        private Duration ackTimeout = Duration.ofSeconds(32);
        private int maxWatchedCalls = 100_000;

        private Builder(NgClient engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
        }

        /** The clock of the ACK timeout; by default the engine's. */
        public Builder clock(SipClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * How long an answered call may go without its ACK passing {@link #manage} before its session is deleted
         * (64 × T1, as Timer H); {@link Duration#ZERO} turns the check off.
         */
        public Builder ackTimeout(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("ackTimeout must not be negative, got " + d);
            }
            this.ackTimeout = d;
            return this;
        }

        /** Bound of the calls waiting for their ACK; beyond it new ones are not watched (rtpengine's timeout ends them). */
        public Builder maxWatchedCalls(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("maxWatchedCalls must be >= 0, got " + n);
            }
            this.maxWatchedCalls = n;
            return this;
        }

        public MediaRelay build() {
            if (clock == null) {
                clock = engine.clock();
            }
            return new MediaRelay(this);
        }
    }
}
