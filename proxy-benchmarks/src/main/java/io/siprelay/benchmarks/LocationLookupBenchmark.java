package io.siprelay.benchmarks;

import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.registrar.LookupResult;
import io.siprelay.registrar.Registrar;
import io.siprelay.registrar.store.Binding;
import io.siprelay.registrar.store.MemoryLocationStore;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Registrar location lookup on the in-memory store ({@link MemoryLocationStore}, usrloc {@code db_mode=0}) holding
 * {@link #aors} AoRs with one binding each, one thread, a {@link VirtualClock} that never moves (nothing expires, no
 * purge runs). The store is filled in {@link #setUp} with bindings shaped as {@code save()} writes them (contact,
 * socket, Call-ID, CSeq, one hour left), directly through {@link MemoryLocationStore#update}: registering 100,000
 * AoRs through parsed REGISTERs would only make the setup slow.
 *
 * <ul>
 *   <li>{@link #storeGetHit} / {@link #storeGetMiss}: {@code store.get(aor, now)}: the Caffeine map lookup and the
 *       expiry filter, with an already normalised key;</li>
 *   <li>{@link #lookupHit} / {@link #lookupMiss}: {@code registrar.lookup(ctx, aor)}, Kamailio's
 *       {@code lookup("location", aor)}: AoR normalised (lower-cased, scheme and parameters stripped), store read,
 *       Allow check, sort, and on a hit the Request-URI set to the contact (a URI parse) and {@code $du}. The
 *       request context is reused (lookup is not a terminal action, and with one binding per AoR no branch is
 *       appended).</li>
 * </ul>
 *
 * The probed AoRs (4,096 per benchmark, used round robin) are spread at random over the whole store; their key
 * strings are built in setup, so their hash codes are cached (a proxy builds the key from the Request-URI per
 * request, which {@code lookup} does with {@code normalizeAor} anyway).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LocationLookupBenchmark {

    private static final int PROBES = 4096; // a power of two: next & (PROBES - 1)

    /** Registered AoRs. */
    @Param({"100000"})
    public int aors;

    private VirtualClock clock;
    private MemoryLocationStore store;
    private Registrar registrar;
    private BenchContext ctx;
    private final String[] existing = new String[PROBES];
    private final String[] missing = new String[PROBES];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        clock = new VirtualClock();
        store = new MemoryLocationStore(clock);
        registrar = Registrar.builder().clock(clock).store(store).purgeIntervalSeconds(0).build();
        long now = clock.wallMillis();
        for (int i = 0; i < aors; i++) {
            String aor = aor(i);
            Binding b = new Binding("uloc-bench-" + i, aor, contact(i), null, null, now + 3_600_000L, 1.0f,
                    "reg" + i + "@" + ip(i), 1, now, 0, 0, "Linphone/5.2.0", "udp:127.0.0.1:5060", null, null, 0);
            store.update(registrar.normalizeAor(aor), now, current -> List.of(b));
        }
        check(store.aorCount() == aors, "store holds " + store.aorCount() + " AoRs, expected " + aors);

        SipCodec codec = SipCodec.create();
        ctx = new BenchContext(Messages.parse(codec, Messages.INVITE).request(), BenchContext.udpFrom("10.1.2.3", 5060),
                codec);

        Random random = new Random(42);
        for (int p = 0; p < PROBES; p++) {
            int i = random.nextInt(aors);
            existing[p] = aor(i);
            missing[p] = "nobody" + (aors + p) + "@example.com";
            List<Binding> found = store.get(existing[p], now);
            check(found.size() == 1 && found.get(0).contact().equals(contact(i)), "store has " + existing[p]);
            check(registrar.lookup(ctx, existing[p]) == LookupResult.FOUND
                    && ctx.requestUri().equals(contact(i)) && ctx.destination() == null
                    && ctx.appendedBranches().isEmpty(),
                    "lookup of " + existing[p] + " sets the Request-URI to " + contact(i) + ", got "
                            + ctx.requestUri());
            check(store.get(missing[p], now).isEmpty(), "store has no " + missing[p]);
            check(registrar.lookup(ctx, missing[p]) == LookupResult.NOT_FOUND, "lookup of " + missing[p] + " fails");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        check(store.aorCount() == aors, "store changed: " + store.aorCount() + " AoRs");
        registrar.close();
        store.close();
    }

    @Benchmark
    public List<Binding> storeGetHit() {
        return store.get(existing[next++ & (PROBES - 1)], clock.wallMillis());
    }

    @Benchmark
    public List<Binding> storeGetMiss() {
        return store.get(missing[next++ & (PROBES - 1)], clock.wallMillis());
    }

    @Benchmark
    public LookupResult lookupHit(Blackhole bh) {
        LookupResult r = registrar.lookup(ctx, existing[next++ & (PROBES - 1)]);
        bh.consume(ctx.request().getRequestURI());
        return r;
    }

    @Benchmark
    public LookupResult lookupMiss() {
        return registrar.lookup(ctx, missing[next++ & (PROBES - 1)]);
    }

    static String aor(int i) {
        return "user" + i + "@example.com";
    }

    static String ip(int i) {
        return "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
    }

    static String contact(int i) {
        return "sip:user" + i + "@" + ip(i) + ":5060;transport=udp";
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("setup check failed: " + what);
        }
    }
}
