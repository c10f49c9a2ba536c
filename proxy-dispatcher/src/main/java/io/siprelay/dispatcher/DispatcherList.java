package io.siprelay.dispatcher;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The data of Kamailio's {@code dispatcher.list} RPC, in its shape and with its upper-case names, ready for Jackson:
 * {@code {"NRSETS":1,"RECORDS":[{"SET":{"ID":1,"TARGETS":[{"DEST":{"URI":...,"FLAGS":"AP","PRIORITY":0,
 * "ATTRS":{...},"LATENCY":{...},"RUNTIME":{...}}}]}}]}}. ATTRS only when the destination has attrs, RUNTIME only when
 * call load is tracked for it.
 */
@JsonPropertyOrder({"NRSETS", "RECORDS"})
public record DispatcherList(@JsonProperty("NRSETS") int nrSets, @JsonProperty("RECORDS") List<Record> records) {

    /** One set. */
    public record Record(@JsonProperty("SET") Set set) {
    }

    @JsonPropertyOrder({"ID", "TARGETS"})
    public record Set(@JsonProperty("ID") int id, @JsonProperty("TARGETS") List<Target> targets) {
    }

    public record Target(@JsonProperty("DEST") Dest dest) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"URI", "FLAGS", "PRIORITY", "ATTRS", "LATENCY", "RUNTIME"})
    public record Dest(@JsonProperty("URI") String uri,
                       @JsonProperty("FLAGS") String flags,
                       @JsonProperty("PRIORITY") int priority,
                       @JsonProperty("ATTRS") DestAttrs attrs,
                       @JsonProperty("LATENCY") Latency latency,
                       @JsonProperty("RUNTIME") Runtime runtime) {
    }

    /** ATTRS: the body as loaded and the known keys; unknown keys are in BODY. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"BODY", "DUID", "MAXLOAD", "WEIGHT", "RWEIGHT", "SOCKET", "PING_FROM"})
    public record DestAttrs(@JsonProperty("BODY") String body,
                            @JsonProperty("DUID") String duid,
                            @JsonProperty("MAXLOAD") int maxload,
                            @JsonProperty("WEIGHT") int weight,
                            @JsonProperty("RWEIGHT") int rweight,
                            @JsonProperty("SOCKET") String socket,
                            @JsonProperty("PING_FROM") String pingFrom) {
    }

    /** LATENCY in ms: AVG long-term mean, STD its deviation, EST short-term estimate, MAX, TIMEOUT = timed-out pings. */
    @JsonPropertyOrder({"AVG", "STD", "EST", "MAX", "TIMEOUT"})
    public record Latency(@JsonProperty("AVG") double avg,
                          @JsonProperty("STD") double std,
                          @JsonProperty("EST") double est,
                          @JsonProperty("MAX") long max,
                          @JsonProperty("TIMEOUT") long timeout) {
    }

    /** RUNTIME: active calls counted for the destination's duid (algorithm 10). */
    public record Runtime(@JsonProperty("DLGLOAD") int dlgLoad) {
    }
}
