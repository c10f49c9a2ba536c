package io.siprelay.core.clock;

/**
 * The one seam through which the proxy reads time and arms timers. Production code uses {@link SystemClock};
 * tests use {@link VirtualClock} and advance time instead of sleeping.
 */
public interface SipClock {

    /** Monotonic milliseconds, for timers and ages. Never goes backwards. */
    long millis();

    /** Wall-clock milliseconds since the epoch, for Date headers and stored expiry. */
    long wallMillis();

    /**
     * Runs {@code task} once after {@code delayMillis}. The task runs on the clock's own thread: it must only hand
     * work on (for example to the transaction's worker lane), never block.
     */
    Timer schedule(long delayMillis, Runnable task);

    /** A scheduled task. */
    interface Timer {
        /** Cancels the task; returns false when it already ran or was cancelled. */
        boolean cancel();
    }
}
