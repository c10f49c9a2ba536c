package io.siprelay.registrar.store;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Where bindings live (Kamailio's usrloc). Three implementations match usrloc's {@code db_mode}:
 * <ul>
 *   <li>{@link MemoryLocationStore}: memory only ({@code db_mode=0}); bindings are lost on restart;</li>
 *   <li>{@link WriteThroughLocationStore}: memory plus every change written to the database at once
 *       ({@code db_mode=1}); the memory is loaded from the database at start-up;</li>
 *   <li>{@link JdbcLocationStore}: the database only ({@code db_mode=3}), for several proxies sharing one
 *       database.</li>
 * </ul>
 * Every method takes the current wall time ({@code now}, epoch millis) so that expiry follows the registrar's
 * {@code SipClock}; expired bindings are never returned, whether or not they have been purged yet.
 */
public interface LocationStore extends AutoCloseable {

    /** Unexpired bindings of {@code aor}; empty when none. */
    List<Binding> get(String aor, long now);

    /**
     * Changes the bindings of one AoR atomically: {@code change} receives the unexpired bindings and returns the new
     * list (return the argument itself for "no change"). It may throw to abort without a change; the exception
     * reaches the caller. It may be called under a lock: keep it short and free of I/O.
     *
     * @return the bindings after the change
     */
    List<Binding> update(String aor, long now, UnaryOperator<List<Binding>> change);

    /** Removes every binding of {@code aor} ({@code ul.rm}); returns how many there were. */
    int remove(String aor, long now);

    /** Every AoR with unexpired bindings (for {@code ul.dump}); the map is a snapshot. */
    Map<String, List<Binding>> snapshot(long now);

    /** Drops expired bindings (usrloc's timer). Reads never need this for correctness; it frees memory and rows. */
    void purgeExpired(long now);

    /** The name of the location table (usrloc's "domain"), e.g. {@code location}. */
    String table();

    @Override
    void close();
}
