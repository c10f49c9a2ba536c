package io.siprelay.registrar;

import java.util.Locale;
import java.util.Map;

/**
 * SIP methods as the bit mask Kamailio stores in the {@code methods} column of {@code location} (from the Allow header
 * of the REGISTER), so that {@code lookup} can refuse a method the contact does not accept.
 */
public final class Methods {

    private static final Map<String, Integer> BITS = Map.ofEntries(
            Map.entry("INVITE", 1), Map.entry("CANCEL", 1 << 1), Map.entry("ACK", 1 << 2),
            Map.entry("BYE", 1 << 3), Map.entry("INFO", 1 << 4), Map.entry("REGISTER", 1 << 5),
            Map.entry("SUBSCRIBE", 1 << 6), Map.entry("NOTIFY", 1 << 7), Map.entry("MESSAGE", 1 << 8),
            Map.entry("OPTIONS", 1 << 9), Map.entry("PRACK", 1 << 10), Map.entry("UPDATE", 1 << 11),
            Map.entry("REFER", 1 << 12), Map.entry("PUBLISH", 1 << 13));
    /** Kamailio's METHOD_OTHER: any method without a bit of its own. */
    private static final int OTHER = 1 << 15;

    private Methods() {
    }

    /** The bit of one method; unknown methods share the "other" bit. */
    public static int bit(String method) {
        Integer b = BITS.get(method.toUpperCase(Locale.ROOT));
        return b == null ? OTHER : b;
    }

    /** The mask of a comma-separated method list such as an Allow header value. */
    public static int parse(String allow) {
        int mask = 0;
        for (String m : allow.split(",")) {
            String t = m.trim();
            if (!t.isEmpty()) {
                mask |= bit(t);
            }
        }
        return mask;
    }

    public static boolean allows(int mask, String method) {
        return (mask & bit(method)) != 0;
    }

    /** The methods of a mask, comma separated (for ul.dump). */
    public static String format(Integer mask) {
        if (mask == null) {
            return "all";
        }
        StringBuilder sb = new StringBuilder();
        BITS.entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> {
            if ((mask & e.getValue()) != 0) {
                sb.append(sb.length() == 0 ? "" : ",").append(e.getKey());
            }
        });
        return sb.toString();
    }
}
