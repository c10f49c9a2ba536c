package io.siprelay.examples.pbx;

import io.siprelay.auth.AuthResult;
import io.siprelay.auth.DigestAuth;
import io.siprelay.core.route.ReplyContext;
import io.siprelay.core.route.ReplyRoute;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.TxKey;
import io.siprelay.examples.management.ManagedPbx;
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
public final class PbxCounters implements ManagedPbx.Counters {

    private static final TxKey<Long> STARTED = TxKey.of("pbx.started", Long.class);

    private final Map<String, LongAdder> requestsByMethod = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> authFailures = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> registrations = new ConcurrentHashMap<>();
    private final Map<Integer, LongAdder> repliesByCode = new ConcurrentHashMap<>();
    private final Map<String, LongAdder[]> answerTimes = new ConcurrentHashMap<>();
    final LongAdder fromCarrier = new LongAdder();
    final LongAdder toCarrier = new LongAdder();
    final LongAdder failovers = new LongAdder();
    final LongAdder overloadRejected = new LongAdder();

    /**
     * The request route with the counters around it: each request by method, the time it arrived (for the answer
     * times that {@link #replies} measures), and after the route the outcome of its digest check and of its save.
     */
    Route around(Route requestRoute, DigestAuth auth) {
        return Route.named(requestRoute.name(), ctx -> {
            request(ctx.method());
            ctx.set(STARTED, System.nanoTime());
            Step s = requestRoute.handle(ctx);
            AuthResult checked = auth.lastResult(ctx);
            if (checked != null && !checked.isOk()) {
                authFailure(checked);
            }
            if (ctx.get(Registrar.SAVE_RESULT) != null) {
                registerSaved(ctx);
            }
            return s;
        });
    }

    /** A reply route that runs {@code inner} (null for none), then counts the reply and times final answers. */
    ReplyRoute replies(ReplyRoute inner) {
        return r -> {
            if (inner != null) {
                inner.handle(r);
            }
            countReply(r);
        };
    }

    private void countReply(ReplyContext r) {
        Long started = r.get(STARTED);
        javax.sip.header.CSeqHeader cseq = (javax.sip.header.CSeqHeader) r.response()
                .getHeader(javax.sip.header.CSeqHeader.NAME);
        reply(r.status(), cseq != null ? cseq.getMethod() : "OTHER", started != null ? System.nanoTime() - started : -1);
    }

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

    /** A response from downstream to a relayed request; {@code nanos} since the request reached the route when final. */
    void reply(int code, String method, long nanos) {
        if (code < 100 || code > 699) {
            return;
        }
        repliesByCode.computeIfAbsent(code, k -> new LongAdder()).increment();
        if (code >= 200 && nanos >= 0) {
            LongAdder[] t = answerTimes.computeIfAbsent(known(method.toUpperCase(Locale.ROOT)),
                    k -> new LongAdder[] {new LongAdder(), new LongAdder()});
            t[0].increment();
            t[1].add(nanos);
        }
    }

    private static String known(String m) {
        return switch (m) {
            case "INVITE", "ACK", "BYE", "CANCEL", "REGISTER", "OPTIONS", "INFO", "UPDATE", "PRACK", "SUBSCRIBE",
                    "NOTIFY", "PUBLISH", "MESSAGE", "REFER" -> m;
            default -> "OTHER";
        };
    }

    /** Responses received from downstream for relayed requests, by status code (provisionals included). */
    @Override
    public Map<Integer, Long> repliesByCode() {
        Map<Integer, Long> out = new TreeMap<>();
        repliesByCode.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Methods with relayed transactions that got a final answer. */
    @Override
    public java.util.Set<String> answeredMethods() {
        return new java.util.TreeSet<>(answerTimes.keySet());
    }

    /** Final answers received for relayed requests of {@code method}. */
    @Override
    public long answerCount(String method) {
        LongAdder[] t = answerTimes.get(method);
        return t == null ? 0 : t[0].sum();
    }

    /** Sum of the times from the request route to each final answer, nanoseconds. */
    @Override
    public long answerNanos(String method) {
        LongAdder[] t = answerTimes.get(method);
        return t == null ? 0 : t[1].sum();
    }

    /** Requests seen by the request route, by method (unknown methods count as OTHER). */
    @Override
    public Map<String, Long> requestsByMethod() {
        return sums(requestsByMethod);
    }

    /** Failed digest checks by {@link AuthResult} (lower case): no_credentials is the normal first challenge. */
    @Override
    public Map<String, Long> authFailures() {
        return sums(authFailures);
    }

    /** REGISTER outcomes by {@link SaveResult} (lower case). */
    @Override
    public Map<String, Long> registrations() {
        return sums(registrations);
    }

    @Override
    public long fromCarrier() {
        return fromCarrier.sum();
    }

    @Override
    public long toCarrier() {
        return toCarrier.sum();
    }

    @Override
    public long failovers() {
        return failovers.sum();
    }

    /** New requests refused with 503 while shutting down. */
    @Override
    public long shutdownRejected() {
        return overloadRejected.sum();
    }

    /** Everything, for {@code stats.get}. */
    @Override
    public Map<String, Object> snapshot() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", requestsByMethod());
        Map<String, Long> replies = new LinkedHashMap<>();
        repliesByCode().forEach((k, v) -> replies.put(Integer.toString(k), v));
        m.put("relayed_replies", replies);
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
