package io.siprelay.core.blocks;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Per-source flood detection, Kamailio's {@code pike} module ({@code pike_check_req()}) together with the
 * {@code ipban} table of the default configuration: each source address may send {@code density} requests per
 * sampling window; the request that goes over that blocks the source for the block time, during which every request
 * from it is refused. After the block time the source starts again with an empty window.
 *
 * <p>Time comes from the injected {@link SipClock}; there are no timers or threads: windows and blocks expire lazily
 * when the source is seen again. Memory is bounded: at most {@code maxSources} addresses are tracked, in lock-striped
 * access-ordered maps that evict the least recently seen address (a blocked source that keeps sending is always
 * recently seen, so it is not evicted by a spray of other addresses; an idle one may be, which only forgets it).
 */
public final class FloodDetector {

    /** What {@link #check} decided, as {@code pike_check_req()}'s 1 / -2 / -1. */
    public enum Verdict {
        /** within the limit */
        OK,
        /** this request went over the limit: the source is blocked from now on */
        NEWLY_BLOCKED,
        /** the source is blocked */
        BLOCKED
    }

    private static final int STRIPES = 16;

    private final SipClock clock;
    private final long samplingMillis;
    private final int density;
    private final long blockMillis;
    private final long retainMillis;
    private final int maxSources;
    private final Set<InetAddress> trusted;
    private final Stripe[] stripes;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder blocks = new LongAdder();

    private FloodDetector(Builder b) {
        this.clock = Objects.requireNonNull(b.clock, "clock");
        this.samplingMillis = b.sampling.toMillis();
        this.density = b.density;
        this.blockMillis = b.block.toMillis();
        this.retainMillis = Math.max(samplingMillis, blockMillis);
        this.maxSources = b.maxSources;
        this.trusted = Set.copyOf(b.trusted);
        int n = Math.min(STRIPES, maxSources);
        this.stripes = new Stripe[n];
        for (int i = 0; i < n; i++) {
            // the stripe capacities add up to maxSources exactly
            stripes[i] = new Stripe(maxSources / n + (i < maxSources % n ? 1 : 0));
        }
    }

    /** A detector on {@code clock} with Kamailio's default-configuration figures: 16 requests per 2 s, blocked 300 s. */
    public static FloodDetector create(SipClock clock) {
        return builder(clock).build();
    }

    public static Builder builder(SipClock clock) {
        return new Builder(clock);
    }

    /** Counts one request from {@code source} and says whether it may pass. Trusted addresses always pass. */
    public Verdict check(InetAddress source) {
        if (trusted.contains(source)) {
            return Verdict.OK;
        }
        Stripe s = stripes[Math.floorMod(source.hashCode() * 0x9E3779B9, stripes.length)];
        long now = clock.millis();
        Verdict v;
        synchronized (s) {
            Entry e = s.map.get(source);
            if (e == null) {
                s.purgeExpired(now, retainMillis);
                e = new Entry(now);
                s.map.put(source, e);
            }
            v = e.hit(now, samplingMillis, density, blockMillis);
        }
        if (v == Verdict.NEWLY_BLOCKED) {
            blocks.increment();
        }
        return v;
    }

    /** {@link #check(InetAddress)} for an IP literal. */
    public Verdict check(String ip) {
        return check(literal(ip));
    }

    /**
     * True when {@code ip} is blocked now. Does not count a request (unlike {@link #check}), so it can be asked
     * from management code.
     */
    public boolean isFlooding(String ip) {
        return isFlooding(literal(ip));
    }

    public boolean isFlooding(InetAddress ip) {
        Stripe s = stripes[Math.floorMod(ip.hashCode() * 0x9E3779B9, stripes.length)];
        long now = clock.millis();
        synchronized (s) {
            Entry e = s.map.get(ip);
            return e != null && now < e.blockedUntil;
        }
    }

    /**
     * A block ({@code route[ANTIFLOOD]}) that counts every request by its source address and drops it silently while
     * the source is blocked. Put it first: a flood should cost as little as possible.
     */
    public Route dropFlooders() {
        return new Route() {
            @Override
            public Step handle(RequestContext ctx) {
                if (check(ctx.source().remote().getAddress()) != Verdict.OK) {
                    dropped.increment();
                    return ctx.drop();
                }
                return Step.next();
            }

            @Override
            public String name() {
                return "ANTIFLOOD";
            }
        };
    }

    /** Requests dropped by {@link #dropFlooders()}. */
    public long dropped() {
        return dropped.sum();
    }

    /** How many times a source became blocked. */
    public long blocksStarted() {
        return blocks.sum();
    }

    /** Addresses tracked now (never more than {@link #maxSources()}). */
    public int trackedSources() {
        int n = 0;
        for (Stripe s : stripes) {
            synchronized (s) {
                n += s.map.size();
            }
        }
        return n;
    }

    public int maxSources() {
        return maxSources;
    }

    /** The addresses blocked now (Kamailio's {@code pike.top} for blocked nodes). */
    public List<String> blockedSources() {
        long now = clock.millis();
        List<String> out = new ArrayList<>();
        for (Stripe s : stripes) {
            synchronized (s) {
                for (Map.Entry<InetAddress, Entry> e : s.map.entrySet()) {
                    if (now < e.getValue().blockedUntil) {
                        out.add(e.getKey().getHostAddress());
                    }
                }
            }
        }
        return out;
    }

    private static InetAddress literal(String ip) {
        Objects.requireNonNull(ip, "ip");
        String s = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        boolean literal = !s.isEmpty() && (s.indexOf(':') >= 0 || s.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')));
        if (!literal) {
            throw new IllegalArgumentException("not an IP address literal: " + ip);
        }
        try {
            return InetAddress.getByName(s); // a literal: no name lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address literal: " + ip, e);
        }
    }

    private static final class Stripe {
        final LinkedHashMap<InetAddress, Entry> map;

        Stripe(int capacity) {
            this.map = new LinkedHashMap<>(Math.min(capacity, 1024), 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<InetAddress, Entry> eldest) {
                    return size() > capacity;
                }
            };
        }

        /** Removes up to two stale entries from the cold end, so an idle table shrinks without a sweeper thread. */
        void purgeExpired(long now, long retainMillis) {
            Iterator<Entry> it = map.values().iterator();
            for (int i = 0; i < 2 && it.hasNext(); i++) {
                Entry e = it.next();
                if (now - e.lastSeen < retainMillis || now < e.blockedUntil) {
                    return;
                }
                it.remove();
            }
        }
    }

    private static final class Entry {
        long windowStart;
        int count;
        long blockedUntil = Long.MIN_VALUE;
        long lastSeen;

        Entry(long now) {
            this.windowStart = now;
        }

        Verdict hit(long now, long samplingMillis, int density, long blockMillis) {
            lastSeen = now;
            if (now < blockedUntil) {
                return Verdict.BLOCKED;
            }
            if (now - windowStart >= samplingMillis) {
                windowStart = now;
                count = 0;
            }
            if (++count > density) {
                blockedUntil = now + blockMillis;
                count = 0;
                return Verdict.NEWLY_BLOCKED;
            }
            return Verdict.OK;
        }
    }

    /** Configures a {@link FloodDetector}. */
    public static final class Builder {
        private final SipClock clock;
        private Duration sampling = Duration.ofSeconds(2);
        private int density = 16;
        private Duration block = Duration.ofSeconds(300);
        private int maxSources = 65_536;
        private final Set<InetAddress> trusted = new HashSet<>();

        private Builder(SipClock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
        }

        /** Length of one sampling window (pike's {@code sampling_time_unit}); default 2 s. */
        public Builder samplingTime(Duration d) {
            if (d.toMillis() < 1) {
                throw new IllegalArgumentException("sampling time must be at least 1 ms, got " + d);
            }
            this.sampling = d;
            return this;
        }

        /** Requests one source may send per window (pike's {@code reqs_density_per_unit}); default 16. */
        public Builder density(int requestsPerWindow) {
            if (requestsPerWindow < 1) {
                throw new IllegalArgumentException("density must be at least 1, got " + requestsPerWindow);
            }
            this.density = requestsPerWindow;
            return this;
        }

        /** How long a source stays blocked (the default configuration's {@code ipban} expiry); default 300 s. */
        public Builder blockTime(Duration d) {
            if (d.isNegative()) {
                throw new IllegalArgumentException("block time cannot be negative: " + d);
            }
            this.block = d;
            return this;
        }

        /** Hard cap on tracked source addresses; default 65,536. */
        public Builder maxSources(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxSources must be at least 1, got " + n);
            }
            this.maxSources = n;
            return this;
        }

        /** Addresses never counted nor blocked (IP literals), e.g. the proxy's own or a trusted carrier's. */
        public Builder trust(String... ips) {
            for (String ip : ips) {
                trusted.add(literal(ip));
            }
            return this;
        }

        public Builder trust(Collection<InetAddress> ips) {
            trusted.addAll(ips);
            return this;
        }

        public FloodDetector build() {
            return new FloodDetector(this);
        }
    }
}
