package io.siprelay.dispatcher;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** One destination set: its destinations and the per-set state of the selection algorithms. */
final class DsSet {
    final int id;
    final List<Destination> dests;
    final AtomicLong rr = new AtomicLong();
    final Map<Destination, Integer> percent;
    final SmoothWeights weights;
    final SmoothWeights rweights;

    DsSet(int id, List<Destination> dests) {
        this.id = id;
        this.dests = dests;
        this.percent = percentages(dests);
        this.weights = new SmoothWeights(dests.size());
        this.rweights = new SmoothWeights(dests.size());
    }

    /** Kamailio's algorithm 9 weights: percent, entries pushing the sum over 100 ignored, remainder to the last. */
    private static Map<Destination, Integer> percentages(List<Destination> dests) {
        Map<Destination, Integer> m = new java.util.IdentityHashMap<>();
        int sum = 0;
        for (Destination d : dests) {
            int w = d.attrs().weight();
            if (sum + w > 100) {
                w = 0;
            }
            sum += w;
            m.put(d, w);
        }
        if (!dests.isEmpty() && sum > 0 && sum < 100) {
            Destination last = dests.get(dests.size() - 1);
            m.put(last, m.get(last) + 100 - sum);
        }
        return m;
    }
}
