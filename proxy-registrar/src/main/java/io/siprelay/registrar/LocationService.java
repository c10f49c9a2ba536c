package io.siprelay.registrar;

import io.siprelay.core.clock.SipClock;
import io.siprelay.registrar.store.Binding;
import io.siprelay.registrar.store.LocationStore;
import io.siprelay.registrar.ul.UlAor;
import io.siprelay.registrar.ul.UlContact;
import io.siprelay.registrar.ul.UlDump;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The management side of the location service: Kamailio's {@code ul.dump}, {@code ul.lookup} and {@code ul.rm} as
 * Java calls. The returned records serialise with Jackson in the shape of Kamailio's RPC output, so a JSON-RPC
 * endpoint only has to pass them on:
 *
 * <pre>{@code
 * LocationService ul = registrar.locationService();
 * String json = new ObjectMapper().writeValueAsString(ul.dump());
 * // {"Domains":[{"Domain":{"Domain":"location","Size":1,"AoRs":[{"Info":{"AoR":"alice@example.com",...}}]...
 * }</pre>
 */
public final class LocationService {

    private final LocationStore store;
    private final SipClock clock;
    private final Registrar registrar;

    LocationService(LocationStore store, SipClock clock, Registrar registrar) {
        this.store = store;
        this.clock = clock;
        this.registrar = registrar;
    }

    /** {@code ul.dump}: every AoR with its unexpired contacts. */
    public UlDump dump() {
        return dump(false);
    }

    /** {@code ul.dump brief}: AoRs only, when {@code brief}. */
    public UlDump dump(boolean brief) {
        long now = clock.wallMillis();
        Map<String, List<Binding>> all = store.snapshot(now);
        List<UlDump.AorEntry> aors = new ArrayList<>(all.size());
        int maxContacts = 0;
        for (Map.Entry<String, List<Binding>> e : all.entrySet()) {
            aors.add(new UlDump.AorEntry(info(e.getKey(), e.getValue(), now, brief)));
            maxContacts = Math.max(maxContacts, e.getValue().size());
        }
        UlDump.Domain domain = new UlDump.Domain(store.table(), all.size(), aors,
                new UlDump.Stats(all.size(), maxContacts));
        return new UlDump(List.of(new UlDump.DomainEntry(domain)));
    }

    /** {@code ul.lookup location <aor>}: the AoR and its contacts, or empty when it has none. */
    public Optional<UlAor> lookup(String aor) {
        String key = registrar.normalizeAor(aor);
        long now = clock.wallMillis();
        List<Binding> bindings = store.get(key, now);
        return bindings.isEmpty() ? Optional.empty() : Optional.of(info(key, bindings, now, false));
    }

    /** {@code ul.rm location <aor>}: removes every contact of the AoR; returns how many were removed. */
    public int remove(String aor) {
        return registrar.unregister(aor);
    }

    /** {@code ul.rm_contact location <aor> <contact>}: removes one contact; false when it was not there. */
    public boolean removeContact(String aor, String contact) {
        String key = registrar.normalizeAor(aor);
        boolean[] removed = {false};
        store.update(key, clock.wallMillis(), current -> {
            List<Binding> next = new ArrayList<>(current);
            removed[0] = next.removeIf(b -> b.contact().equals(contact));
            return removed[0] ? next : current;
        });
        return removed[0];
    }

    private static UlAor info(String aor, List<Binding> bindings, long now, boolean brief) {
        List<Binding> sorted = new ArrayList<>(bindings);
        sorted.sort(Lookup.LOOKUP_ORDER);
        List<UlAor.ContactEntry> contacts = new ArrayList<>(sorted.size());
        if (!brief) {
            for (Binding b : sorted) {
                contacts.add(new UlAor.ContactEntry(UlContact.of(b, now)));
            }
        }
        return new UlAor(aor, aor.hashCode() & 0x7fffffffL, brief ? null : contacts);
    }
}
