package io.siprelay.registrar;

import io.siprelay.core.clock.SipClock;
import io.siprelay.registrar.store.LocationStore;
import io.siprelay.registrar.store.MemoryLocationStore;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The expiry timer: purges expired bindings every interval, off the clock thread for database stores. */
final class Purger {

    private final SipClock clock;
    private final LocationStore store;
    private final long purgeIntervalMillis;
    private final Executor purgeExecutor;
    private final ExecutorService ownedPurgeExecutor;
    private volatile SipClock.Timer purgeTimer;
    private volatile boolean closed;

    Purger(SipClock clock, LocationStore store, long purgeIntervalMillis, Executor executor) {
        this.clock = clock;
        this.store = store;
        this.purgeIntervalMillis = purgeIntervalMillis;
        if (executor != null) {
            this.purgeExecutor = executor;
            this.ownedPurgeExecutor = null;
        } else if (store instanceof MemoryLocationStore) {
            this.purgeExecutor = Runnable::run; // cheap: Caffeine's timer wheel
            this.ownedPurgeExecutor = null;
        } else {
            this.ownedPurgeExecutor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "registrar-purge-" + store.table());
                t.setDaemon(true);
                return t;
            });
            this.purgeExecutor = ownedPurgeExecutor;
        }
    }

    /** Arms the first purge, when an interval is set. */
    void start() {
        if (purgeIntervalMillis > 0) {
            schedulePurge();
        }
    }

    private void schedulePurge() {
        if (closed) {
            return;
        }
        purgeTimer = clock.schedule(purgeIntervalMillis, () -> {
            long now = clock.wallMillis();
            try {
                purgeExecutor.execute(() -> {
                    try {
                        store.purgeExpired(now);
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(Registrar.class).warn("purging expired bindings failed", e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                return;
            }
            schedulePurge();
        });
    }

    /** Stops the expiry timer and the registrar's own purge thread, if any. */
    void close() {
        closed = true;
        SipClock.Timer t = purgeTimer;
        if (t != null) {
            t.cancel();
        }
        if (ownedPurgeExecutor != null) {
            ownedPurgeExecutor.shutdown();
        }
    }
}
