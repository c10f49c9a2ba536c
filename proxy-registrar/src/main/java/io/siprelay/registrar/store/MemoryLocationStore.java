package io.siprelay.registrar.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.siprelay.core.clock.SipClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.UnaryOperator;

/**
 * Bindings in memory ({@code db_mode=0}): a Caffeine cache from AoR to its bindings, O(1) per lookup. Each AoR entry
 * expires when its last binding does, through Caffeine's timer wheel, so expiry never scans all bindings; bindings
 * that expired before the others of their AoR are filtered out on read and dropped on the AoR's next change.
 */
public final class MemoryLocationStore implements LocationStore {

    private final Cache<String, List<Binding>> cache;
    private final ConcurrentMap<String, List<Binding>> map;
    private final SipClock clock;
    private final String table;

    /** A memory store named {@code location}, timed by {@code clock}. */
    public MemoryLocationStore(SipClock clock) {
        this(clock, "location");
    }

    public MemoryLocationStore(SipClock clock, String table) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.table = Objects.requireNonNull(table, "table");
        Ticker ticker = () -> clock.millis() * 1_000_000L;
        this.cache = Caffeine.newBuilder()
                .ticker(ticker)
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, List<Binding>>() {
                    @Override
                    public long expireAfterCreate(String key, List<Binding> value, long currentTime) {
                        return nanosLeft(value);
                    }

                    @Override
                    public long expireAfterUpdate(String key, List<Binding> value, long currentTime,
                                                  long currentDuration) {
                        return nanosLeft(value);
                    }

                    @Override
                    public long expireAfterRead(String key, List<Binding> value, long currentTime,
                                                long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
        this.map = cache.asMap();
    }

    private long nanosLeft(List<Binding> bindings) {
        long last = 0;
        for (Binding b : bindings) {
            last = Math.max(last, b.expiresAt());
        }
        long left = last - clock.wallMillis();
        return left <= 0 ? 0 : left * 1_000_000L;
    }

    @Override
    public List<Binding> get(String aor, long now) {
        List<Binding> all = map.get(aor);
        return all == null ? List.of() : live(all, now);
    }

    @Override
    public List<Binding> update(String aor, long now, UnaryOperator<List<Binding>> change) {
        Object[] result = new Object[1];
        map.compute(aor, (k, old) -> {
            List<Binding> current = old == null ? List.of() : live(old, now);
            List<Binding> next = change.apply(current);
            List<Binding> kept = next == current ? current : List.copyOf(next);
            result[0] = kept;
            return kept.isEmpty() ? null : kept;
        });
        @SuppressWarnings("unchecked")
        List<Binding> out = (List<Binding>) result[0];
        return out;
    }

    /** The bindings held for {@code aor}, expired ones included (the write-through store's "before"). */
    List<Binding> raw(String aor) {
        List<Binding> all = map.get(aor);
        return all == null ? List.of() : all;
    }

    /** Replaces the bindings of {@code aor}; an empty list removes it. */
    void put(String aor, List<Binding> bindings) {
        if (bindings.isEmpty()) {
            map.remove(aor);
        } else {
            map.put(aor, List.copyOf(bindings));
        }
    }

    /** Puts the bindings of an AoR as they are (loading from a database); expired ones are skipped. */
    public void load(String aor, List<Binding> bindings, long now) {
        List<Binding> live = live(bindings, now);
        if (!live.isEmpty()) {
            map.put(aor, List.copyOf(live));
        }
    }

    @Override
    public int remove(String aor, long now) {
        List<Binding> old = map.remove(aor);
        return old == null ? 0 : live(old, now).size();
    }

    @Override
    public Map<String, List<Binding>> snapshot(long now) {
        TreeMap<String, List<Binding>> out = new TreeMap<>();
        map.forEach((aor, bindings) -> {
            List<Binding> live = live(bindings, now);
            if (!live.isEmpty()) {
                out.put(aor, live);
            }
        });
        return out;
    }

    /** Number of AoRs held (expired entries not yet evicted included until the next clean-up). */
    public long aorCount() {
        return cache.estimatedSize();
    }

    @Override
    public void purgeExpired(long now) {
        cache.cleanUp();
    }

    @Override
    public String table() {
        return table;
    }

    @Override
    public void close() {
        cache.invalidateAll();
    }

    static List<Binding> live(List<Binding> bindings, long now) {
        int expired = 0;
        for (Binding b : bindings) {
            if (b.isExpired(now)) {
                expired++;
            }
        }
        if (expired == 0) {
            return bindings;
        }
        List<Binding> out = new ArrayList<>(bindings.size() - expired);
        for (Binding b : bindings) {
            if (!b.isExpired(now)) {
                out.add(b);
            }
        }
        return List.copyOf(out);
    }
}
