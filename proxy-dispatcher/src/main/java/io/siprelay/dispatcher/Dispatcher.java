package io.siprelay.dispatcher;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.TxKey;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Kamailio's dispatcher module as a Java object: destination sets, selection ({@code ds_select_dst}), failover
 * ({@code ds_next_dst}), OPTIONS probing with Kamailio's states, call load, reload and {@code dispatcher.list}.
 *
 * <pre>{@code
 * Dispatcher ds = Dispatcher.builder()
 *     .source(new ListFileSource(Path.of("dispatcher.list")))   // or JdbiDispatcherSource.h2(dataDir)
 *     .proxy(proxy)                                              // probes go out on the proxy's transactions
 *     .pingInterval(Duration.ofSeconds(5)).probeTimeout(Duration.ofSeconds(1))
 *     .probingThreshold(2).inactiveThreshold(1)
 *     .build();
 * ds.start();                                                    // after proxy.start(): begins probing
 *
 * Route toGateways = ctx -> {
 *     if (!ds.select(ctx, 1, Algorithm.WEIGHT)) {
 *         return ctx.reply(503, "No gateway");
 *     }
 *     ctx.onFailure(f -> !f.isCanceled() && ds.next(f) ? f.relay() : Step.next());
 *     return ctx.relay();
 * };
 * }</pre>
 *
 * <p>Selection is lock-free on an immutable snapshot of the sets; each destination's health is a small synchronized
 * object that survives {@link #reload()} while the destination stays in its set. Thread-safe.
 */
public final class Dispatcher implements AutoCloseable {

    private final Function<RequestContext, String> defaultHashKey;
    private final TxKey<Selection> selectionKey = TxKey.of("dispatcher.selection", Selection.class);
    private final StateChanges states;
    private final CallLoad callLoad;
    private final Selector selector;
    private final Prober prober;
    private final DispatcherAdmin admin;

    /** The loaded table; replaced whole, only by {@link DispatcherAdmin} under its lock. */
    volatile Snapshot snapshot;
    private volatile boolean started;
    volatile boolean closed;

    Dispatcher(DispatcherBuilder b) {
        DispatcherSource source = Objects.requireNonNull(b.source, "source: builder.source(...)");
        SipCodec codec = b.codec != null ? b.codec : SipCodec.create();
        SipClock clock = Objects.requireNonNull(b.clock, "clock: builder.clock(...) or builder.proxy(...)");
        this.states = new StateChanges(b.probingThreshold, b.inactiveThreshold, b.probingMode, b.listeners);
        this.callLoad = new CallLoad(this, clock, b.loadExpire.toMillis(), b.loadInitExpire.toMillis());
        this.defaultHashKey = b.hashKey;
        this.selector = new Selector(this, codec, callLoad, selectionKey);
        this.prober = new Prober(this, b, codec, clock, states); // picks or creates the probe executor
        this.admin = new DispatcherAdmin(this, source, codec, b.resolver, callLoad);
        this.snapshot = Snapshot.EMPTY;
        reload();
    }

    /** Starts configuring a dispatcher. */
    public static DispatcherBuilder builder() {
        return new DispatcherBuilder();
    }

    // ================================================================ lifecycle

    /**
     * Starts probing (when a ping interval and a sender are configured) and the expiry of call-load entries. Call it
     * after the proxy has started. The first probe round runs at once.
     */
    public synchronized Dispatcher start() {
        if (started || closed) {
            return this;
        }
        started = true;
        prober.start();
        callLoad.start();
        return this;
    }

    @Override
    public synchronized void close() {
        closed = true;
        prober.cancelTimer();
        callLoad.cancelTimer();
        prober.shutdownExecutor();
    }

    /** Adds a listener for destinations going up or down ({@code event_route[dispatcher:dst-up|dst-down]}). */
    public void onEvent(Consumer<DispatcherEvent> listener) {
        states.addListener(Objects.requireNonNull(listener));
    }

    // ================================================================ selection

    /**
     * {@code ds_select_dst(set, alg)}: picks a destination of {@code setId} and sets it as the request's destination
     * ({@code $du}); the other usable destinations, in failover order, are remembered for {@link #next}. Returns
     * false (and changes nothing) when the set does not exist or has no usable destination. For
     * {@link Algorithm#PARALLEL} every usable destination becomes a parallel branch. For {@link Algorithm#CALL_LOAD}
     * the call is counted against the chosen destination's duid until its BYE ({@link #loadUpdate}), a failure
     * reply, or expiry.
     */
    public boolean select(RequestContext ctx, int setId, Algorithm alg) {
        return selector.select(ctx, setId, alg, defaultHashKey, false, 0);
    }

    /** {@code ds_select_dst(set, 7)} with the hash key computed by {@code hashKey} (Kamailio's {@code hash_pvar}). */
    public boolean select(RequestContext ctx, int setId, Algorithm alg, Function<RequestContext, String> hashKey) {
        return selector.select(ctx, setId, alg, hashKey, false, 0);
    }

    /** {@code ds_select_dst(set, alg, limit)}: at most {@code limit} destinations in all (the chosen + failover). */
    public boolean select(RequestContext ctx, int setId, Algorithm alg, int limit) {
        return selector.select(ctx, setId, alg, defaultHashKey, false, limit);
    }

    /** {@code ds_select_domain(set, alg)}: like {@link #select} but rewrites the Request-URI's host and port. */
    public boolean selectDomain(RequestContext ctx, int setId, Algorithm alg) {
        return selector.select(ctx, setId, alg, defaultHashKey, true, 0);
    }

    /**
     * {@code ds_next_dst()} / {@code ds_next_domain()} (the mode follows the select): in a failure route, moves on to
     * the next usable destination of the last {@link #select}; returns false when none is left. Destinations that
     * went down since the select are skipped; with call load (10) the call moves to the new destination's count.
     */
    public boolean next(RequestContext ctx) {
        return selector.next(ctx);
    }

    /** The selection of this transaction (set, algorithm, current destination, what is left), or null. */
    public Selection selection(RequestContext ctx) {
        return ctx.get(selectionKey);
    }

    /**
     * The destinations {@code select} would use, in order (first = chosen, then failover), for a request whose hash
     * key is {@code hashKey} (ignored by non-hash algorithms). Advances round-robin and weight counters exactly as a
     * real selection does. {@link Algorithm#CALL_LOAD} orders by current load and leaves out full destinations.
     */
    public List<Destination> candidates(int setId, Algorithm alg, String hashKey) {
        return selector.candidates(setId, alg, hashKey);
    }

    // ================================================================ state

    /**
     * {@code ds_mark_dst(state)}: marks the destination chosen last for this request ({@code a}, {@code i},
     * {@code t}, {@code d}, optionally with {@code p}). {@code t} counts as a failed probe: the destination turns
     * inactive once the probing threshold is reached. Returns false when nothing was selected.
     */
    public boolean mark(RequestContext ctx, String state) {
        Selection sel = ctx.get(selectionKey);
        if (sel == null || sel.current == null) {
            return false;
        }
        int bits = DsFlags.parseState(state);
        if ((bits & ~DsFlags.PROBING) == DsFlags.TRYING) {
            states.recordResult(sel.current, false, DispatcherEvent.Cause.MARK);
        } else {
            states.changeState(sel.current, bits, DispatcherEvent.Cause.MARK);
        }
        return true;
    }

    /**
     * {@code dispatcher.set_state <state> <set> <uri|all>}: sets {@code a|i|t|d[p]} on the matching destinations;
     * returns how many. {@code DX} (disabled) is never selected and never changed by probes. Fires events.
     */
    public int setState(String state, int setId, String uri) {
        int bits = DsFlags.parseState(state);
        DsSet set = snapshot.sets.get(setId);
        if (set == null) {
            return 0;
        }
        int n = 0;
        for (Destination d : set.dests) {
            if ("all".equalsIgnoreCase(uri) || d.uri().equals(uri)) {
                states.changeState(d, bits, DispatcherEvent.Cause.ADMIN);
                n++;
            }
        }
        return n;
    }

    /** A destination of a set, or null. */
    public Destination destination(int setId, String uri) {
        DsSet set = snapshot.sets.get(setId);
        if (set == null) {
            return null;
        }
        for (Destination d : set.dests) {
            if (d.uri().equals(uri)) {
                return d;
            }
        }
        return null;
    }

    /** The destinations of a set in its order (priority, highest first), or an empty list. */
    public List<Destination> destinations(int setId) {
        DsSet set = snapshot.sets.get(setId);
        return set == null ? List.of() : set.dests;
    }

    /** The ids of the loaded sets. */
    public List<Integer> setIds() {
        return List.copyOf(snapshot.sets.keySet());
    }

    /**
     * {@code ds_is_from_list(set)}: true when the request's source address (and port, unless {@code ignorePort})
     * is a destination of {@code setId} ({@code -1}: any set). Protocol is ignored, as in Kamailio's default mode.
     */
    public boolean isFromSet(RequestContext ctx, int setId, boolean ignorePort) {
        return fromSet(ctx, setId, ignorePort) != null;
    }

    /** {@code ds_is_from_list(set)} with the port compared. */
    public boolean isFromSet(RequestContext ctx, int setId) {
        return isFromSet(ctx, setId, false);
    }

    /** The destination the request came from (first match), or null. */
    public Destination fromSet(RequestContext ctx, int setId, boolean ignorePort) {
        InetAddress src = ctx.source().remote().getAddress();
        int port = ctx.sourcePort();
        for (DsSet set : snapshot.sets.values()) {
            if (setId >= 0 && set.id != setId) {
                continue;
            }
            for (Destination d : set.dests) {
                if (d.address() != null && d.address().equals(src)) {
                    int dp = d.port() > 0 ? d.port() : d.uri().startsWith("sips:") ? 5061 : 5060;
                    if (ignorePort || dp == port) {
                        return d;
                    }
                }
            }
        }
        return null;
    }

    // ================================================================ call load (algorithm 10)

    /** Active calls counted for a duid. */
    public int load(String duid) {
        return callLoad.load(duid);
    }

    /**
     * {@code ds_load_update()}: call it in the request route for in-dialog requests; a BYE or CANCEL ends the
     * call's load. Harmless for calls that were not counted.
     */
    public void loadUpdate(RequestContext ctx) {
        callLoad.update(ctx);
    }

    /** {@code ds_load_unset()}: forgets the call's load (failure route without failover). */
    public void loadUnset(RequestContext ctx) {
        callLoad.release(ctx.callId());
    }

    // ================================================================ probing

    /** Sends one probe round now (the timer does this every ping interval). */
    public void probeAll() {
        prober.probeAll();
    }

    // ================================================================ reload, add, remove

    /**
     * {@code dispatcher.reload}: reads the source again, validates every entry (SIP URI, resolvable host unless flag
     * 16, attrs), and only then swaps the sets in one step. Destinations that stay (same set and URI) keep their
     * health state, counters and latency statistics; configured flag changes (disabled, probing, no ping) are applied.
     * Call-load counts are kept (they are per duid). On any error nothing changes.
     *
     * @return the number of destinations loaded
     * @throws DispatcherReloadException naming the entry that was refused
     */
    public int reload() {
        return admin.reload();
    }

    /**
     * {@code dispatcher.add}: adds a destination. It is stored in the source when the source is writable (the
     * {@code dispatcher} table), so it survives reloads; a read-only source (list file) keeps it in memory until the
     * next reload. Validated like a reload.
     */
    public DispatcherEntry add(DispatcherEntry entry) {
        return admin.add(entry);
    }

    /** {@code dispatcher.remove}: removes a destination from a set (and from a writable source). Returns how many. */
    public int remove(int setId, String destination) {
        return admin.remove(setId, destination);
    }

    // ================================================================ dispatcher.list

    /** {@code dispatcher.list}: sets and destinations with state, priority, attrs, latency and call load. */
    public DispatcherList list() {
        return admin.list();
    }

    // ================================================================ internals

    /** Host name resolution at load; tests replace it. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress resolve(String host) throws UnknownHostException;
    }

    /**
     * What {@link #select} chose for one transaction: kept in a per-transaction variable so that {@link #next} and
     * {@link #mark} in the failure route know where the call went and what is left.
     */
    public static final class Selection {
        private final int setId;
        private final Algorithm algorithm;
        final boolean domain;
        final Deque<Destination> remaining = new ArrayDeque<>();
        volatile Destination current;
        String callId;

        Selection(int setId, Algorithm algorithm, boolean domain) {
            this.setId = setId;
            this.algorithm = algorithm;
            this.domain = domain;
        }

        public int setId() {
            return setId;
        }

        public Algorithm algorithm() {
            return algorithm;
        }

        /** The destination in use now. */
        public Destination current() {
            return current;
        }

        /** Failover candidates not tried yet, in order. */
        public List<Destination> remaining() {
            return List.copyOf(remaining);
        }
    }

}
