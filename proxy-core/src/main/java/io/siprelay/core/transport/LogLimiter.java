package io.siprelay.core.transport;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a recurring failure at WARN at most once per interval (saying how many were suppressed) and at DEBUG
 * otherwise, so a peer that sends garbage cannot flood the log. Thread-safe.
 */
final class LogLimiter {

    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong nextWarnAt;
    private final AtomicLong suppressed = new AtomicLong();

    LogLimiter(Logger log, long interval, TimeUnit unit) {
        this.log = log;
        this.intervalNanos = unit.toNanos(interval);
        this.nextWarnAt = new AtomicLong(System.nanoTime());
    }

    /** Logs {@code message} (SLF4J format, a trailing Throwable argument is logged as such). */
    void warn(String message, Object... args) {
        long now = System.nanoTime();
        long due = nextWarnAt.get();
        if (now - due >= 0 && nextWarnAt.compareAndSet(due, now + intervalNanos)) {
            long skipped = suppressed.getAndSet(0);
            if (skipped > 0) {
                log.warn("({} similar messages suppressed) " + message, prepend(skipped, args));
            } else {
                log.warn(message, args);
            }
        } else {
            suppressed.incrementAndGet();
            log.debug(message, args);
        }
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }
}
