package io.siprelay.dispatcher;

/** Mutable runtime state of one destination; shared across reloads. All access under the object's lock. */
final class Health {

    private int flags;
    /** the flags as configured by the source, to notice configuration changes on reload */
    private int configuredFlags;
    int failures;
    int successes;
    boolean probeInFlight;
    // latency (Welford + EWMA)
    private long count;
    private double mean;
    private double m2;
    private double est;
    private long max;
    private long timeouts;

    Health(int configuredFlags, int initialLatency) {
        this.configuredFlags = configuredFlags & DsFlags.ADMIN_MASK;
        this.flags = configuredFlags;
        this.est = initialLatency;
    }

    synchronized int flags() {
        return flags;
    }

    synchronized void flags(int f) {
        this.flags = f;
    }

    /** On reload: configuration bits (disabled, probing, no-ping) follow the source when it changed them. */
    synchronized void reconfigure(int newConfigured) {
        int admin = newConfigured & DsFlags.ADMIN_MASK;
        if (admin != configuredFlags) {
            flags = (flags & ~DsFlags.ADMIN_MASK) | admin;
            if ((admin & DsFlags.DISABLED) != 0) {
                flags &= ~(DsFlags.INACTIVE | DsFlags.TRYING); // DX, as configured
            } else if ((newConfigured & DsFlags.INACTIVE) != 0) {
                flags |= DsFlags.INACTIVE;
            }
            configuredFlags = admin;
        }
    }

    synchronized void sample(long millis, double alpha) {
        count++;
        double d = millis - mean;
        mean += d / count;
        m2 += d * (millis - mean);
        est = count == 1 && est == 0 ? millis : est + alpha * (millis - est);
        max = Math.max(max, millis);
    }

    synchronized void timeout() {
        timeouts++;
    }

    synchronized LatencyStats latency() {
        double std = count > 1 ? Math.sqrt(m2 / count) : 0;
        return new LatencyStats(mean, std, est, max, timeouts, count);
    }

    synchronized double estimate() {
        return est;
    }
}
