package io.siprelay.dispatcher;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Smooth weighted round robin over the usable destinations: every pick adds each weight to its destination's credit,
 * takes the largest credit and subtracts the total. Over any window of Σw picks each destination gets exactly its
 * weight, interleaved (25/75 gives 1,2,2,2 not 1,1,...); a destination that is down simply takes no part, so its
 * share spreads over the others in proportion to their weights.
 */
final class SmoothWeights {

    private final Map<Destination, Long> credit;

    SmoothWeights(int size) {
        this.credit = new IdentityHashMap<>(Math.max(4, size * 2));
    }

    synchronized Destination pick(List<Destination> usable, ToIntFunction<Destination> weight) {
        long total = 0;
        boolean anyWeight = false;
        for (Destination d : usable) {
            if (weight.applyAsInt(d) > 0) {
                anyWeight = true;
                break;
            }
        }
        Destination best = null;
        long bestCredit = Long.MIN_VALUE;
        for (Destination d : usable) {
            int w = anyWeight ? weight.applyAsInt(d) : 1;
            if (w <= 0) {
                continue;
            }
            long c = credit.getOrDefault(d, 0L) + w;
            credit.put(d, c);
            total += w;
            if (c > bestCredit) {
                bestCredit = c;
                best = d;
            }
        }
        if (best != null) {
            credit.put(best, bestCredit - total);
        }
        return best;
    }
}
