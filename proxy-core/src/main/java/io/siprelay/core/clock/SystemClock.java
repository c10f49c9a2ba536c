package io.siprelay.core.clock;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Real time: one daemon scheduler thread for all timers of one proxy. */
public final class SystemClock implements SipClock, AutoCloseable {

    private final ScheduledThreadPoolExecutor scheduler;

    public SystemClock() {
        scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "siprelay-timer");
            t.setDaemon(true);
            return t;
        });
        // cancelled timers (most of them: a transaction usually ends before its timeout) must not pile up
        scheduler.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long millis() {
        return System.nanoTime() / 1_000_000L;
    }

    @Override
    public long wallMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public Timer schedule(long delayMillis, Runnable task) {
        ScheduledFuture<?> f = scheduler.schedule(task, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
