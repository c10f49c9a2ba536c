package io.siprelay.dispatcher;

import java.util.List;

/**
 * Where the sets come from: the {@code dispatcher} table ({@link JdbiDispatcherSource}), a Kamailio list file
 * ({@link ListFileSource}) or a fixed list ({@link #of}). {@link Dispatcher#reload()} calls {@link #load()} again.
 */
public interface DispatcherSource {

    /** Every entry, in the source's order. */
    List<DispatcherEntry> load() throws Exception;

    /**
     * Stores a new entry so that it survives reloads; returns it with its id. The default (a read-only source)
     * throws {@link UnsupportedOperationException}: the dispatcher then keeps the entry in memory only.
     */
    default DispatcherEntry insert(DispatcherEntry entry) throws Exception {
        throw new UnsupportedOperationException("read-only dispatcher source");
    }

    /** Deletes entries of {@code setId} with this destination; returns how many. Read-only sources throw. */
    default int delete(int setId, String destination) throws Exception {
        throw new UnsupportedOperationException("read-only dispatcher source");
    }

    /** A fixed list (tests, sets built in code). */
    static DispatcherSource of(List<DispatcherEntry> entries) {
        List<DispatcherEntry> copy = List.copyOf(entries);
        return () -> copy;
    }

    /** A fixed list. */
    static DispatcherSource of(DispatcherEntry... entries) {
        return of(List.of(entries));
    }
}
