package io.siprelay.registrar.ul;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.siprelay.registrar.store.Binding;

/**
 * One contact as Kamailio's {@code ul.dump}/{@code ul.lookup} print it. Absent strings are {@code "[not set]"},
 * {@code Methods} is the bit mask (4294967295 for "all"), {@code Expires} the seconds left, {@code Last-Modified} epoch
 * seconds. {@code State} is {@code CS_SYNC} (this store never holds unsaved changes).
 */
@JsonPropertyOrder({"Address", "Expires", "Q", "Call-ID", "CSeq", "User-Agent", "Received", "Path", "State", "Flags",
        "CFlags", "Socket", "Methods", "Ruid", "Instance", "Reg-Id", "Server-Id", "Tcpconn-Id", "Keepalive",
        "Last-Keepalive", "KA-Roundtrip", "Last-Modified"})
public record UlContact(
        @JsonProperty("Address") String address,
        @JsonProperty("Expires") long expires,
        @JsonProperty("Q") float q,
        @JsonProperty("Call-ID") String callId,
        @JsonProperty("CSeq") long cseq,
        @JsonProperty("User-Agent") String userAgent,
        @JsonProperty("Received") String received,
        @JsonProperty("Path") String path,
        @JsonProperty("State") String state,
        @JsonProperty("Flags") int flags,
        @JsonProperty("CFlags") int cflags,
        @JsonProperty("Socket") String socket,
        @JsonProperty("Methods") long methods,
        @JsonProperty("Ruid") String ruid,
        @JsonProperty("Instance") String instance,
        @JsonProperty("Reg-Id") int regId,
        @JsonProperty("Server-Id") int serverId,
        @JsonProperty("Tcpconn-Id") int tcpconnId,
        @JsonProperty("Keepalive") int keepalive,
        @JsonProperty("Last-Keepalive") long lastKeepalive,
        @JsonProperty("KA-Roundtrip") long kaRoundtrip,
        @JsonProperty("Last-Modified") long lastModified) {

    static final String NOT_SET = "[not set]";

    /** The view of {@code b} at wall time {@code now}. */
    public static UlContact of(Binding b, long now) {
        return new UlContact(b.contact(), b.remainingSeconds(now), b.q(), b.callId(), b.cseq(),
                b.userAgent().isEmpty() ? NOT_SET : b.userAgent(), orNotSet(b.received()), orNotSet(b.path()),
                "CS_SYNC", b.flags(), b.cflags(), orNotSet(b.socket()),
                b.methods() == null ? 0xffffffffL : b.methods() & 0xffffffffL, b.ruid(), orNotSet(b.instance()),
                b.regId(), 0, -1, 0, b.lastModified() / 1000, 0, b.lastModified() / 1000);
    }

    private static String orNotSet(String s) {
        return s == null ? NOT_SET : s;
    }
}
