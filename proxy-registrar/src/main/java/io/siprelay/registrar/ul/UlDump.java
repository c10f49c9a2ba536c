package io.siprelay.registrar.ul;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * {@code ul.dump}: {@code {"Domains":[{"Domain":{"Domain":"location","Size":n,"AoRs":[{"Info":{...}}],
 * "Stats":{"Records":n,"Max-Slots":m}}}]}}, as Kamailio prints it. Here a usrloc "domain" is a location table.
 */
public record UlDump(@JsonProperty("Domains") List<DomainEntry> domains) {

    /** The wrapper object {@code {"Domain": {...}}}. */
    public record DomainEntry(@JsonProperty("Domain") Domain domain) {
    }

    /**
     * One location table.
     *
     * @param name  the table ({@code location})
     * @param size  the number of AoRs (Kamailio prints its hash table size here)
     * @param aors  the AoRs
     * @param stats record counts
     */
    @JsonPropertyOrder({"Domain", "Size", "AoRs", "Stats"})
    public record Domain(@JsonProperty("Domain") String name, @JsonProperty("Size") int size,
                         @JsonProperty("AoRs") List<AorEntry> aors, @JsonProperty("Stats") Stats stats) {
    }

    /** The wrapper object {@code {"Info": {...}}}. */
    public record AorEntry(@JsonProperty("Info") UlAor info) {
    }

    /**
     * @param records  AoRs in the table
     * @param maxSlots the most contacts any one AoR has (Kamailio: the fullest hash slot)
     */
    @JsonPropertyOrder({"Records", "Max-Slots"})
    public record Stats(@JsonProperty("Records") int records, @JsonProperty("Max-Slots") int maxSlots) {
    }
}
