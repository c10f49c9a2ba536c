package io.siprelay.dispatcher;

import java.util.Objects;

/**
 * One row of the {@code dispatcher} table (or one line of a list file), as configured: Kamailio's columns id, setid,
 * destination, flags, priority, attrs, description.
 *
 * @param id          row id (0 when the source has none, e.g. a list file)
 * @param setId       the destination set
 * @param destination a SIP URI, e.g. {@code sip:10.0.0.1:5060;transport=tcp}
 * @param flags       configured {@link DsFlags} bits (1 inactive, 2 trying, 4 disabled, 8 probing, 16 no DNS, 32 no ping)
 * @param priority    higher first (algorithm 8 and the order of a set)
 * @param attrs       parsed {@code attrs} column
 * @param description free text
 */
public record DispatcherEntry(long id, int setId, String destination, int flags, int priority, Attrs attrs,
                              String description) {

    public DispatcherEntry {
        Objects.requireNonNull(destination, "destination");
        attrs = attrs == null ? Attrs.EMPTY : attrs;
        description = description == null ? "" : description;
    }

    /** An entry with flags 0, priority 0, no attrs. */
    public static DispatcherEntry of(int setId, String destination) {
        return new DispatcherEntry(0, setId, destination, 0, 0, Attrs.EMPTY, "");
    }

    /** An entry with the given flags, priority and attrs text. */
    public static DispatcherEntry of(int setId, String destination, int flags, int priority, String attrs) {
        return new DispatcherEntry(0, setId, destination, flags, priority, Attrs.parse(attrs), "");
    }

    /** How errors name this entry: "set 1 destination sip:... (id 7)". */
    public String label() {
        return "set " + setId + " destination " + destination + (id > 0 ? " (id " + id + ")" : "");
    }
}
