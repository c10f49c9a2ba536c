package io.siprelay.registrar;

import io.siprelay.core.SipProxy;
import io.siprelay.core.clock.SipClock;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.registrar.store.Binding;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.sip.InvalidArgumentException;
import javax.sip.address.Address;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.message.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NAT keep-alive, Kamailio's nathelper {@code natping_interval} with {@code sipping_bflag}: every registered contact
 * flagged {@link Registrar#NAT_PING_BFLAG} (the registrar sets it on bindings found behind NAT) that is reached over
 * UDP gets an OPTIONS request every {@code interval}, sent to its {@code received} address from the proxy's UDP
 * listener, so the NAT keeps the binding open and calls can reach the phone. The pings carry no transaction: one
 * datagram each, no retransmission, no timer; answers are absorbed by the proxy
 * ({@code proxy.stats().ownStatelessAnswers()}).
 *
 * <p>Bounded work: a round lists the flagged bindings once per interval and pings them at once, at most
 * {@code maxPerSecond} a second (a large round spreads over the following seconds); what a round could not send
 * before the next one begins is counted as skipped. A new binding gets its first ping within one interval. Stream contacts (TCP, TLS) are not pinged: their connection is the client's to keep open (RFC 5626 CRLF).
 *
 * <pre>{@code
 * NatKeepalive ka = NatKeepalive.builder().registrar(registrar).proxy(proxy)
 *         .interval(Duration.ofSeconds(30)).from("sip:keepalive@pbx.example.com").build().start();
 * }</pre>
 */
public final class NatKeepalive implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NatKeepalive.class);

    private final Registrar registrar;
    private final SipProxy proxy;
    private final SipClock clock;
    private final long intervalSeconds;
    private final int maxPerSecond;
    private final String from;
    private final String method;
    private final int flagMask;
    private final Executor executor;
    private final ExecutorService ownedExecutor;
    private final String callIdSuffix = "@" + UUID.randomUUID().toString().substring(0, 8) + ".ka";
    private final AtomicLong sequence = new AtomicLong();
    private final LongAdder sent = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final LongAdder rounds = new LongAdder();

    // the current round, touched only by the executor (one task at a time)
    private final java.util.ArrayDeque<Binding> round = new java.util.ArrayDeque<>();
    private long tick;

    private volatile SipClock.Timer timer;
    private volatile boolean closed;

    private NatKeepalive(Builder b) {
        this.registrar = Objects.requireNonNull(b.registrar, "registrar(...) is required");
        this.proxy = Objects.requireNonNull(b.proxy, "proxy(...) is required");
        this.clock = registrar.clock();
        this.intervalSeconds = b.interval.toSeconds();
        this.maxPerSecond = b.maxPerSecond;
        this.from = b.from;
        this.method = b.method;
        this.flagMask = b.flagMask;
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownedExecutor = null;
        } else if (clock instanceof VirtualClock) {
            this.executor = Runnable::run; // tests: deterministic, on the clock's advance
            this.ownedExecutor = null;
        } else {
            this.ownedExecutor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "siprelay-nat-keepalive");
                t.setDaemon(true);
                return t;
            });
            this.executor = ownedExecutor;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts pinging: the first round begins one second from now. Call it after the proxy has started. */
    public synchronized NatKeepalive start() {
        if (timer == null && !closed) {
            timer = clock.schedule(1000, this::onTick);
        }
        return this;
    }

    private void onTick() {
        if (closed) {
            return;
        }
        executor.execute(() -> {
            try {
                pingShare();
            } catch (RuntimeException e) {
                LOG.warn("NAT keep-alive round failed", e);
            }
        });
        timer = clock.schedule(1000, this::onTick);
    }

    /**
     * Every second: a new round begins every {@code interval} seconds (what the last round could not send by then
     * is counted as skipped), and up to {@code maxPerSecond} pings of the round go out.
     */
    private void pingShare() {
        if (tick % intervalSeconds == 0) {
            skipped.add(round.size());
            round.clear();
            round.addAll(flaggedBindings());
            rounds.increment();
        }
        tick++;
        int budget = maxPerSecond;
        while (budget > 0 && !round.isEmpty()) {
            if (ping(round.poll())) {
                budget--;
            }
        }
    }

    private List<Binding> flaggedBindings() {
        long now = clock.wallMillis();
        List<Binding> out = new ArrayList<>();
        for (Map.Entry<String, List<Binding>> e : registrar.store().snapshot(now).entrySet()) {
            for (Binding b : e.getValue()) {
                if ((b.cflags() & flagMask) != 0 && isUdp(b)) {
                    out.add(b);
                }
            }
        }
        return out;
    }

    /** Sends one keep-alive now to {@code b} (its received address, else its first Path hop, else its contact). */
    public boolean ping(Binding b) {
        Request r;
        try {
            r = buildPing(b);
        } catch (ParseException | InvalidArgumentException | RuntimeException e) {
            LOG.debug("no keep-alive for {}: {}", b.contact(), e.toString());
            return false;
        }
        String dest = b.received() != null ? b.received() : PathHeaders.firstHop(b.path());
        boolean ok = proxy.sendStateless(r, dest);
        if (ok) {
            sent.increment();
        }
        return ok;
    }

    private Request buildPing(Binding b) throws ParseException, InvalidArgumentException {
        SipCodec codec = proxy.codec();
        var af = codec.addressFactory();
        var hf = codec.headerFactory();
        URI target = af.createURI(b.contact());
        long seq = sequence.incrementAndGet();
        Address fromAddr = af.createAddress(af.createURI(from));
        Address toAddr = af.createAddress(target);
        return codec.messageFactory().createRequest(target, method,
                hf.createCallIdHeader(Long.toHexString(seq) + callIdSuffix),
                hf.createCSeqHeader(1L, method),
                hf.createFromHeader(fromAddr, Long.toHexString(seq)),
                hf.createToHeader(toAddr, null),
                new ArrayList<>(),
                hf.createMaxForwardsHeader(70));
    }

    private static boolean isUdp(Binding b) {
        String where = b.received() != null ? b.received() : b.contact();
        String lower = where.toLowerCase(java.util.Locale.ROOT);
        return !lower.startsWith("sips:") && !lower.contains("transport=tcp") && !lower.contains("transport=tls")
                && !lower.contains("transport=ws");
    }

    /** Pings sent so far. */
    public long sent() {
        return sent.sum();
    }

    /** Pings left out because a round could not send them all within its interval at {@code maxPerSecond}. */
    public long skipped() {
        return skipped.sum();
    }

    /** Rounds begun so far. */
    public long rounds() {
        return rounds.sum();
    }

    @Override
    public synchronized void close() {
        closed = true;
        SipClock.Timer t = timer;
        if (t != null) {
            t.cancel();
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
    }

    /** Configuration of a {@link NatKeepalive}. */
    public static final class Builder {
        private Registrar registrar;
        private SipProxy proxy;
        private Duration interval = Duration.ofSeconds(30);
        private int maxPerSecond = 1000;
        private String from = "sip:keepalive@siprelay.invalid";
        private String method = Request.OPTIONS;
        private int flagMask = Registrar.NAT_PING_BFLAG;
        private Executor executor;

        private Builder() {
        }

        /** Whose bindings to ping (required); its store and clock are used. */
        public Builder registrar(Registrar registrar) {
            this.registrar = Objects.requireNonNull(registrar);
            return this;
        }

        /** The started proxy the pings go out through (required). */
        public Builder proxy(SipProxy proxy) {
            this.proxy = Objects.requireNonNull(proxy);
            return this;
        }

        /** {@code natping_interval}: how often each contact is pinged; default 30 s, at least 1 s. */
        public Builder interval(Duration d) {
            if (d.toSeconds() < 1) {
                throw new IllegalArgumentException("keep-alive interval must be at least 1 s, got " + d);
            }
            this.interval = d;
            return this;
        }

        /** At most this many pings per second (the bound on work); default 1000. */
        public Builder maxPerSecond(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxPerSecond must be >= 1, got " + n);
            }
            this.maxPerSecond = n;
            return this;
        }

        /** {@code sipping_from}: the From URI of the pings; default {@code sip:keepalive@siprelay.invalid}. */
        public Builder from(String uri) {
            if (uri == null || !(uri.startsWith("sip:") || uri.startsWith("sips:"))) {
                throw new IllegalArgumentException("keep-alive From must be a sip: URI, got " + uri);
            }
            this.from = uri;
            return this;
        }

        /** {@code sipping_method}: OPTIONS (default) or NOTIFY. */
        public Builder method(String method) {
            if (!Request.OPTIONS.equals(method) && !Request.NOTIFY.equals(method)) {
                throw new IllegalArgumentException("keep-alive method must be OPTIONS or NOTIFY, got " + method);
            }
            this.method = method;
            return this;
        }

        /** {@code sipping_bflag}: the cflags bits that mark a binding for pinging; default {@link Registrar#NAT_PING_BFLAG}. */
        public Builder flagMask(int mask) {
            if (mask == 0) {
                throw new IllegalArgumentException("flag mask must not be 0");
            }
            this.flagMask = mask;
            return this;
        }

        /** Where rounds run (they read the location store); default a thread of its own (inline on a VirtualClock). */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        public NatKeepalive build() {
            return new NatKeepalive(this);
        }
    }
}
