package io.siprelay.dispatcher;

import io.siprelay.core.SipProxy;
import io.siprelay.core.clock.SipClock;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.ReplyContext;
import io.siprelay.core.route.ReplyRoute;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Target;
import io.siprelay.core.route.TxKey;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private static final Pattern USERNAME = Pattern.compile("username\\s*=\\s*\"?([^\",]*)\"?",
            Pattern.CASE_INSENSITIVE);

    private final DispatcherSource source;
    private final ProbeSender sender;
    private final SipCodec codec;
    private final SipClock clock;
    private final long pingIntervalMillis;
    private final long probeTimeoutMillis;
    private final int probingThreshold;
    private final int inactiveThreshold;
    private final int probingMode;
    private final String pingMethod;
    private final String pingFrom;
    private final ReplyCodes replyCodes;
    private final double latencyAlpha;
    private final long loadExpireMillis;
    private final long loadInitExpireMillis;
    private final Resolver resolver;
    private final Function<RequestContext, String> defaultHashKey;
    private final List<Consumer<DispatcherEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Executor probeExecutor;
    private final ExecutorService ownedExecutor;
    private final TxKey<Selection> selectionKey = TxKey.of("dispatcher.selection", Selection.class);

    private volatile Snapshot snapshot;
    private final Object writeLock = new Object();
    private final AtomicLong probeSeq = new AtomicLong();
    // call load (algorithm 10)
    private final ConcurrentHashMap<String, Call> calls = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicInteger> loads = new ConcurrentHashMap<>();
    private volatile boolean started;
    private volatile boolean closed;
    private volatile SipClock.Timer pingTimer;
    private volatile SipClock.Timer sweepTimer;

    Dispatcher(DispatcherBuilder b) {
        this.source = Objects.requireNonNull(b.source, "source: builder.source(...)");
        this.sender = b.sender;
        this.codec = b.codec != null ? b.codec : SipCodec.create();
        this.clock = Objects.requireNonNull(b.clock, "clock: builder.clock(...) or builder.proxy(...)");
        this.pingIntervalMillis = b.pingInterval.toMillis();
        this.probeTimeoutMillis = b.probeTimeout.toMillis();
        this.probingThreshold = b.probingThreshold;
        this.inactiveThreshold = b.inactiveThreshold;
        this.probingMode = b.probingMode;
        this.pingMethod = b.pingMethod;
        this.pingFrom = b.pingFrom;
        this.replyCodes = b.replyCodes;
        this.latencyAlpha = b.latencyAlpha;
        this.loadExpireMillis = b.loadExpire.toMillis();
        this.loadInitExpireMillis = b.loadInitExpire.toMillis();
        this.resolver = b.resolver;
        this.defaultHashKey = b.hashKey;
        this.listeners.addAll(b.listeners);
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
        if (pingIntervalMillis > 0 && sender != null) {
            pingTimer = clock.schedule(0, this::pingTick);
        }
        sweepTimer = clock.schedule(30_000, this::sweepTick);
        return this;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (pingTimer != null) {
            pingTimer.cancel();
        }
        if (sweepTimer != null) {
            sweepTimer.cancel();
        }
        if (ownedExecutor != null) {
            ownedExecutor.shutdownNow();
        }
    }

    /** Adds a listener for destinations going up or down ({@code event_route[dispatcher:dst-up|dst-down]}). */
    public void onEvent(Consumer<DispatcherEvent> listener) {
        listeners.add(Objects.requireNonNull(listener));
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
        return select(ctx, setId, alg, defaultHashKey, false, 0);
    }

    /** {@code ds_select_dst(set, 7)} with the hash key computed by {@code hashKey} (Kamailio's {@code hash_pvar}). */
    public boolean select(RequestContext ctx, int setId, Algorithm alg, Function<RequestContext, String> hashKey) {
        return select(ctx, setId, alg, hashKey, false, 0);
    }

    /** {@code ds_select_dst(set, alg, limit)}: at most {@code limit} destinations in all (the chosen + failover). */
    public boolean select(RequestContext ctx, int setId, Algorithm alg, int limit) {
        return select(ctx, setId, alg, defaultHashKey, false, limit);
    }

    /** {@code ds_select_domain(set, alg)}: like {@link #select} but rewrites the Request-URI's host and port. */
    public boolean selectDomain(RequestContext ctx, int setId, Algorithm alg) {
        return select(ctx, setId, alg, defaultHashKey, true, 0);
    }

    private boolean select(RequestContext ctx, int setId, Algorithm alg, Function<RequestContext, String> hashKey,
                           boolean domain, int limit) {
        Objects.requireNonNull(alg, "algorithm");
        String key = alg.isHash() ? hashKey(ctx, alg, hashKey) : null;
        Algorithm effective = alg == Algorithm.AUTH_USERNAME && key == null ? Algorithm.ROUND_ROBIN : alg;
        List<Destination> order = candidates(setId, effective, key);
        if (limit > 0 && order.size() > limit) {
            order = order.subList(0, limit);
        }
        if (order.isEmpty()) {
            return false;
        }
        Destination first = order.get(0);
        Selection sel = new Selection(setId, alg, domain);
        if (alg == Algorithm.PARALLEL) {
            String ruri = ctx.requestUri();
            apply(ctx, first, domain);
            for (Destination d : order.subList(1, order.size())) {
                ctx.appendBranch(domain ? new Target(rewriteHostPort(ruri, d), null, 1.0f)
                        : new Target(ruri, d.uri(), 1.0f));
            }
            sel.current = first;
            ctx.set(selectionKey, sel);
            return true;
        }
        if (alg == Algorithm.CALL_LOAD && ctx.isMethod(Request.INVITE)) {
            String callId = ctx.callId();
            if (!reserve(callId, first)) {
                return false;
            }
            sel.callId = callId;
            hookReplies(ctx);
        }
        apply(ctx, first, domain);
        sel.current = first;
        sel.remaining.addAll(order.subList(1, order.size()));
        ctx.set(selectionKey, sel);
        return true;
    }

    /**
     * {@code ds_next_dst()} / {@code ds_next_domain()} (the mode follows the select): in a failure route, moves on to
     * the next usable destination of the last {@link #select}; returns false when none is left. Destinations that
     * went down since the select are skipped; with call load (10) the call moves to the new destination's count.
     */
    public boolean next(RequestContext ctx) {
        Selection sel = ctx.get(selectionKey);
        if (sel == null) {
            return false;
        }
        while (!sel.remaining.isEmpty()) {
            Destination d = sel.remaining.pollFirst();
            if (!d.isUsable()) {
                continue;
            }
            if (sel.callId != null) {
                release(sel.callId);
                if (!reserve(sel.callId, d)) {
                    continue;
                }
                hookReplies(ctx);
            }
            apply(ctx, d, sel.domain);
            sel.current = d;
            return true;
        }
        if (sel.callId != null) {
            release(sel.callId);
        }
        return false;
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
        DsSet set = snapshot.sets.get(setId);
        if (set == null) {
            return List.of();
        }
        List<Destination> usable = new ArrayList<>(set.dests.size());
        for (Destination d : set.dests) {
            if (d.isUsable()) {
                usable.add(d);
            }
        }
        if (usable.isEmpty()) {
            return List.of();
        }
        switch (alg) {
            case CALL_ID, FROM_URI, TO_URI, REQUEST_URI, AUTH_USERNAME, HASH_KEY -> {
                if (hashKey == null) {
                    return rotate(usable, set.rr);
                }
                long k = Hashing.hash64(hashKey);
                usable.sort(Comparator.comparingLong((Destination d) -> Hashing.score(k, d.hashSeed)).reversed());
                return usable;
            }
            case ROUND_ROBIN -> {
                return rotate(usable, set.rr);
            }
            case RANDOM -> {
                Destination pick = usable.remove(ThreadLocalRandom.current().nextInt(usable.size()));
                usable.add(0, pick);
                return usable;
            }
            case PRIORITY, PARALLEL -> {
                return usable; // a set is kept in priority order
            }
            case WEIGHT -> {
                return firstThenRest(usable, set.weights.pick(usable, d -> set.percent.get(d)));
            }
            case RELATIVE_WEIGHT -> {
                return firstThenRest(usable, set.rweights.pick(usable, d -> Math.max(0, d.attrs().rweight())));
            }
            case CALL_LOAD -> {
                List<Destination> open = new ArrayList<>();
                for (Destination d : usable) {
                    int max = d.attrs().maxload();
                    if (max == 0 || load(d.duid()) < max) {
                        open.add(d);
                    }
                }
                open.sort(Comparator.comparingInt(d -> load(d.duid())));
                return open;
            }
            case LATENCY -> {
                usable.sort(Comparator.comparingLong(Dispatcher::adjustedPriority).reversed());
                long best = adjustedPriority(usable.get(0));
                int ties = 0;
                while (ties < usable.size() && adjustedPriority(usable.get(ties)) == best) {
                    ties++;
                }
                List<Destination> top = rotate(usable.subList(0, ties), set.rr);
                List<Destination> out = new ArrayList<>(top);
                out.addAll(usable.subList(ties, usable.size()));
                return out;
            }
            default -> throw new IllegalArgumentException("unsupported algorithm " + alg);
        }
    }

    private static long adjustedPriority(Destination d) {
        int p = d.priority();
        double est = d.health().estimate();
        return Math.round(p - est / (p > 0 ? p : 1));
    }

    private static List<Destination> rotate(List<Destination> usable, AtomicLong counter) {
        int n = usable.size();
        int start = (int) Math.floorMod(counter.getAndIncrement(), (long) n);
        List<Destination> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(usable.get((start + i) % n));
        }
        return out;
    }

    private static List<Destination> firstThenRest(List<Destination> usable, Destination first) {
        if (first == null) {
            return usable;
        }
        List<Destination> out = new ArrayList<>(usable.size());
        out.add(first);
        for (Destination d : usable) {
            if (d != first) {
                out.add(d);
            }
        }
        return out;
    }

    private String hashKey(RequestContext ctx, Algorithm alg, Function<RequestContext, String> fn) {
        return switch (alg) {
            case CALL_ID -> ctx.callId();
            case FROM_URI -> userAtHost(ctx.fromUser(), ctx.fromDomain(), ctx.fromUri());
            case TO_URI -> userAtHost(ctx.toUser(), null, ctx.toUri());
            case REQUEST_URI -> requestUriKey(ctx);
            case AUTH_USERNAME -> authUser(ctx);
            case HASH_KEY -> {
                if (fn == null) {
                    throw new IllegalStateException("algorithm 7 needs a hash key: select(ctx, set, HASH_KEY, fn) or"
                            + " builder.hashKey(fn)");
                }
                yield fn.apply(ctx);
            }
            default -> null;
        };
    }

    private static String userAtHost(String user, String host, String whole) {
        if (host == null) {
            return whole;
        }
        return user == null ? host : user + "@" + host;
    }

    private static String requestUriKey(RequestContext ctx) {
        URI u = ctx.request().getRequestURI();
        if (u instanceof SipURI s) {
            StringBuilder b = new StringBuilder();
            if (s.getUser() != null) {
                b.append(s.getUser()).append('@');
            }
            b.append(s.getHost());
            int port = s.getPort();
            if (port > 0 && port != 5060 && port != 5061) {
                b.append(':').append(port);
            }
            return b.toString();
        }
        return u.toString();
    }

    private static String authUser(RequestContext ctx) {
        for (String h : new String[] {"Authorization", "Proxy-Authorization"}) {
            String v = ctx.header(h);
            if (v != null) {
                Matcher m = USERNAME.matcher(v);
                if (m.find() && !m.group(1).isEmpty()) {
                    return m.group(1);
                }
            }
        }
        return null;
    }

    private void apply(RequestContext ctx, Destination d, boolean domain) {
        if (domain) {
            ctx.setRequestUri(rewriteHostPort(ctx.requestUri(), d));
        } else {
            ctx.setDestination(d.uri());
        }
    }

    private String rewriteHostPort(String ruri, Destination d) {
        try {
            URI u = codec.addressFactory().createURI(ruri);
            if (u instanceof SipURI s) {
                s.setHost(d.host());
                if (d.port() > 0) {
                    s.setPort(d.port());
                } else {
                    s.removePort();
                }
                return s.toString();
            }
            return ruri;
        } catch (ParseException e) {
            throw new IllegalArgumentException("cannot rewrite " + ruri + " to " + d.uri(), e);
        }
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
            recordResult(sel.current, false, DispatcherEvent.Cause.MARK);
        } else {
            changeState(sel.current, bits, DispatcherEvent.Cause.MARK);
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
                changeState(d, bits, DispatcherEvent.Cause.ADMIN);
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

    private void changeState(Destination d, int bits, DispatcherEvent.Cause cause) {
        Health h = d.health();
        int before;
        int after;
        synchronized (h) {
            before = h.flags();
            after = (before & ~(DsFlags.INACTIVE | DsFlags.TRYING | DsFlags.DISABLED | DsFlags.PROBING)) | bits;
            h.flags(after);
            h.failures = 0;
            h.successes = 0;
        }
        fire(d, before, after, cause);
    }

    private void recordResult(Destination d, boolean ok, DispatcherEvent.Cause cause) {
        Health h = d.health();
        int before;
        int after;
        synchronized (h) {
            before = h.flags();
            int f = before;
            if ((f & DsFlags.DISABLED) != 0) {
                return; // DX: only an administrator changes it
            }
            if (ok) {
                h.failures = 0;
                if ((f & DsFlags.INACTIVE) != 0) {
                    h.successes++;
                    if (h.successes >= inactiveThreshold) {
                        f &= ~(DsFlags.INACTIVE | DsFlags.TRYING);
                        h.successes = 0;
                        if (probingMode == 0) {
                            f &= ~DsFlags.PROBING;
                        }
                    }
                } else {
                    f &= ~DsFlags.TRYING;
                    if (probingMode == 0) {
                        f &= ~DsFlags.PROBING; // mode 0: one probe, then the flag is gone
                    }
                }
            } else {
                h.successes = 0;
                if ((f & DsFlags.INACTIVE) == 0) {
                    h.failures++;
                    if (h.failures >= probingThreshold) {
                        f = (f & ~DsFlags.TRYING) | DsFlags.INACTIVE | DsFlags.PROBING;
                        h.failures = 0;
                    } else {
                        f |= DsFlags.TRYING;
                    }
                }
            }
            h.flags(f);
            after = f;
        }
        fire(d, before, after, cause);
    }

    private void fire(Destination d, int before, int after, DispatcherEvent.Cause cause) {
        if (before == after) {
            return;
        }
        boolean wasUp = (before & (DsFlags.INACTIVE | DsFlags.DISABLED)) == 0;
        boolean isUp = (after & (DsFlags.INACTIVE | DsFlags.DISABLED)) == 0;
        String from = DsFlags.letters(before);
        String to = DsFlags.letters(after);
        if (wasUp == isUp) {
            LOG.debug("dispatcher set {} {}: {} -> {} ({})", d.setId(), d.uri(), from, to, cause);
            return;
        }
        DispatcherEvent e = new DispatcherEvent(isUp ? DispatcherEvent.Type.UP : DispatcherEvent.Type.DOWN,
                d.setId(), d.uri(), from, to, cause);
        LOG.info("dispatcher set {} {} is {}: {} -> {} ({})", d.setId(), d.uri(), isUp ? "up" : "down", from, to,
                cause);
        for (Consumer<DispatcherEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                LOG.warn("dispatcher event listener failed on {}", e, ex);
            }
        }
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
        AtomicInteger n = loads.get(duid);
        return n == null ? 0 : n.get();
    }

    /**
     * {@code ds_load_update()}: call it in the request route for in-dialog requests; a BYE or CANCEL ends the
     * call's load. Harmless for calls that were not counted.
     */
    public void loadUpdate(RequestContext ctx) {
        if (ctx.isMethod(Request.BYE) || ctx.isMethod(Request.CANCEL)) {
            release(ctx.callId());
        }
    }

    /** {@code ds_load_unset()}: forgets the call's load (failure route without failover). */
    public void loadUnset(RequestContext ctx) {
        release(ctx.callId());
    }

    private boolean reserve(String callId, Destination d) {
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

    private void release(String callId) {
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
     * context's reply route, so {@link #next} hooks again.
     */
    private void hookReplies(RequestContext ctx) {
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
        if (closed) {
            return;
        }
        long now = clock.millis();
        calls.forEach((id, c) -> {
            if (c.expiresAt <= now && calls.remove(id, c)) {
                decrement(c.duid);
            }
        });
        sweepTimer = clock.schedule(30_000, this::sweepTick);
    }

    private static final class Call {
        final String duid;
        volatile long expiresAt;

        Call(String duid, long expiresAt) {
            this.duid = duid;
            this.expiresAt = expiresAt;
        }
    }

    // ================================================================ probing

    private void pingTick() {
        if (closed) {
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

    /** Sends one probe round now (the timer does this every ping interval). */
    public void probeAll() {
        if (sender == null) {
            throw new IllegalStateException("no probe sender: builder.proxy(proxy) or builder.sender(...)");
        }
        for (DsSet set : snapshot.sets.values()) {
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
        recordResult(d, ok, DispatcherEvent.Cause.PROBE);
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
        List<DispatcherEntry> entries;
        try {
            entries = source.load();
        } catch (Exception e) {
            throw new DispatcherReloadException("dispatcher reload refused: cannot read the source: " + e.getMessage(),
                    null, e);
        }
        synchronized (writeLock) {
            Snapshot next = build(entries, snapshot);
            snapshot = next;
            LOG.info("dispatcher loaded {} destinations in {} sets", entries.size(), next.sets.size());
            return entries.size();
        }
    }

    /**
     * {@code dispatcher.add}: adds a destination. It is stored in the source when the source is writable (the
     * {@code dispatcher} table), so it survives reloads; a read-only source (list file) keeps it in memory until the
     * next reload. Validated like a reload.
     */
    public DispatcherEntry add(DispatcherEntry entry) {
        synchronized (writeLock) {
            List<DispatcherEntry> all = new ArrayList<>(snapshot.entries);
            all.add(entry);
            Snapshot next = build(all, snapshot); // validate before storing
            DispatcherEntry stored = entry;
            try {
                stored = source.insert(entry);
                all.set(all.size() - 1, stored);
                next = build(all, snapshot);
            } catch (UnsupportedOperationException e) {
                LOG.info("dispatcher source is read-only: {} is kept in memory only", entry.label());
            } catch (Exception e) {
                throw new DispatcherReloadException("cannot store " + entry.label() + ": " + e.getMessage(), entry, e);
            }
            snapshot = next;
            return stored;
        }
    }

    /** {@code dispatcher.remove}: removes a destination from a set (and from a writable source). Returns how many. */
    public int remove(int setId, String destination) {
        synchronized (writeLock) {
            List<DispatcherEntry> all = new ArrayList<>();
            int n = 0;
            for (DispatcherEntry e : snapshot.entries) {
                if (e.setId() == setId && e.destination().equals(destination)) {
                    n++;
                } else {
                    all.add(e);
                }
            }
            if (n == 0) {
                return 0;
            }
            try {
                source.delete(setId, destination);
            } catch (UnsupportedOperationException e) {
                LOG.info("dispatcher source is read-only: removal of {} is in memory only", destination);
            } catch (Exception e) {
                throw new DispatcherReloadException("cannot delete set " + setId + " destination " + destination
                        + ": " + e.getMessage(), null, e);
            }
            snapshot = build(all, snapshot);
            return n;
        }
    }

    private Snapshot build(List<DispatcherEntry> entries, Snapshot old) {
        Map<Integer, List<Destination>> bySet = new LinkedHashMap<>();
        for (DispatcherEntry e : entries) {
            Destination d = validate(e, old);
            bySet.computeIfAbsent(e.setId(), k -> new ArrayList<>()).add(d);
        }
        Map<Integer, DsSet> sets = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<Destination>> s : bySet.entrySet()) {
            List<Destination> ds = s.getValue();
            ds.sort(Comparator.comparingInt(Destination::priority).reversed()); // stable: ties keep source order
            sets.put(s.getKey(), new DsSet(s.getKey(), List.copyOf(ds)));
        }
        return new Snapshot(List.copyOf(entries), Map.copyOf(sets));
    }

    private Destination validate(DispatcherEntry e, Snapshot old) {
        URI u;
        try {
            u = codec.addressFactory().createURI(e.destination());
        } catch (ParseException | RuntimeException ex) {
            throw refuse(e, "bad URI: " + ex.getMessage(), ex);
        }
        if (!(u instanceof SipURI s) || s.getHost() == null || s.getHost().isEmpty()) {
            throw refuse(e, "not a sip: or sips: URI with a host", null);
        }
        if (e.attrs().weight() < 0 || e.attrs().rweight() < 0) {
            throw refuse(e, "negative weight", null);
        }
        InetAddress addr = null;
        if ((e.flags() & DsFlags.NODNS) == 0) {
            try {
                addr = resolver.resolve(s.getHost());
            } catch (UnknownHostException ex) {
                throw refuse(e, "unresolvable host " + s.getHost(), ex);
            }
        }
        Destination prev = old.find(e.setId(), e.destination());
        Health h;
        if (prev != null) {
            h = prev.health();
            h.reconfigure(e.flags());
        } else {
            h = new Health(e.flags(), e.attrs().initialLatency());
        }
        return new Destination(e, s.getHost(), Math.max(0, s.getPort()), addr, h);
    }

    private static DispatcherReloadException refuse(DispatcherEntry e, String why, Throwable cause) {
        return new DispatcherReloadException("dispatcher reload refused: " + e.label() + ": " + why, e, cause);
    }

    // ================================================================ dispatcher.list

    /** {@code dispatcher.list}: sets and destinations with state, priority, attrs, latency and call load. */
    public DispatcherList list() {
        Snapshot s = snapshot;
        List<DispatcherList.Record> records = new ArrayList<>();
        List<Integer> ids = new ArrayList<>(s.sets.keySet());
        ids.sort(null);
        for (int id : ids) {
            List<DispatcherList.Target> targets = new ArrayList<>();
            for (Destination d : s.sets.get(id).dests) {
                Attrs a = d.attrs();
                DispatcherList.DestAttrs attrs = a.all().isEmpty() ? null : new DispatcherList.DestAttrs(a.body(),
                        a.duid(), a.maxload(), a.weight(), a.rweight(), a.socket(), a.pingFrom());
                LatencyStats l = d.latency();
                AtomicInteger load = loads.get(d.duid());
                targets.add(new DispatcherList.Target(new DispatcherList.Dest(d.uri(), d.state(), d.priority(), attrs,
                        new DispatcherList.Latency(round(l.avg()), round(l.std()), round(l.est()), l.max(),
                                l.timeout()),
                        load == null ? null : new DispatcherList.Runtime(load.get()))));
            }
            records.add(new DispatcherList.Record(new DispatcherList.Set(id, List.copyOf(targets))));
        }
        return new DispatcherList(ids.size(), List.copyOf(records));
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
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
        private final boolean domain;
        private final Deque<Destination> remaining = new ArrayDeque<>();
        private volatile Destination current;
        private String callId;

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
