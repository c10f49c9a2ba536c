package io.siprelay.dispatcher;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import java.text.ParseException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** OPTIONS keepalives: their timer, thread and timeouts stay off the selection path and out of the admin code. */
final class Prober {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class); // log category unchanged

    private final Dispatcher owner;
    private final StateChanges states;
    private final ProbeSender sender;
    private final SipCodec codec;
    private final SipClock clock;
    private final long pingIntervalMillis;
    private final long probeTimeoutMillis;
    private final int probingMode;
    private final String pingMethod;
    private final String pingFrom;
    private final ReplyCodes replyCodes;
    private final double latencyAlpha;
    private final Executor probeExecutor;
    private final ExecutorService ownedExecutor;
    private final AtomicLong probeSeq = new AtomicLong();
    private volatile SipClock.Timer pingTimer;

    Prober(Dispatcher owner, DispatcherBuilder b, SipCodec codec, SipClock clock, StateChanges states) {
        this.owner = owner;
        this.states = states;
        this.sender = b.sender;
        this.codec = codec;
        this.clock = clock;
        this.pingIntervalMillis = b.pingInterval.toMillis();
        this.probeTimeoutMillis = b.probeTimeout.toMillis();
        this.probingMode = b.probingMode;
        this.pingMethod = b.pingMethod;
        this.pingFrom = b.pingFrom;
        this.replyCodes = b.replyCodes;
        this.latencyAlpha = b.latencyAlpha;
        if (b.probeExecutor != null) {
            this.probeExecutor = b.probeExecutor;
            this.ownedExecutor = null;
        } else if (clock instanceof VirtualClock) {
            this.probeExecutor = Runnable::run;
            this.ownedExecutor = null;
        } else {
            this.ownedExecutor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "siprelay-dispatcher-probe");
                t.setDaemon(true);
                return t;
            });
            this.probeExecutor = ownedExecutor;
        }
    }

    /** The first probe round runs at once, when a ping interval and a sender are configured. */
    void start() {
        if (pingIntervalMillis > 0 && sender != null) {
            pingTimer = clock.schedule(0, this::pingTick);
        }
    }

    void cancelTimer() {
        if (pingTimer != null) {
            pingTimer.cancel();
        }
    }

    void shutdownExecutor() {
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
    }

    private void pingTick() {
        if (owner.closed) {
            return;
        }
        probeExecutor.execute(() -> {
            try {
                probeAll();
            } catch (RuntimeException e) {
                LOG.warn("dispatcher probe round failed", e);
            }
        });
        pingTimer = clock.schedule(pingIntervalMillis, this::pingTick);
    }

    /** {@link Dispatcher#probeAll}. */
    void probeAll() {
        if (sender == null) {
            throw new IllegalStateException("no probe sender: builder.proxy(proxy) or builder.sender(...)");
        }
        for (DsSet set : owner.snapshot.sets.values()) {
            for (Destination d : set.dests) {
                if (shouldProbe(d.flags())) {
                    probe(d);
                }
            }
        }
    }

    private boolean shouldProbe(int f) {
        if ((f & (DsFlags.DISABLED | DsFlags.NOPING)) != 0) {
            return false;
        }
        return switch (probingMode) {
            case 1 -> true;
            case 2 -> (f & DsFlags.INACTIVE) != 0 && (f & DsFlags.PROBING) != 0;
            default -> (f & DsFlags.PROBING) != 0; // 0 and 3
        };
    }

    private void probe(Destination d) {
        Health h = d.health();
        synchronized (h) {
            if (h.probeInFlight) {
                return;
            }
            h.probeInFlight = true;
        }
        Request req;
        try {
            req = buildProbe(d);
        } catch (ParseException | javax.sip.InvalidArgumentException e) {
            synchronized (h) {
                h.probeInFlight = false;
            }
            LOG.warn("cannot build a probe for {}: {}", d.uri(), e.getMessage());
            return;
        }
        long start = clock.millis();
        AtomicBoolean done = new AtomicBoolean();
        SipClock.Timer[] timer = new SipClock.Timer[1];
        timer[0] = clock.schedule(probeTimeoutMillis, () -> {
            if (done.compareAndSet(false, true)) {
                h.timeout();
                finishProbe(d, false);
            }
        });
        java.util.concurrent.CompletableFuture<Response> f;
        try {
            f = sender.send(req, d.uri());
        } catch (RuntimeException e) {
            if (done.compareAndSet(false, true)) {
                timer[0].cancel();
                finishProbe(d, false);
            }
            return;
        }
        f.whenComplete((resp, err) -> {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            timer[0].cancel();
            boolean ok = err == null && resp != null && replyCodes.accepts(resp.getStatusCode());
            if (err == null && resp != null && resp.getStatusCode() == 408 && !ok) {
                h.timeout();
            } else if (ok) {
                h.sample(clock.millis() - start, latencyAlpha);
            }
            finishProbe(d, ok);
        });
    }

    private void finishProbe(Destination d, boolean ok) {
        synchronized (d.health()) {
            d.health().probeInFlight = false;
        }
        states.recordResult(d, ok, DispatcherEvent.Cause.PROBE);
    }

    private Request buildProbe(Destination d) throws ParseException, javax.sip.InvalidArgumentException {
        var mf = codec.messageFactory();
        var hf = codec.headerFactory();
        var af = codec.addressFactory();
        String from = d.attrs().pingFrom() != null ? d.attrs().pingFrom() : pingFrom;
        URI target = af.createURI(d.uri());
        if (target instanceof SipURI s) {
            s = (SipURI) s.clone();
            s.removeParameter("lr");
            target = s;
        }
        long n = probeSeq.incrementAndGet();
        return mf.createRequest(target, pingMethod,
                hf.createCallIdHeader("ds-" + UUID.randomUUID() + "-" + n),
                hf.createCSeqHeader(1L, pingMethod),
                hf.createFromHeader(af.createAddress(from), "ds" + Long.toHexString(n)),
                hf.createToHeader(af.createAddress(target), null), List.of(), hf.createMaxForwardsHeader(70));
    }
}
