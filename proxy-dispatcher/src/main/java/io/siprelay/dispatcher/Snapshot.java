package io.siprelay.dispatcher;

import java.util.List;
import java.util.Map;

/** The destination sets as loaded: replaced whole on a reload, read without locks. */
final class Snapshot {
    static final Snapshot EMPTY = new Snapshot(List.of(), Map.of());
    final List<DispatcherEntry> entries;
    final Map<Integer, DsSet> sets;

    Snapshot(List<DispatcherEntry> entries, Map<Integer, DsSet> sets) {
        this.entries = entries;
        this.sets = sets;
    }

    Destination find(int setId, String uri) {
        DsSet s = sets.get(setId);
        if (s == null) {
            return null;
        }
        for (Destination d : s.dests) {
            if (d.uri().equals(uri)) {
                return d;
            }
        }
        return null;
    }
}
