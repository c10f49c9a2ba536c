package io.siprelay.registrar.store;

import io.siprelay.core.clock.SipClock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * Memory in front of the database ({@code db_mode=1}, write-through): reads come from memory; every change is written
 * to the {@code location} table before it is visible in memory, so after a restart (which loads every unexpired row)
 * the proxy has all its bindings with their remaining lifetimes. When the database write fails the change is not
 * made and the exception reaches the registrar (which answers 500).
 */
public final class WriteThroughLocationStore implements LocationStore {

    private static final int STRIPES = 256;

    private final MemoryLocationStore memory;
    private final JdbcLocationStore database;
    private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

    /** Opens the store and loads every unexpired binding of {@code db} into memory. */
    public WriteThroughLocationStore(SipClock clock, LocationDatabase db) {
        Objects.requireNonNull(clock, "clock");
        this.memory = new MemoryLocationStore(clock, db.table());
        this.database = new JdbcLocationStore(db);
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new ReentrantLock();
        }
        long now = clock.wallMillis();
        for (Map.Entry<String, List<Binding>> e : database.loadAll(now).entrySet()) {
            memory.load(e.getKey(), e.getValue(), now);
        }
    }

    private ReentrantLock lockOf(String aor) {
        return locks[(aor.hashCode() & 0x7fffffff) % STRIPES];
    }

    @Override
    public List<Binding> get(String aor, long now) {
        return memory.get(aor, now);
    }

    @Override
    public List<Binding> update(String aor, long now, UnaryOperator<List<Binding>> change) {
        ReentrantLock lock = lockOf(aor);
        lock.lock();
        try {
            List<Binding> raw = memory.raw(aor);
            List<Binding> current = MemoryLocationStore.live(raw, now);
            List<Binding> next = change.apply(current);
            if (next == current && raw.size() == current.size()) {
                return current;
            }
            List<Binding> kept = List.copyOf(next);
            database.replace(aor, raw, kept);
            memory.put(aor, kept);
            return kept;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int remove(String aor, long now) {
        ReentrantLock lock = lockOf(aor);
        lock.lock();
        try {
            database.remove(aor, now);
            return memory.remove(aor, now);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Map<String, List<Binding>> snapshot(long now) {
        return memory.snapshot(now);
    }

    /** Cleans the memory and deletes expired rows. */
    @Override
    public void purgeExpired(long now) {
        memory.purgeExpired(now);
        database.purgeExpired(now);
    }

    @Override
    public String table() {
        return memory.table();
    }

    /** Closes the database this store was given. */
    @Override
    public void close() {
        memory.close();
        database.close();
    }
}
