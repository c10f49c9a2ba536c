package io.siprelay.dispatcher;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.route.ReplyContext;
import io.siprelay.core.route.ReplyRoute;
import io.siprelay.core.route.RequestContext;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;

/** Algorithm 10's per-duid call counts, kept apart so their lifetime (reply, BYE, expiry) is in one place. */
final class CallLoad {

    private static final long SWEEP_MILLIS = 30_000;

    private final Dispatcher owner;
    private final SipClock clock;
    private final long loadExpireMillis;
    private final long loadInitExpireMillis;
    private final ConcurrentHashMap<String, Call> calls = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> loads = new ConcurrentHashMap<>();
    private volatile SipClock.Timer sweepTimer;

    CallLoad(Dispatcher owner, SipClock clock, long loadExpireMillis, long loadInitExpireMillis) {
        this.owner = owner;
        this.clock = clock;
        this.loadExpireMillis = loadExpireMillis;
        this.loadInitExpireMillis = loadInitExpireMillis;
    }

    /** Starts the expiry of entries whose BYE or failure was never seen. */
    void start() {
        sweepTimer = clock.schedule(SWEEP_MILLIS, this::sweepTick);
    }

    void cancelTimer() {
        if (sweepTimer != null) {
            sweepTimer.cancel();
        }
    }

    /** {@link Dispatcher#load}. */
    int load(String duid) {
        AtomicInteger n = loads.get(duid);
        return n == null ? 0 : n.get();
    }

    /** The counter of a duid, or null when no call was ever counted for it ({@code dispatcher.list} omits it). */
    AtomicInteger counter(String duid) {
        return loads.get(duid);
    }

    /** {@link Dispatcher#loadUpdate}. */
    void update(RequestContext ctx) {
        if (ctx.isMethod(Request.BYE) || ctx.isMethod(Request.CANCEL)) {
            release(ctx.callId());
        }
    }

    boolean reserve(String callId, Destination d) {
        if (callId == null) {
            return true;
        }
        String duid = d.duid();
        AtomicInteger n = loads.computeIfAbsent(duid, k -> new AtomicInteger());
        int max = d.attrs().maxload();
        while (true) {
            int cur = n.get();
            if (max > 0 && cur >= max) {
                return false;
            }
            if (n.compareAndSet(cur, cur + 1)) {
                break;
            }
        }
        Call old = calls.put(callId, new Call(duid, clock.millis() + loadInitExpireMillis));
        if (old != null) {
            decrement(old.duid);
        }
        return true;
    }

    void release(String callId) {
        if (callId == null) {
            return;
        }
        Call c = calls.remove(callId);
        if (c != null) {
            decrement(c.duid);
        }
    }

    private void decrement(String duid) {
        AtomicInteger n = loads.get(duid);
        if (n != null) {
            n.updateAndGet(v -> Math.max(0, v - 1));
        }
    }

    /**
     * Makes the transaction's reply route count the call's 2xx and failures. A relay from a failure route takes that
     * context's reply route, so {@link Dispatcher#next} hooks again.
     */
    void hookReplies(RequestContext ctx) {
        if (ctx.replyRoute() instanceof LoadHook) {
            return;
        }
        ctx.onReply(new LoadHook(ctx.replyRoute()));
    }

    private final class LoadHook implements ReplyRoute {
        private final ReplyRoute previous;

        LoadHook(ReplyRoute previous) {
            this.previous = previous;
        }

        @Override
        public void handle(ReplyContext r) {
            onLoadReply(r);
            if (previous != null) {
                previous.handle(r);
            }
        }
    }

    private void onLoadReply(ReplyContext r) {
        Response resp = r.response();
        CSeqHeader cseq = (CSeqHeader) resp.getHeader(CSeqHeader.NAME);
        CallIdHeader cid = (CallIdHeader) resp.getHeader(CallIdHeader.NAME);
        if (cseq == null || cid == null || !Request.INVITE.equals(cseq.getMethod())) {
            return;
        }
        int status = resp.getStatusCode();
        if (status >= 200 && status < 300) {
            Call c = calls.get(cid.getCallId());
            if (c != null) {
                c.expiresAt = clock.millis() + loadExpireMillis;
            }
        } else if (status >= 300) {
            release(cid.getCallId());
        }
    }

    private void sweepTick() {
        if (owner.closed) {
            return;
        }
        long now = clock.millis();
        calls.forEach((id, c) -> {
            if (c.expiresAt <= now && calls.remove(id, c)) {
                decrement(c.duid);
            }
        });
        sweepTimer = clock.schedule(SWEEP_MILLIS, this::sweepTick);
    }

    private static final class Call {
        final String duid;
        volatile long expiresAt;

        Call(String duid, long expiresAt) {
            this.duid = duid;
            this.expiresAt = expiresAt;
        }
    }
}
