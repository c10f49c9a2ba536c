package io.siprelay.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.clock.VirtualClock;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Acceptance (1): distributions over 100,000 selections, no network. Figures are printed for the report. */
class DistributionTest {

    static final int N = 100_000;

    static Dispatcher dispatcher(DispatcherEntry... entries) {
        return Dispatcher.builder().source(DispatcherSource.of(entries)).clock(new VirtualClock())
                .resolver(h -> InetAddress.getByAddress(h, new byte[] {127, 0, 0, 1})).build();
    }

    static Map<String, Integer> count(Dispatcher ds, int set, Algorithm alg, int n) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < n; i++) {
            m.merge(ds.candidates(set, alg, "call-" + i).get(0).uri(), 1, Integer::sum);
        }
        return m;
    }

    @Test
    void weight25to75WithinOnePoint() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:mg1.test", 0, 0, "weight=25"),
                DispatcherEntry.of(1, "sip:mg2.test", 0, 0, "weight=75"));
        Map<String, Integer> m = count(ds, 1, Algorithm.WEIGHT, N);
        double p1 = 100.0 * m.get("sip:mg1.test") / N;
        System.out.printf("alg 9 weight 25/75 over %d: mg1 %.3f%% mg2 %.3f%%%n", N, p1, 100 - p1);
        assertThat(p1).isBetween(24.0, 26.0);
    }

    @Test
    void weightRemainderGoesToLastAndOverflowIsIgnored() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:a.test", 0, 0, "weight=50"),
                DispatcherEntry.of(1, "sip:b.test", 0, 0, "weight=60"),  // pushes sum over 100: ignored
                DispatcherEntry.of(1, "sip:c.test", 0, 0, "weight=10")); // gets the remaining 40 too
        Map<String, Integer> m = count(ds, 1, Algorithm.WEIGHT, N);
        assertThat(m.getOrDefault("sip:b.test", 0)).isZero();
        assertThat(100.0 * m.get("sip:a.test") / N).isBetween(49.0, 51.0);
        assertThat(100.0 * m.get("sip:c.test") / N).isBetween(49.0, 51.0);
    }

    @Test
    void relativeWeightRespreadsWhenANodeIsDown() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:a.test", 0, 0, "rweight=50"),
                DispatcherEntry.of(1, "sip:b.test", 0, 0, "rweight=30"),
                DispatcherEntry.of(1, "sip:c.test", 0, 0, "rweight=20"));
        Map<String, Integer> all = count(ds, 1, Algorithm.RELATIVE_WEIGHT, N);
        assertThat(100.0 * all.get("sip:b.test") / N).isBetween(29.0, 31.0);
        ds.setState("ip", 1, "sip:a.test");
        Map<String, Integer> m = count(ds, 1, Algorithm.RELATIVE_WEIGHT, N);
        double b = 100.0 * m.get("sip:b.test") / N;
        System.out.printf("alg 11 rweight 50/30/20, a down: b %.3f%% c %.3f%%%n", b, 100 - b);
        assertThat(b).isBetween(59.0, 61.0);
        assertThat(m).doesNotContainKey("sip:a.test");
    }

    @Test
    void roundRobinOrder() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:a.test"), DispatcherEntry.of(1, "sip:b.test"),
                DispatcherEntry.of(1, "sip:c.test"));
        List<String> seq = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            seq.add(ds.candidates(1, Algorithm.ROUND_ROBIN, null).get(0).uri());
        }
        assertThat(seq).containsExactly("sip:a.test", "sip:b.test", "sip:c.test", "sip:a.test", "sip:b.test",
                "sip:c.test", "sip:a.test");
        Map<String, Integer> m = count(ds, 1, Algorithm.ROUND_ROBIN, 99_999);
        assertThat(m.values()).containsOnly(33_333);
        assertThat(ds.candidates(1, Algorithm.ROUND_ROBIN, null)).extracting(Destination::uri)
                .as("after 100,006 picks: b, then the rotation as failover").containsExactly("sip:b.test", "sip:c.test", "sip:a.test");
    }

    @Test
    void hashIsStickyAndEven() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:a.test"), DispatcherEntry.of(1, "sip:b.test"),
                DispatcherEntry.of(1, "sip:c.test"), DispatcherEntry.of(1, "sip:d.test"));
        for (int i = 0; i < 1000; i++) {
            String first = ds.candidates(1, Algorithm.CALL_ID, "k" + i).get(0).uri();
            for (int j = 0; j < 5; j++) {
                assertThat(ds.candidates(1, Algorithm.CALL_ID, "k" + i).get(0).uri()).isEqualTo(first);
            }
        }
        Map<String, Integer> m = count(ds, 1, Algorithm.CALL_ID, N);
        System.out.println("alg 0 hash over 4 nodes, " + N + " keys: " + m);
        assertThat(m.values()).allSatisfy(v -> assertThat(v).isBetween(24_000, 26_000));
    }

    @Test
    void consistentHashingMovesOnlyTheDeadNodesShareAndSpreadsIt() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:a.test"), DispatcherEntry.of(1, "sip:b.test"),
                DispatcherEntry.of(1, "sip:c.test"), DispatcherEntry.of(1, "sip:d.test"));
        String[] before = new String[N];
        for (int i = 0; i < N; i++) {
            before[i] = ds.candidates(1, Algorithm.CALL_ID, "call-" + i).get(0).uri();
        }
        ds.setState("i", 1, "sip:b.test");
        int moved = 0;
        int movedNotFromB = 0;
        Map<String, Integer> receivers = new HashMap<>();
        for (int i = 0; i < N; i++) {
            String now = ds.candidates(1, Algorithm.CALL_ID, "call-" + i).get(0).uri();
            if (!now.equals(before[i])) {
                moved++;
                receivers.merge(now, 1, Integer::sum);
                if (!before[i].equals("sip:b.test")) {
                    movedNotFromB++;
                }
            }
        }
        System.out.printf("alg 0, b down: %d of %d keys moved (%.2f%%), to %s; keys of live nodes moved: %d%n",
                moved, N, 100.0 * moved / N, receivers, movedNotFromB);
        assertThat(movedNotFromB).isZero();
        assertThat(100.0 * moved / N).isBetween(24.0, 26.0);
        assertThat(receivers).doesNotContainKey("sip:b.test").hasSize(3);
        int total = moved;
        receivers.values().forEach(v -> assertThat(1.0 * v / total).isBetween(0.30, 0.37));
        ds.setState("a", 1, "sip:b.test");
        for (int i = 0; i < N; i++) {
            assertThat(ds.candidates(1, Algorithm.CALL_ID, "call-" + i).get(0).uri()).isEqualTo(before[i]);
        }
    }

    @Test
    void priorityOrderHighestFirstAndInactiveSkipped() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:low.test", 0, 1, ""),
                DispatcherEntry.of(1, "sip:high.test", 0, 10, ""),
                DispatcherEntry.of(1, "sip:mid.test", 0, 5, ""));
        assertThat(ds.candidates(1, Algorithm.PRIORITY, null)).extracting(Destination::uri)
                .containsExactly("sip:high.test", "sip:mid.test", "sip:low.test");
        Map<String, Integer> m = count(ds, 1, Algorithm.PRIORITY, N);
        assertThat(m).containsOnly(Map.entry("sip:high.test", N));
        ds.setState("d", 1, "sip:high.test");
        assertThat(ds.candidates(1, Algorithm.PRIORITY, null)).extracting(Destination::uri)
                .containsExactly("sip:mid.test", "sip:low.test");
    }

    @Test
    void randomIsRoughlyEven() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:a.test"), DispatcherEntry.of(1, "sip:b.test"));
        Map<String, Integer> m = count(ds, 1, Algorithm.RANDOM, N);
        assertThat(100.0 * m.get("sip:a.test") / N).isBetween(49.0, 51.0);
    }

    @Test
    void latencyPrefersTheFastestAtEqualPriority() {
        Dispatcher ds = dispatcher(DispatcherEntry.of(1, "sip:slow.test", 0, 0, "latency=80"),
                DispatcherEntry.of(1, "sip:fast.test", 0, 0, "latency=5"));
        assertThat(ds.candidates(1, Algorithm.LATENCY, null)).extracting(Destination::uri)
                .containsExactly("sip:fast.test", "sip:slow.test");
    }
}
