package io.siprelay.core;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.clock.SystemClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.concurrent.KeyedExecutor;
import io.siprelay.core.concurrent.LaneExecutor;
import io.siprelay.core.proxy.Listener;
import io.siprelay.core.proxy.Myself;
import io.siprelay.core.proxy.internal.ProxyCore;
import io.siprelay.core.proxy.ProxyStats;
import io.siprelay.core.proxy.RelayTimers;
import io.siprelay.core.route.Route;
import io.siprelay.core.transaction.TimerSettings;
import io.siprelay.core.transaction.internal.TransactionLayer;
import io.siprelay.core.transport.Transport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A SIP proxy built in code: listeners, a request route, and the machinery under it. Start it, route with lambdas,
 * close it.
 *
 * <pre>{@code
 * SipProxy proxy = SipProxy.builder()
 *     .listen(new UdpTransport(new InetSocketAddress("127.0.0.1", 5060)))
 *     .requestRoute(ctx -> ctx.isMethod("INVITE") ? ctx.reply(480, "Temporarily Unavailable")
 *                                                 : ctx.reply(501, "Not Implemented"))
 *     .build();
 * proxy.start();
 * }</pre>
 */
public final class SipProxy implements AutoCloseable {

    private final List<Listener> listeners;
    private final SipClock clock;
    private final boolean ownsClock;
    private final KeyedExecutor executor;
    private final boolean ownsExecutor;
    private final TransactionLayer transactions;
    private final ProxyCore core;
    private final Myself myself;
    private final SipCodec codec;
    private final Duration warmup;
    private volatile boolean started;
    private volatile boolean closed;

    private SipProxy(Builder b) {
        this.listeners = List.copyOf(b.listeners);
        this.ownsClock = b.clock == null;
        this.clock = ownsClock ? new SystemClock() : b.clock;
        this.ownsExecutor = b.executor == null;
        this.executor = ownsExecutor ? new LaneExecutor(b.workers, b.queueCapacity, b.maxQueueDelay) : b.executor;
        this.codec = b.codec != null ? b.codec : SipCodec.create();
        this.transactions = new TransactionLayer(codec, clock, executor, b.timers);
        this.core = new ProxyCore(codec, clock, executor, transactions, b.requestRoute, listeners,
                b.retryAfterSeconds, b.relayTimers, b.myself, b.maxRelays);
        this.myself = b.myself;
        // warm up by default in production, not in tests on a virtual clock or an inline executor
        boolean testShape = clock instanceof io.siprelay.core.clock.VirtualClock
                || executor instanceof io.siprelay.core.concurrent.InlineExecutor;
        this.warmup = b.warmup != null ? b.warmup : testShape ? Duration.ZERO : defaultWarmup();
    }

    /**
     * Longest warm-up before the listeners open (it ends sooner once the JIT has settled), unless on a virtual clock
     * or an inline executor: {@link Builder#warmup}. The system property {@code siprelay.warmup.ms} overrides it.
     * 10 s: on one core 3 s ran ~1,500 rounds of the mix (mostly interpreted) and a cold proxy hit at once with 1,500
     * calls/s failed 2,069-2,777 of 15,000 calls; 10 s (~14,700 rounds) failed none. With two cores the JIT settles
     * and the warm-up ends after ~8 s.
     */
    public static final Duration DEFAULT_WARMUP = Duration.ofSeconds(10);

    private static Duration defaultWarmup() {
        String ms = System.getProperty("siprelay.warmup.ms");
        if (ms == null || ms.isBlank()) {
            return DEFAULT_WARMUP;
        }
        try {
            return Duration.ofMillis(Math.max(0, Long.parseLong(ms.trim())));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("siprelay.warmup.ms must be a number of milliseconds, got " + ms, e);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Binds every listener and starts taking messages. */
    public synchronized SipProxy start() {
        if (closed) {
            throw new IllegalStateException("proxy is closed");
        }
        if (started) {
            return this;
        }
        Warmup.run(codec, warmup);
        for (Listener l : listeners) {
            try {
                l.transport().start(core);
            } catch (IOException e) {
                close();
                throw new UncheckedIOException("cannot listen on " + l.transport().type() + " "
                        + l.transport().localAddress() + ": " + e.getMessage(), e);
            }
        }
        myself.listeners(listeners); // bound ports are known now (port 0 binds)
        started = true;
        return this;
    }

    public List<Listener> listeners() {
        return listeners;
    }

    public ProxyStats stats() {
        return core.stats();
    }

    /** Relays (stateful transactions of the proxy core) not finished yet. */
    public int activeRelays() {
        return core.activeRelays();
    }

    /**
     * Sends a request of the proxy's own in a client transaction (OPTIONS probes of a dispatcher, for example). The
     * request needs Call-ID, From with a tag, To, CSeq and Max-Forwards; the proxy adds its Via and sends it to
     * {@code destination} (a SIP URI; null: the Request-URI). The future completes with the final response: received,
     * or a local 408 (no answer in time) or 503 (could not be sent). Build requests with {@link #codec()}'s factories.
     */
    public java.util.concurrent.CompletableFuture<javax.sip.message.Response> sendRequest(
            javax.sip.message.Request request, String destination) {
        if (!started) {
            throw new IllegalStateException("start the proxy before sending requests");
        }
        return core.sendOwnRequest(request, destination);
    }

    /**
     * Sends a request of the proxy's own once, without a transaction (no retransmissions, no timers): NAT keep-alive
     * pings. The proxy adds its Via; responses are absorbed and counted in {@link ProxyStats#ownStatelessAnswers()}.
     *
     * @param destination a SIP URI of the next hop, or null for the Request-URI
     * @return false when it could not be sent
     */
    public boolean sendStateless(javax.sip.message.Request request, String destination) {
        if (!started) {
            throw new IllegalStateException("start the proxy before sending requests");
        }
        return core.sendStateless(request, destination);
    }

    /** The codec and its JAIN-SIP message, header and address factories. */
    public SipCodec codec() {
        return codec;
    }

    /** The "is this me" set: listeners plus configured domains and addresses. */
    public Myself myself() {
        return myself;
    }

    public TransactionLayer transactions() {
        return transactions;
    }

    public SipClock clock() {
        return clock;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Listener l : listeners) {
            l.transport().close();
        }
        transactions.close();
        if (ownsExecutor) {
            executor.close();
        }
        if (ownsClock && clock instanceof SystemClock s) {
            s.close();
        }
    }

    /** Configures a {@link SipProxy}. Only the request route and one listener are required. */
    public static final class Builder {
        private final List<Listener> listeners = new ArrayList<>();
        private Route requestRoute;
        private SipClock clock;
        private KeyedExecutor executor;
        private SipCodec codec;
        private TimerSettings timers = TimerSettings.defaults();
        private int workers = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        private int queueCapacity = 4096;
        private Duration maxQueueDelay = LaneExecutor.DEFAULT_MAX_QUEUE_DELAY;
        private Duration warmup;
        private int retryAfterSeconds = 5;
        private RelayTimers relayTimers = RelayTimers.defaults();
        private Myself myself = Myself.create();
        private int maxRelays = 100_000;

        private Builder() {
        }

        /** Listens on a transport; Via carries its bound address. */
        public Builder listen(Transport transport) {
            return listen(transport, null);
        }

        /** Listens on a transport and puts {@code advertisedHost} in Via (e.g. a public address before NAT). */
        public Builder listen(Transport transport, String advertisedHost) {
            listeners.add(new Listener(transport, advertisedHost));
            return this;
        }

        /** The entry point for every new request (Kamailio's {@code request_route}). */
        public Builder requestRoute(Route route) {
            Objects.requireNonNull(route, "route");
            this.requestRoute = "anonymous route".equals(route.name()) ? Route.named("request_route", route) : route;
            return this;
        }

        /** Time source and timers; default: the system clock. Tests pass a {@code VirtualClock}. */
        public Builder clock(SipClock clock) {
            this.clock = clock;
            return this;
        }

        /** Where messages are processed; default: a {@link LaneExecutor} sized by {@link #workers}. */
        public Builder executor(KeyedExecutor executor) {
            this.executor = executor;
            return this;
        }

        /** Worker lanes of the default executor (routes may block on a database: size for that). */
        public Builder workers(int workers, int queueCapacityPerWorker) {
            this.workers = workers;
            this.queueCapacity = queueCapacityPerWorker;
            return this;
        }

        /**
         * Overload control of the default executor: a new request that would wait longer than this in its lane is
         * refused with 503 and Retry-After (default 200 ms, under T1 so clients do not retransmit; zero: only the
         * queue length limits). See {@link LaneExecutor}.
         */
        public Builder maxQueueDelay(Duration delay) {
            if (Objects.requireNonNull(delay, "delay").isNegative()) {
                throw new IllegalArgumentException("maxQueueDelay must not be negative, got " + delay);
            }
            this.maxQueueDelay = delay;
            return this;
        }

        /**
         * JIT warm-up in {@link SipProxy#start()} before the listeners open: a synthetic mix of registrations and
         * calls through a private proxy on an in-memory network, so the first real traffic meets compiled code
         * (a cold JVM hit at once by thousands of REGISTERs fell behind and never caught up). It ends when the
         * JIT compilers have settled (under 10 % busy over half a second, after at least 6,000 rounds, when C2 has
         * seen every per-message method) or after {@code budget}. Measured on an AMD EPYC pinned to one core: 491
         * rounds fit in the 3 s default, 12,833 rounds in 7.8 s settle it; even then a cold proxy hit at once with
         * 5,000 REGISTER/s served about a third of them in its first second (the application's own route, UDP and
         * the worker lanes are not in the mix). The application's route is not run. Default: {@link #DEFAULT_WARMUP}, none on a {@code VirtualClock} or an
         * {@code InlineExecutor} (tests); {@code Duration.ZERO} turns it off.
         */
        public Builder warmup(Duration budget) {
            if (Objects.requireNonNull(budget, "budget").isNegative()) {
                throw new IllegalArgumentException("warm-up must not be negative, got " + budget);
            }
            this.warmup = budget;
            return this;
        }

        public Builder codec(SipCodec codec) {
            this.codec = codec;
            return this;
        }

        /** T1/T2/T4 for this instance. */
        public Builder timers(TimerSettings timers) {
            this.timers = Objects.requireNonNull(timers, "timers");
            return this;
        }

        /** Retry-After seconds on 503 replies under overload. */
        public Builder retryAfterSeconds(int seconds) {
            if (seconds < 0) {
                throw new IllegalArgumentException("Retry-After must be >= 0, got " + seconds);
            }
            this.retryAfterSeconds = seconds;
            return this;
        }

        /** Stateful relays in progress at most; beyond it new requests get 503 with Retry-After. */
        public Builder maxRelays(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxRelays must be at least 1, got " + max);
            }
            this.maxRelays = max;
            return this;
        }

        /** fr_timer, fr_inv_timer and Timer C for relayed requests (Kamailio tm). */
        public Builder relayTimers(RelayTimers timers) {
            this.relayTimers = Objects.requireNonNull(timers, "timers");
            return this;
        }

        /**
         * What this proxy calls itself (Kamailio's {@code alias=} and {@code myself}): domains and addresses beyond
         * its listeners, which are added at start. Pass the same object to blocks that ask "is this me".
         */
        public Builder myself(Myself myself) {
            this.myself = Objects.requireNonNull(myself, "myself");
            return this;
        }

        public SipProxy build() {
            if (requestRoute == null) {
                throw new IllegalStateException("a request route is required: builder.requestRoute(ctx -> ...)");
            }
            if (listeners.isEmpty()) {
                throw new IllegalStateException("at least one listener is required: builder.listen(transport)");
            }
            return new SipProxy(this);
        }
    }
}
