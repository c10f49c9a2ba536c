package io.siprelay.benchmarks;

import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.dispatcher.Algorithm;
import io.siprelay.dispatcher.Destination;
import io.siprelay.dispatcher.Dispatcher;
import io.siprelay.dispatcher.DispatcherEntry;
import io.siprelay.dispatcher.DispatcherSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * Dispatcher destination selection ({@code ds_select_dst}) in one set of {@link #DESTINATIONS} active destinations
 * (IP literals, every one up, no probing: the dispatcher is built on a {@link VirtualClock} and never started), one
 * thread, for several {@link Algorithm}s:
 *
 * <ul>
 *   <li>{@code ROUND_ROBIN} (4), {@code CALL_ID} (0, rendezvous hash of the Call-ID), {@code WEIGHT} (9, the
 *       {@code weight} attrs as percentages by smooth weighted round robin), {@code RELATIVE_WEIGHT} (11,
 *       {@code rweight}) by default; any other algorithm but {@code CALL_LOAD} and {@code PARALLEL} (they change
 *       state per call) with {@code -p algorithm=NAME} ({@code HASH_KEY} hashes From user + Call-ID).</li>
 * </ul>
 *
 * Two levels:
 * <ul>
 *   <li>{@link #candidates}: {@code dispatcher.candidates(set, alg, callId)}, the selection itself: usable
 *       destinations, the algorithm's order (chosen first, then failover);</li>
 *   <li>{@link #selectDst}: {@code dispatcher.select(ctx, set, alg)} as a route calls it: the hash key taken from the
 *       parsed request (Call-ID, From...), the order as above, {@code $du} set (a URI parse) and the failover
 *       selection stored in the transaction variables. The request contexts are reused (select is not a terminal
 *       action; each op overwrites {@code $du} and the selection).</li>
 * </ul>
 *
 * 1,024 parsed INVITEs with distinct Call-IDs and From users are used round robin; they are parsed in setup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
// the dispatcher logs its load at INFO, which would break JMH's progress lines
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class DispatcherSelectBenchmark {

    static final int SET = 1;
    static final int DESTINATIONS = 8;
    /** Percentages for algorithm 9: they sum to 100. */
    static final int[] WEIGHTS = {5, 10, 10, 15, 15, 20, 10, 15};
    /** Relative weights for algorithm 11: they sum to 36. */
    static final int[] RWEIGHTS = {1, 2, 3, 4, 5, 6, 7, 8};

    private static final int PROBES = 1024; // a power of two: next & (PROBES - 1)

    @Param({"ROUND_ROBIN", "CALL_ID", "WEIGHT", "RELATIVE_WEIGHT"})
    public String algorithm;

    private Algorithm alg;
    private Dispatcher dispatcher;
    private final BenchContext[] contexts = new BenchContext[PROBES];
    private final String[] callIds = new String[PROBES];
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        alg = Algorithm.valueOf(algorithm);
        if (alg == Algorithm.CALL_LOAD || alg == Algorithm.PARALLEL) {
            throw new IllegalArgumentException(alg + " changes state per call (call counts, appended branches):"
                    + " not supported by this benchmark");
        }
        List<DispatcherEntry> entries = new ArrayList<>();
        List<String> uris = new ArrayList<>();
        for (int d = 0; d < DESTINATIONS; d++) {
            String uri = "sip:10.0.0." + (d + 1) + ":5060";
            uris.add(uri);
            entries.add(DispatcherEntry.of(SET, uri, 0, 0, "weight=" + WEIGHTS[d] + ";rweight=" + RWEIGHTS[d]
                    + ";duid=gw" + (d + 1)));
        }
        dispatcher = Dispatcher.builder()
                .source(DispatcherSource.of(entries))
                .clock(new VirtualClock())
                .hashKey(c -> c.fromUser() + c.callId())
                .build();
        List<Destination> set = dispatcher.destinations(SET);
        check(set.size() == DESTINATIONS && set.stream().allMatch(Destination::isUsable),
                "set " + SET + " has " + DESTINATIONS + " usable destinations: " + set);

        SipCodec codec = SipCodec.create();
        for (int p = 0; p < PROBES; p++) {
            callIds[p] = "c" + Integer.toHexString(p * 0x9e3779b1) + "-" + p + "@10.1.2.3";
            contexts[p] = new BenchContext(Messages.parse(codec, invite(p, callIds[p])).request(),
                    BenchContext.udpFrom("10.1.2.3", 5060), codec);
        }

        // every context gets a destination of the set; the algorithm distributes as it should
        Map<String, Integer> firstPass = new HashMap<>();
        for (int p = 0; p < PROBES; p++) {
            check(dispatcher.select(contexts[p], SET, alg), "select for probe " + p);
            String du = contexts[p].destination();
            check(uris.contains(du), "$du " + du + " is a destination of the set");
            check(dispatcher.selection(contexts[p]).remaining().size() == DESTINATIONS - 1,
                    "the other " + (DESTINATIONS - 1) + " destinations kept for failover");
            firstPass.merge(du, 1, Integer::sum);
        }
        switch (alg) {
            case CALL_ID, FROM_URI, HASH_KEY -> {
                for (int p = 0; p < PROBES; p++) {
                    String before = contexts[p].destination();
                    dispatcher.select(contexts[p], SET, alg);
                    check(before.equals(contexts[p].destination()), "hash selection is stable for probe " + p);
                    check(before.equals(dispatcher.candidates(SET, alg, hashKeyOf(p)).get(0).uri()),
                            "candidates() agrees with select() for probe " + p);
                }
                check(firstPass.size() == DESTINATIONS, "1,024 keys spread over every destination: " + firstPass);
            }
            case ROUND_ROBIN -> checkWindow(uris, new int[] {1, 1, 1, 1, 1, 1, 1, 1});
            case WEIGHT -> checkWindow(uris, WEIGHTS);
            case RELATIVE_WEIGHT -> checkWindow(uris, RWEIGHTS);
            default -> { }
        }
    }

    /** Over any window of sum(weights) picks, destination d is chosen exactly weights[d] times. */
    private void checkWindow(List<String> uris, int[] weights) {
        int window = 0;
        for (int w : weights) {
            window += w;
        }
        Map<String, Integer> counts = new HashMap<>();
        for (int k = 0; k < window; k++) {
            String first = dispatcher.candidates(SET, alg, callIds[k & (PROBES - 1)]).get(0).uri();
            counts.merge(first, 1, Integer::sum);
        }
        for (int d = 0; d < DESTINATIONS; d++) {
            check(counts.getOrDefault(uris.get(d), 0) == weights[d],
                    alg + " over " + window + " picks: " + counts + ", expected " + uris.get(d) + " " + weights[d]);
        }
    }

    private String hashKeyOf(int p) {
        return switch (alg) {
            case CALL_ID -> callIds[p];
            case FROM_URI -> "caller" + p + "@atlanta.example.com";
            case HASH_KEY -> "caller" + p + callIds[p];
            default -> throw new IllegalStateException();
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        dispatcher.close();
    }

    /** The selection order alone (hash key given as a string). */
    @Benchmark
    public List<Destination> candidates() {
        return dispatcher.candidates(SET, alg, callIds[next++ & (PROBES - 1)]);
    }

    /** {@code ds_select_dst} on a request context: key from the request, order, {@code $du} and failover set. */
    @Benchmark
    public boolean selectDst(Blackhole bh) {
        BenchContext ctx = contexts[next++ & (PROBES - 1)];
        boolean selected = dispatcher.select(ctx, SET, alg);
        bh.consume(ctx.destination());
        return selected;
    }

    private static String invite(int p, String callId) {
        return "INVITE sip:+4930" + (1_000_000 + p) + "@pstn.example.com SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK-ds-" + p + ";rport\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: <sip:caller" + p + "@atlanta.example.com>;tag=f" + p + "\r\n"
                + "To: <sip:+4930" + (1_000_000 + p) + "@pstn.example.com>\r\n"
                + "Call-ID: " + callId + "\r\n"
                + "CSeq: 1 INVITE\r\n"
                + "Contact: <sip:caller" + p + "@10.1.2.3:5060>\r\n"
                + "Content-Length: 0\r\n"
                + "\r\n";
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("setup check failed: " + what);
        }
    }
}
