package io.siprelay.dispatcher;

/**
 * Ping latency of one destination, as Kamailio's {@code dispatcher.list} LATENCY block shows it: long-term average
 * and standard deviation (Welford), a short-term estimate (exponentially weighted moving average), maximum, and the
 * number of probes that timed out.
 *
 * @param avg     long-term mean, ms
 * @param std     standard deviation of the samples, ms
 * @param est     short-term estimate (EWMA), ms
 * @param max     largest sample, ms
 * @param timeout probes that got no answer in time
 * @param count   samples
 */
public record LatencyStats(double avg, double std, double est, long max, long timeout, long count) {

    static final LatencyStats EMPTY = new LatencyStats(0, 0, 0, 0, 0, 0);
}
