package io.siprelay.dispatcher;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A destination's {@code attrs} column: {@code key=value;key=value}. The known keys have typed getters; every key,
 * known or not, stays in {@link #all()} in its original order, and {@link #body()} is the text as loaded.
 */
public final class Attrs {

    /** No attributes. */
    public static final Attrs EMPTY = new Attrs("", Map.of());

    private final String body;
    private final Map<String, String> values;

    private Attrs(String body, Map<String, String> values) {
        this.body = body;
        this.values = values;
    }

    /**
     * Parses {@code k=v;k=v}. Blank or null gives {@link #EMPTY}. A key without '=' gets an empty value.
     *
     * @throws IllegalArgumentException when a known numeric key ({@code weight}, {@code rweight}, {@code maxload},
     *                                  {@code latency}) is not a number or out of range
     */
    public static Attrs parse(String body) {
        if (body == null || body.isBlank()) {
            return EMPTY;
        }
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : body.split(";")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            String k = (eq < 0 ? p : p.substring(0, eq)).trim();
            String v = eq < 0 ? "" : p.substring(eq + 1).trim();
            m.put(k, v);
        }
        Attrs a = new Attrs(body.trim(), Collections.unmodifiableMap(m));
        checkRange(a, "weight", 0, 100);
        checkRange(a, "rweight", 0, 100);
        checkRange(a, "maxload", 0, Integer.MAX_VALUE);
        checkRange(a, "latency", 0, Integer.MAX_VALUE);
        return a;
    }

    private static void checkRange(Attrs a, String key, int min, int max) {
        String v = a.values.get(key);
        if (v == null) {
            return;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("attrs " + key + "=" + v + " is not a number");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException("attrs " + key + "=" + v + " is out of range " + min + ".." + max);
        }
    }

    /** The text as loaded. */
    public String body() {
        return body;
    }

    /** Every key, known or not, in order. */
    public Map<String, String> all() {
        return values;
    }

    /** A value, or null. */
    public String get(String key) {
        return values.get(key);
    }

    private int intOr(String key, int dflt) {
        String v = values.get(key);
        return v == null || v.isEmpty() ? dflt : Integer.parseInt(v);
    }

    /** {@code weight} (algorithm 9), 0 when absent. */
    public int weight() {
        return intOr("weight", 0);
    }

    /** {@code rweight} (algorithm 11), 0 when absent. */
    public int rweight() {
        return intOr("rweight", 0);
    }

    /** {@code duid}: the unique id call load is counted under (algorithm 10); null when absent. */
    public String duid() {
        return values.get("duid");
    }

    /** {@code maxload}: most concurrent calls for algorithm 10; 0 = unlimited. */
    public int maxload() {
        return intOr("maxload", 0);
    }

    /** {@code socket}: the local socket to send from, as text (e.g. {@code udp:10.0.0.1:5060}); null when absent. */
    public String socket() {
        return values.get("socket");
    }

    /** {@code ping_from}: From URI of this destination's probes; null for the dispatcher's default. */
    public String pingFrom() {
        return values.get("ping_from");
    }

    /** {@code latency}: initial latency estimate in ms (algorithm 13), 0 when absent. */
    public int initialLatency() {
        return intOr("latency", 0);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Attrs a && a.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return body;
    }
}
