package io.siprelay.registrar.ul;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One AoR as {@code ul.lookup} and {@code ul.dump} show it: {@code {"AoR":..., "HashID":..., "Contacts":[{"Contact":
 * {...}}]}}. {@code Contacts} is left out in a brief dump.
 */
@JsonPropertyOrder({"AoR", "HashID", "Contacts"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UlAor(@JsonProperty("AoR") String aor, @JsonProperty("HashID") long hashId,
                    @JsonProperty("Contacts") List<ContactEntry> contacts) {

    /** The wrapper object {@code {"Contact": {...}}}. */
    public record ContactEntry(@JsonProperty("Contact") UlContact contact) {
    }
}
