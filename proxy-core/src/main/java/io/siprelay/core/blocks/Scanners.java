package io.siprelay.core.blocks;

import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Drops requests from well-known SIP scanners without an answer, like Kamailio's default configuration does with
 * {@code if($ua =~ "friendly-scanner|sipcli|sipvicious|VaxSIPUserAgent") exit;}. Answering a scanner only confirms
 * that something listens. The match is a case-insensitive substring of the User-Agent header.
 *
 * <p>The list holds attack tools only. Test and monitoring tools an operator points at its own proxy (sipsak,
 * SIPp, sipexer, Nagios/Zabbix SIP checks) and softphones are never on it: dropping them turns a keep-alive check
 * into a timeout. Extend it with {@link #dropMatching}.
 */
public final class Scanners implements Route {

    /**
     * User-Agent fragments of the scanners seen in the wild: Kamailio's default list (friendly-scanner, sipcli,
     * sipvicious, VaxSIPUserAgent) plus sip-scan, iWar, sundayddr and SIVuS.
     */
    public static final List<String> KNOWN = List.of("friendly-scanner", "sipcli", "sipvicious", "VaxSIPUserAgent",
            "sip-scan", "iWar", "sundayddr", "SIVuS");

    private final String[] patterns;
    private final LongAdder dropped = new LongAdder();

    private Scanners(List<String> patterns) {
        this.patterns = patterns.toArray(String[]::new);
        for (String p : this.patterns) {
            if (p == null || p.isEmpty()) {
                throw new IllegalArgumentException("empty User-Agent pattern");
            }
        }
    }

    /** Drops requests whose User-Agent contains one of {@link #KNOWN}. */
    public static Scanners dropKnown() {
        return new Scanners(KNOWN);
    }

    /** Drops requests whose User-Agent contains one of {@code patterns} (case-insensitive), replacing the list. */
    public static Scanners dropMatching(List<String> patterns) {
        return new Scanners(List.copyOf(patterns));
    }

    @Override
    public Step handle(RequestContext ctx) {
        if (isScanner(ctx.userAgent())) {
            dropped.increment();
            return ctx.drop();
        }
        return Step.next();
    }

    @Override
    public String name() {
        return "SCANNERS";
    }

    /** True when {@code userAgent} contains one of the patterns, ignoring case. Null is no scanner. */
    public boolean isScanner(String userAgent) {
        if (userAgent == null) {
            return false;
        }
        for (String p : patterns) {
            if (containsIgnoreCase(userAgent, p)) {
                return true;
            }
        }
        return false;
    }

    /** Requests dropped so far. */
    public long dropped() {
        return dropped.sum();
    }

    private static boolean containsIgnoreCase(String s, String p) {
        int last = s.length() - p.length();
        for (int i = 0; i <= last; i++) {
            if (s.regionMatches(true, i, p, 0, p.length())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "route[SCANNERS]" + List.of(patterns);
    }
}
