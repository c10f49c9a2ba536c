package io.siprelay.dispatcher;

/**
 * Kamailio's destination flag bits and their two-letter display ({@code AP}, {@code IP}, {@code TX}, {@code DX},
 * {@code AX}, {@code AN}...). First letter: {@code I} inactive, else {@code D} disabled, else {@code T} trying, else
 * {@code A} active. Second letter: {@code P} probing, else {@code N} never ping, else {@code X}.
 */
public final class DsFlags {

    /** Inactive: failed its probes; not selected. */
    public static final int INACTIVE = 1;
    /** Trying: failing but still selectable. */
    public static final int TRYING = 2;
    /** Disabled by an administrator: never selected, never changed by probes. */
    public static final int DISABLED = 4;
    /** Probing: pinged (depending on the probing mode). */
    public static final int PROBING = 8;
    /** Skip DNS A/AAAA resolution at load. */
    public static final int NODNS = 16;
    /** Never pinged. */
    public static final int NOPING = 32;

    /** Bits that are configuration rather than health: disabled, probing, no DNS, no ping. */
    static final int ADMIN_MASK = DISABLED | PROBING | NODNS | NOPING;

    private DsFlags() {
    }

    /** The two letters Kamailio's {@code dispatcher.list} shows for these flags. */
    public static String letters(int flags) {
        char a;
        if ((flags & INACTIVE) != 0) {
            a = 'I';
        } else if ((flags & DISABLED) != 0) {
            a = 'D';
        } else if ((flags & TRYING) != 0) {
            a = 'T';
        } else {
            a = 'A';
        }
        char b = (flags & PROBING) != 0 ? 'P' : (flags & NOPING) != 0 ? 'N' : 'X';
        return new String(new char[] {a, b});
    }

    /**
     * Parses a state as {@code ds_mark_dst} and {@code dispatcher.set_state} take it: {@code a}, {@code i},
     * {@code t} or {@code d}, optionally followed by {@code p} (probing), case-insensitive. Returns the flag bits
     * (the state bit, 0 for active, plus PROBING).
     */
    public static int parseState(String state) {
        if (state == null || state.isEmpty() || state.length() > 2) {
            throw new IllegalArgumentException("state must be a|i|t|d optionally followed by p, got " + state);
        }
        String s = state.toLowerCase(java.util.Locale.ROOT);
        int f = switch (s.charAt(0)) {
            case 'a' -> 0;
            case 'i' -> INACTIVE;
            case 't' -> TRYING;
            case 'd' -> DISABLED;
            default -> throw new IllegalArgumentException("state must be a|i|t|d optionally followed by p, got "
                    + state);
        };
        if (s.length() == 2) {
            if (s.charAt(1) != 'p') {
                throw new IllegalArgumentException("state must be a|i|t|d optionally followed by p, got " + state);
            }
            f |= PROBING;
        }
        return f;
    }
}
