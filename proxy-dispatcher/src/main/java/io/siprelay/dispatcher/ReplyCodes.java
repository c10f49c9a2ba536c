package io.siprelay.dispatcher;

import java.util.HashSet;
import java.util.Set;

/**
 * Which probe replies count as "alive" ({@code ds_ping_reply_codes}): any 2xx, plus the classes and codes listed, in
 * Kamailio's syntax {@code class=2;code=403;code=488}. A listed 408 also accepts the proxy's local timeout 408 (but
 * never the dispatcher's own probe timeout).
 */
public final class ReplyCodes {

    private final Set<Integer> classes;
    private final Set<Integer> codes;

    private ReplyCodes(Set<Integer> classes, Set<Integer> codes) {
        this.classes = Set.copyOf(classes);
        this.codes = Set.copyOf(codes);
    }

    /** Only 2xx. */
    public static ReplyCodes defaults() {
        return new ReplyCodes(Set.of(2), Set.of());
    }

    /** Parses {@code class=N;code=NNN;...}; 2xx always counts. */
    public static ReplyCodes parse(String spec) {
        Set<Integer> classes = new HashSet<>();
        Set<Integer> codes = new HashSet<>();
        classes.add(2);
        if (spec != null) {
            for (String part : spec.split(";")) {
                String p = part.trim();
                if (p.isEmpty()) {
                    continue;
                }
                String[] kv = p.split("=", 2);
                if (kv.length != 2) {
                    throw new IllegalArgumentException("ping reply codes: expected class=N or code=NNN, got " + p);
                }
                int v = Integer.parseInt(kv[1].trim());
                switch (kv[0].trim()) {
                    case "class" -> {
                        if (v < 1 || v > 6) {
                            throw new IllegalArgumentException("ping reply class must be 1..6, got " + v);
                        }
                        classes.add(v);
                    }
                    case "code" -> {
                        if (v < 100 || v > 699) {
                            throw new IllegalArgumentException("ping reply code must be 100..699, got " + v);
                        }
                        codes.add(v);
                    }
                    default -> throw new IllegalArgumentException("ping reply codes: unknown key " + kv[0]);
                }
            }
        }
        return new ReplyCodes(classes, codes);
    }

    public boolean accepts(int status) {
        return codes.contains(status) || classes.contains(status / 100);
    }
}
