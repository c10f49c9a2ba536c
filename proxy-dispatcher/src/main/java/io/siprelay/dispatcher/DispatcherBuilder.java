package io.siprelay.dispatcher;

import io.siprelay.core.SipProxy;
import io.siprelay.core.clock.SipClock;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.RequestContext;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sip.address.URI;

/** Configures a {@link Dispatcher}. Only a source and a clock (or a proxy) are required. */
public final class DispatcherBuilder {

    DispatcherSource source;
    ProbeSender sender;
    SipCodec codec;
    SipClock clock;
    Duration pingInterval = Duration.ofSeconds(5);
    Duration probeTimeout = Duration.ofSeconds(2);
    int probingThreshold = 1;
    int inactiveThreshold = 1;
    int probingMode = 1;
    String pingMethod = "OPTIONS";
    String pingFrom = "sip:dispatcher@localhost";
    ReplyCodes replyCodes = ReplyCodes.defaults();
    double latencyAlpha = 0.1;
    Duration loadExpire = Duration.ofHours(2);
    Duration loadInitExpire = Duration.ofMinutes(5);
    Dispatcher.Resolver resolver = InetAddress::getByName;
    Function<RequestContext, String> hashKey;
    Executor probeExecutor;
    final List<Consumer<DispatcherEvent>> listeners = new ArrayList<>();

    DispatcherBuilder() {
    }

    /** Where the sets come from: {@link ListFileSource}, {@link JdbiDispatcherSource} or {@link DispatcherSource#of}. */
    public DispatcherBuilder source(DispatcherSource source) {
        this.source = Objects.requireNonNull(source, "source");
        return this;
    }

    /** Probes go out as the proxy's own client transactions; the proxy's codec and clock are used. */
    public DispatcherBuilder proxy(SipProxy proxy) {
        this.sender = proxy::sendRequest;
        this.codec = proxy.codec();
        if (clock == null) {
            this.clock = proxy.clock();
        }
        return this;
    }

    /** A custom probe sender (tests, or a proxy not built with {@link SipProxy}). */
    public DispatcherBuilder sender(ProbeSender sender) {
        this.sender = sender;
        return this;
    }

    /** Factories for probe requests and URI checks; default: the proxy's, else a new codec. */
    public DispatcherBuilder codec(SipCodec codec) {
        this.codec = codec;
        return this;
    }

    /** Time source for probing and expiry; default: the proxy's. */
    public DispatcherBuilder clock(SipClock clock) {
        this.clock = clock;
        return this;
    }

    /** {@code ds_ping_interval}: time between probe rounds (default 5 s); zero turns probing off. */
    public DispatcherBuilder pingInterval(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("ping interval must be >= 0");
        }
        this.pingInterval = d;
        return this;
    }

    /**
     * How long a probe may take before it counts as failed (default 2 s). Kamailio waits for tm's fr_timer
     * (30 s); here a silent node is noticed after probe timeout, not after the transaction timeout.
     */
    public DispatcherBuilder probeTimeout(Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("probe timeout must be > 0");
        }
        this.probeTimeout = d;
        return this;
    }

    /** {@code ds_probing_threshold}: failed probes (or marks "t") before a destination is inactive; default 1. */
    public DispatcherBuilder probingThreshold(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("probing threshold must be >= 1");
        }
        this.probingThreshold = n;
        return this;
    }

    /** {@code ds_inactive_threshold}: successful probes before an inactive destination is active; default 1. */
    public DispatcherBuilder inactiveThreshold(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("inactive threshold must be >= 1");
        }
        this.inactiveThreshold = n;
        return this;
    }

    /**
     * {@code ds_probing_mode}: 0 only destinations flagged probing, the flag cleared after a successful probe; 1
     * every destination except disabled and no-ping ones (the default here; Kamailio's is 0); 2 only inactive
     * destinations flagged probing; 3 destinations flagged probing, the flag kept.
     */
    public DispatcherBuilder probingMode(int mode) {
        if (mode < 0 || mode > 3) {
            throw new IllegalArgumentException("probing mode must be 0..3, got " + mode);
        }
        this.probingMode = mode;
        return this;
    }

    /** {@code ds_ping_method}; default OPTIONS. */
    public DispatcherBuilder pingMethod(String method) {
        this.pingMethod = Objects.requireNonNull(method);
        return this;
    }

    /** {@code ds_ping_from}; default {@code sip:dispatcher@localhost}. The attr {@code ping_from} overrides it. */
    public DispatcherBuilder pingFrom(String uri) {
        this.pingFrom = Objects.requireNonNull(uri);
        return this;
    }

    /** {@code ds_ping_reply_codes}, e.g. {@code "class=4;code=503"}; 2xx always counts. */
    public DispatcherBuilder pingReplyCodes(String spec) {
        this.replyCodes = ReplyCodes.parse(spec);
        return this;
    }

    /** Weight of a new sample in the short-term latency estimate (0..1], default 0.1. */
    public DispatcherBuilder latencyAlpha(double alpha) {
        if (!(alpha > 0 && alpha <= 1)) {
            throw new IllegalArgumentException("alpha must be in (0, 1]");
        }
        this.latencyAlpha = alpha;
        return this;
    }

    /**
     * Call load expiry ({@code ds_hash_expire}, {@code ds_hash_initexpire}): how long an answered call and a call
     * without a final answer are counted at most when no BYE or failure is seen. Defaults 2 h and 5 min.
     */
    public DispatcherBuilder loadExpiry(Duration answered, Duration unanswered) {
        this.loadExpire = answered;
        this.loadInitExpire = unanswered;
        return this;
    }

    /** Resolves hosts at load (default: {@link InetAddress#getByName}). */
    public DispatcherBuilder resolver(Dispatcher.Resolver resolver) {
        this.resolver = Objects.requireNonNull(resolver);
        return this;
    }

    /** The default hash key of algorithm 7 (Kamailio's {@code hash_pvar}), e.g. {@code c -> c.fromUser() + c.callId()}. */
    public DispatcherBuilder hashKey(Function<RequestContext, String> key) {
        this.hashKey = key;
        return this;
    }

    /** Where probe rounds run (they may resolve names); default: a daemon thread, inline on a VirtualClock. */
    public DispatcherBuilder probeExecutor(Executor executor) {
        this.probeExecutor = executor;
        return this;
    }

    /** A listener for destinations going up or down. */
    public DispatcherBuilder onEvent(Consumer<DispatcherEvent> listener) {
        this.listeners.add(Objects.requireNonNull(listener));
        return this;
    }

    /**
     * Loads the sets (a bad entry throws {@link DispatcherReloadException}). Call {@link Dispatcher#start()} to
     * begin probing.
     */
    public Dispatcher build() {
        return new Dispatcher(this);
    }
}
