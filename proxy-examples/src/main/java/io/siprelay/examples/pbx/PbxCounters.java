package io.siprelay.examples.pbx;

import io.siprelay.auth.AuthResult;
import io.siprelay.core.route.RequestContext;
import io.siprelay.registrar.Registrar;
import io.siprelay.registrar.SaveResult;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The PBX's own counters (what the routes decided), read by {@code stats.get} and by the Prometheus metrics.
 * Lock-free: every counter is a {@link LongAdder}.
 */
public final class PbxCounters {

    private final Map<String, LongAdder> requestsByMethod = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> authFailures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> registrations = new ConcurrentHashMap<>();
    final LongAdder fromCarrier = new LongAdder();
    final LongAdder toCarrier = new LongAdder();
    final LongAdder failovers = new LongAdder();
    final LongAdder overloadRejected = new LongAdder();

    void request(String method) {
        String m = method.length() <= 16 ? method.toUpperCase(Locale.ROOT) : "OTHER";
        requestsByMethod.computeIfAbsent(known(m), k -> new LongAdder()).increment();
    }

    void authFailure(AuthResult r) {
        authFailures.computeIfAbsent(r.name().toLowerCase(Locale.ROOT), k -> new LongAdder()).increment();
    }

    void registerSaved(RequestContext ctx) {
        SaveResult r = ctx.get(Registrar.SAVE_RESULT);
        String k = r == null ? "unknown" : r.name().toLowerCase(Locale.ROOT);
        registrations.computeIfAbsent(k, x -> new LongAdder()).increment();
    }

    private static String known(String m) {
        return switch (m) {
            case "INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "INFO", "UPDATE", "PRACK", "SUBSCRIBE",
                    "NOTIFY", "PUBLISH", "MESSAGE", "REFER" -> m;
            default -> "OTHER";
        };
    }

    /** Requests seen by the request route, by method (unknown methods count as OTHER). */
    public Map<String, Long> requestsByMethod() {
        return sums(requestsByMethod);
    }

    /** Failed digest checks by {@link AuthResult} (lower case): no_credentials is the normal first challenge. */
    public Map<String, Long> authFailures() {
        return sums(authFailures);
    }

    /** REGISTER outcomes by {@link SaveResult} (lower case). */
    public Map<String, Long> registrations() {
        return sums(registrations);
    }

    public long fromCarrier() {
        return fromCarrier.sum();
    }

    public long toCarrier() {
        return toCarrier.sum();
    }

    public long failovers() {
        return failovers.sum();
    }

    /** New requests refused with 503 while shutting down. */
    public long shutdownRejected() {
        return overloadRejected.sum();
    }

    /** Everything, for {@code stats.get}. */
    public Map<String, Object> snapshot() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", requestsByMethod());
        m.put("auth_failures", authFailures());
        m.put("registrations", registrations());
        m.put("calls_from_carrier", fromCarrier());
        m.put("calls_to_carrier", toCarrier());
        m.put("carrier_failovers", failovers());
        m.put("shutdown_rejected", shutdownRejected());
        return m;
    }

    private static Map<String, Long> sums(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
