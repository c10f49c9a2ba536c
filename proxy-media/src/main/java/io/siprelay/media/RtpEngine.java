package io.siprelay.media;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.clock.SystemClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of one set of rtpengine daemons over the ng control protocol ({@code <cookie> <bencoded dictionary>}
 * in UDP datagrams), after Kamailio's rtpengine module: weighted instances chosen by Call-ID, a timeout per try
 * with retransmission of the same datagram, and instances that time out disabled for a while, then probed with
 * {@code ping} and enabled again when they answer.
 *
 * <p>One {@link DatagramChannel} on an ephemeral port carries every command, and one daemon thread
 * ({@value #RECEIVER_THREAD}) reads the replies and matches them to the pending command by cookie; timers run on
 * the {@link SipClock}. No call waits for a reply: every command returns a future at once.
 *
 * <p>Threading: the returned futures complete on the receiver thread (replies), on the clock's thread (timeouts),
 * or at once on the caller's thread (overload, no instance, closed). Callbacks attached to them run there too and
 * must not block: a blocked callback stalls every reply or every timer of the set. Hand longer work on to an
 * executor.
 */
public final class RtpEngine implements NgClient, AutoCloseable {

    /** Name of the thread that receives the replies. */
    public static final String RECEIVER_THREAD = "rtpengine-ng-rx";

    private static final Logger LOG = LoggerFactory.getLogger(RtpEngine.class);
    private static final Map<String, Object> PING = Map.of("command", "ping");

    private final RtpEngineInstance[] instances;
    private final List<RtpEngineInstance> instanceList;
    private final long totalWeight;
    private final SipClock clock;
    private final boolean ownsClock;
    private final long disableMillis;
    private final NgChannel ng;
    private final AtomicBoolean closing = new AtomicBoolean();

    private RtpEngine(Builder b, List<RtpEngineInstance> list, SipClock clock, boolean ownsClock,
                      DatagramChannel channel) {
        this.instances = list.stream().map(RtpEngineInstance::copy).toArray(RtpEngineInstance[]::new);
        this.instanceList = List.of(instances);
        long total = 0;
        for (RtpEngineInstance i : instances) {
            total += i.weight();
        }
        this.totalWeight = total;
        this.clock = clock;
        this.ownsClock = ownsClock;
        this.disableMillis = b.disableTimeout.toMillis();
        this.ng = new NgChannel(channel, clock, b.timeout.toMillis(), b.retries, b.maxInFlight, this::markDown);
        ng.start();
    }

    /** Starts the configuration of a set; at least one instance is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The instances of the set, in configuration order. */
    public List<RtpEngineInstance> instances() {
        return instanceList;
    }

    /** The instance with this url (weight, if given, ignored; {@code udp:} may be left out), or null. */
    public RtpEngineInstance instance(String url) {
        Objects.requireNonNull(url, "url");
        String canonical = RtpEngineInstance.canonicalUrl(url);
        for (RtpEngineInstance i : instances) {
            if (i.url().equals(url) || i.url().equals(canonical)) {
                return i;
            }
        }
        return null;
    }

    /**
     * The instance for this call: weighted choice by a stable hash of {@code callId} over ALL instances (so every
     * message of a call goes to the same one); if that one is disabled, a weighted choice by the same hash among
     * the enabled ones; null if none is enabled.
     */
    public RtpEngineInstance select(String callId) {
        long h = hash(Objects.requireNonNull(callId, "callId"));
        RtpEngineInstance own = pick(Long.remainderUnsigned(h, totalWeight), false);
        if (own != null && own.isEnabled()) {
            return own;
        }
        long enabledWeight = 0;
        for (RtpEngineInstance i : instances) {
            if (i.isEnabled()) {
                enabledWeight += i.weight();
            }
        }
        return enabledWeight == 0 ? null : pick(Long.remainderUnsigned(h, enabledWeight), true);
    }

    private RtpEngineInstance pick(long point, boolean enabledOnly) {
        RtpEngineInstance fallback = null;
        long upTo = 0;
        for (RtpEngineInstance i : instances) {
            if (enabledOnly && !i.isEnabled()) {
                continue;
            }
            upTo += i.weight();
            if (point < upTo) {
                return i;
            }
            fallback = i;
        }
        return fallback;
    }

    /** FNV-1a over the UTF-16 code units, finished with Murmur3's fmix64: stable across runs and JVMs. */
    private static long hash(String s) {
        long h = 0xcbf29ce484222325L;
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            h = (h ^ (c & 0xff)) * 0x100000001b3L;
            h = (h ^ (c >>> 8)) * 0x100000001b3L;
        }
        h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
        h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }

    /**
     * Sends {@code command} (a Map with "command" and its keys) to {@link #select select(callId)}; completes with
     * the reply dictionary (result ok/pong/...) or exceptionally with {@link NgException} ({@code NO_INSTANCE}
     * when none is enabled).
     *
     * @throws IllegalArgumentException when {@code command} has no String "command" or holds a value bencode
     *                                  cannot encode
     */
    @Override
    public CompletableFuture<Map<String, Object>> send(String callId, Map<String, ?> command) {
        String name = commandName(command);
        RtpEngineInstance target = select(callId);
        if (target == null) {
            return CompletableFuture.failedFuture(new NgException(NgException.Kind.NO_INSTANCE,
                    "no rtpengine instance enabled for " + name + " (Call-ID " + callId + ")"));
        }
        return ng.send(target, name, command, false);
    }

    /**
     * Sends {@code command} to this instance, whether enabled or not (e.g. a delete that must reach the daemon
     * holding the call); completes as {@link #send(String, Map)} does.
     *
     * @throws IllegalArgumentException when the instance is not of this set, or as {@link #send(String, Map)}
     */
    public CompletableFuture<Map<String, Object>> send(RtpEngineInstance instance, Map<String, ?> command) {
        requireOwn(instance);
        return ng.send(instance, commandName(command), command, false);
    }

    /**
     * Sends {@code ping}: true on {@code pong}, false on a timeout, an error reply or any other failure. A ping that
     * times out disables the instance as any other command does.
     */
    public CompletableFuture<Boolean> ping(RtpEngineInstance instance) {
        return send(instance, PING).handle((reply, failure) -> failure == null && "pong".equals(reply.get("result")));
    }

    /**
     * Operator control (Kamailio {@code rtpengine.enable}): {@code enabled=false} keeps the instance out until
     * enabled again (no probing); {@code enabled=true} enables at once.
     */
    public void setEnabled(RtpEngineInstance instance, boolean enabled) {
        requireOwn(instance);
        instance.epoch.incrementAndGet();
        instance.state.set(enabled ? RtpEngineInstance.ENABLED : RtpEngineInstance.OPERATOR_DISABLED);
        LOG.info("rtpengine {} {} by operator", instance.url(), enabled ? "enabled" : "disabled");
    }

    /** The clock the try timeouts and probes run on: the one given to the builder, or the client's own. */
    @Override
    public SipClock clock() {
        return clock;
    }

    /** Replies dropped because their cookie matched no pending command, or they did not decode. */
    public long strayReplies() {
        return ng.strays();
    }

    /** Commands sent and not yet answered, timed out or failed. */
    public int inFlight() {
        return ng.inFlight();
    }

    /** The local address of the control socket. */
    public InetSocketAddress localAddress() {
        try {
            return ng.localAddress();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Closes the socket, stops the receiver thread, fails pending futures with {@link NgException.Kind#IO} and
     * closes the clock if this client created it. Idempotent.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        ng.close();
        if (ownsClock) {
            try {
                ((SystemClock) clock).close();
            } catch (RuntimeException e) {
                LOG.warn("could not stop the rtpengine client's timer", e);
            }
        }
    }

    private void requireOwn(RtpEngineInstance instance) {
        Objects.requireNonNull(instance, "instance");
        for (RtpEngineInstance i : instances) {
            if (i == instance) {
                return;
            }
        }
        throw new IllegalArgumentException("rtpengine instance " + instance.url() + " is not of this set");
    }

    private static String commandName(Map<String, ?> command) {
        Objects.requireNonNull(command, "command");
        if (!(command.get("command") instanceof String name)) {
            throw new IllegalArgumentException("an ng command needs a String \"command\": " + command.keySet());
        }
        return name;
    }

    private void markDown(RtpEngineInstance instance) {
        if (!instance.state.compareAndSet(RtpEngineInstance.ENABLED, RtpEngineInstance.DISABLED)) {
            return;
        }
        int epoch = instance.epoch.incrementAndGet();
        LOG.warn("rtpengine {} timed out, disabled for {} ms", instance.url(), disableMillis);
        scheduleProbe(instance, epoch);
    }

    private void scheduleProbe(RtpEngineInstance instance, int epoch) {
        if (!ng.isClosed()) {
            clock.schedule(disableMillis, () -> probe(instance, epoch));
        }
    }

    private static boolean stillDown(RtpEngineInstance instance, int epoch) {
        return instance.epoch.get() == epoch && instance.state.get() == RtpEngineInstance.DISABLED;
    }

    private void probe(RtpEngineInstance instance, int epoch) {
        if (ng.isClosed() || !stillDown(instance, epoch)) {
            return;
        }
        LOG.debug("rtpengine {}: probing with ping", instance.url());
        ng.send(instance, "ping", PING, true).whenComplete((reply, failure) -> {
            if (ng.isClosed() || !stillDown(instance, epoch)) {
                return;
            }
            if (failure == null && "pong".equals(reply.get("result"))) {
                if (instance.state.compareAndSet(RtpEngineInstance.DISABLED, RtpEngineInstance.ENABLED)) {
                    instance.epoch.incrementAndGet();
                    LOG.info("rtpengine {} answered the probe, enabled again", instance.url());
                }
            } else {
                LOG.debug("rtpengine {} still down: {}", instance.url(),
                        failure != null ? failure.getMessage() : reply);
                scheduleProbe(instance, epoch);
            }
        });
    }

    /** Configuration of an {@link RtpEngine}; defaults as Kamailio's rtpengine module. */
    public static final class Builder {
        private final List<RtpEngineInstance> instances = new ArrayList<>();
        private SipClock clock;
        private Duration timeout = Duration.ofSeconds(1);
        private int retries = 5;
        private Duration disableTimeout = Duration.ofSeconds(60);
        private int maxInFlight = 10_000;
        private InetSocketAddress bind;

        private Builder() {
        }

        /**
         * Adds an instance: {@code udp:HOST:PORT} or {@code udp:HOST:PORT=WEIGHT} ({@code udp:} may be left out,
         * IPv6 as {@code udp:[::1]:2223}); weight 1 by default.
         *
         * @throws IllegalArgumentException for a spec that does not parse or a host that does not resolve
         */
        public Builder instance(String spec) {
            return add(RtpEngineInstance.parse(spec));
        }

        /** Adds an instance at {@code address} (resolved) with {@code weight} (at least 1). */
        public Builder instance(InetSocketAddress address, int weight) {
            return add(new RtpEngineInstance(Objects.requireNonNull(address, "address"), weight));
        }

        private Builder add(RtpEngineInstance instance) {
            for (RtpEngineInstance i : instances) {
                if (i.url().equals(instance.url()) || i.address().equals(instance.address())) {
                    throw new IllegalArgumentException("rtpengine instance " + instance.url() + " given twice");
                }
            }
            instances.add(instance);
            return this;
        }

        /** The clock for timeouts and probes; by default a {@link SystemClock} owned and closed by the client. */
        public Builder clock(SipClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Time to wait for a reply per try (Kamailio {@code rtpengine_tout_ms}); 1 s by default. */
        public Builder timeout(Duration timeout) {
            if (timeout.toMillis() < 1) {
                throw new IllegalArgumentException("timeout must be at least 1 ms: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** Resends of an unanswered command before it times out (Kamailio {@code rtpengine_retr}); 5 by default. */
        public Builder retries(int retries) {
            if (retries < 0) {
                throw new IllegalArgumentException("retries must not be negative: " + retries);
            }
            this.retries = retries;
            return this;
        }

        /** How long a timed-out instance stays out before it is probed (Kamailio {@code rtpengine_disable_tout}). */
        public Builder disableTimeout(Duration disableTimeout) {
            if (disableTimeout.isNegative()) {
                throw new IllegalArgumentException("disableTimeout must not be negative: " + disableTimeout);
            }
            this.disableTimeout = disableTimeout;
            return this;
        }

        /** Commands pending at once before new ones fail with {@code OVERLOADED}; 10,000 by default. */
        public Builder maxInFlight(int maxInFlight) {
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
            }
            this.maxInFlight = maxInFlight;
            return this;
        }

        /**
         * Local address of the control socket. By default 127.0.0.1 on an ephemeral port when every instance is on
         * IPv4 loopback, otherwise the wildcard address on an ephemeral port.
         */
        public Builder bind(InetSocketAddress bind) {
            this.bind = Objects.requireNonNull(bind, "bind");
            return this;
        }

        /**
         * Opens the socket and starts the receiver thread.
         *
         * @throws IllegalStateException when no instance was given
         * @throws UncheckedIOException  when the socket cannot be opened or bound
         */
        public RtpEngine build() {
            if (instances.isEmpty()) {
                throw new IllegalStateException("an rtpengine set needs at least one instance");
            }
            InetSocketAddress local = bind != null ? bind : defaultBind();
            boolean owns = clock == null;
            SipClock c = owns ? new SystemClock() : clock;
            DatagramChannel ch = null;
            try {
                ch = DatagramChannel.open();
                trySetReceiveBuffer(ch);
                ch.bind(local);
                return new RtpEngine(this, instances, c, owns, ch);
            } catch (IOException | RuntimeException e) {
                if (ch != null) {
                    try {
                        ch.close();
                    } catch (IOException ignored) {
                        // already failing with the first error
                    }
                }
                if (owns) {
                    ((SystemClock) c).close();
                }
                if (e instanceof IOException io) {
                    throw new UncheckedIOException("cannot open the rtpengine ng socket on " + local, io);
                }
                throw (RuntimeException) e;
            }
        }

        private InetSocketAddress defaultBind() {
            for (RtpEngineInstance i : instances) {
                byte[] a = i.address().getAddress().getAddress();
                if (a.length != 4 || a[0] != 127) {
                    return new InetSocketAddress(0);
                }
            }
            return new InetSocketAddress("127.0.0.1", 0);
        }

        private static void trySetReceiveBuffer(DatagramChannel ch) {
            try {
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 1 << 20);
            } catch (IOException | UnsupportedOperationException e) {
                LOG.debug("SO_RCVBUF not set: {}", e.toString());
            }
        }
    }
}
