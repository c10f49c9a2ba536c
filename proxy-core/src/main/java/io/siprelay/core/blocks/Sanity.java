package io.siprelay.core.blocks;

import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import java.util.EnumSet;
import java.util.ListIterator;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.ContactHeader;
import javax.sip.header.ExpiresHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.HeaderAddress;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;

/**
 * Kamailio's {@code sanity_check}, for the checks the codec does not already make. A failing request gets
 * {@code 400 Bad Request - <problem>} and processing ends, as {@code sanity_check} replies itself and the default
 * configuration then {@code exit}s.
 *
 * <p>Where each of Kamailio's check bits lives in SipRelay:
 * <table>
 * <caption>sanity_check bits</caption>
 * <tr><th>bit</th><th>check</th><th>where</th></tr>
 * <tr><td>1</td><td>SIP version</td><td>codec (505)</td></tr>
 * <tr><td>2</td><td>R-URI scheme</td><td>codec (416 unless sip, sips, tel)</td></tr>
 * <tr><td>4</td><td>required headers</td><td>codec (400)</td></tr>
 * <tr><td>32, 64</td><td>CSeq method, number</td><td>codec (400/501)</td></tr>
 * <tr><td>128</td><td>Content-Length vs body</td><td>codec and stream framer (400)</td></tr>
 * <tr><td>256</td><td>Expires value</td><td>codec (400 for a non-numeric, negative or too large value)</td></tr>
 * <tr><td>512</td><td>Proxy-Require</td><td>codec (420 with Unsupported)</td></tr>
 * <tr><td>1024, uri 1</td><td>parse R-URI</td><td>codec</td></tr>
 * <tr><td>1024, uri 2/4</td><td>parse From / To URI</td><td>{@link Check#FROM_TO_URI} (the codec already rejects a
 *     SIP URI without host)</td></tr>
 * <tr><td>1024, uri 8</td><td>parse Contact URIs</td><td>{@link Check#CONTACT}</td></tr>
 * <tr><td>2048, 8192</td><td>digest credentials, Authorization</td><td>proxy-auth</td></tr>
 * <tr><td>4096</td><td>duplicate From/To tags</td><td>not possible here: the parser keeps only the last tag</td></tr>
 * <tr><td>16384</td><td>first Via</td><td>{@link Check#VIA1}</td></tr>
 * <tr><td>32768</td><td>RFC 3261 (branch cookie)</td><td>{@link Check#RFC3261_BRANCH}</td></tr>
 * <tr><td>65536</td><td>sizes</td><td>codec ({@code SipLimits})</td></tr>
 * </table>
 *
 * <p>{@link #check()} runs what is left of the default configuration's {@code sanity_check("17895", "7")}:
 * {@link Check#VIA1} and {@link Check#FROM_TO_URI}.
 */
public final class Sanity implements Route {

    /** The checks this block can make. */
    public enum Check {
        /** The top Via has a sent-by host and a port of at most 65535 (bit 16384). */
        VIA1,
        /** From and To carry a sip:, sips: or tel: URI (uri bits 2 and 4). */
        FROM_TO_URI,
        /**
         * Contact URIs are sip:, sips: or tel: (uri bit 8); {@code Contact: *} only in a REGISTER, alone, with
         * {@code Expires: 0} (RFC 3261 §10.2.2).
         */
        CONTACT,
        /** From has a non-empty tag (RFC 3261 §8.1.1.3; RFC 2543 peers send none, so not in the defaults). */
        FROM_TAG,
        /** The top Via branch starts with the RFC 3261 magic cookie {@code z9hG4bK} (bit 32768). */
        RFC3261_BRANCH,
        /** A REGISTER Request-URI has no user part (RFC 3261 §10.2). */
        REGISTER_URI
    }

    private static final Set<Check> DEFAULTS = EnumSet.of(Check.VIA1, Check.FROM_TO_URI);

    private final Check[] checks;
    private final LongAdder rejected = new LongAdder();

    private Sanity(Set<Check> checks) {
        this.checks = EnumSet.copyOf(checks).toArray(Check[]::new);
    }

    /** The default configuration's {@code sanity_check("17895", "7")}, minus what the codec does. */
    public static Sanity check() {
        return new Sanity(DEFAULTS);
    }

    /** The given checks, in {@link Check} order. */
    public static Sanity check(Check first, Check... more) {
        return new Sanity(EnumSet.of(first, more));
    }

    @Override
    public Step handle(io.siprelay.core.route.RequestContext ctx) {
        String problem = problem(ctx.request());
        if (problem != null) {
            rejected.increment();
            return ctx.reply(400, "Bad Request - " + problem);
        }
        return Step.next();
    }

    @Override
    public String name() {
        return "SANITY";
    }

    /** Requests rejected so far. */
    public long rejected() {
        return rejected.sum();
    }

    /** The first problem found in {@code request}, or null when it passes every configured check. */
    public String problem(Request request) {
        for (Check c : checks) {
            String p = switch (c) {
                case VIA1 -> via1(request);
                case FROM_TO_URI -> fromTo(request);
                case CONTACT -> contact(request);
                case FROM_TAG -> fromTag(request);
                case RFC3261_BRANCH -> branch(request);
                case REGISTER_URI -> registerUri(request);
            };
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    private static String via1(Request r) {
        ViaHeader via = (ViaHeader) r.getHeader(ViaHeader.NAME);
        if (via == null || via.getHost() == null || via.getHost().isEmpty()) {
            return "bad Via";
        }
        if (via.getPort() > 65535) {
            return "bad Via port";
        }
        return null;
    }

    private static String fromTo(Request r) {
        if (!dialable(uri(r, FromHeader.NAME))) {
            return "bad From URI";
        }
        if (!dialable(uri(r, ToHeader.NAME))) {
            return "bad To URI";
        }
        return null;
    }

    private static String contact(Request r) {
        ListIterator<?> it = r.getHeaders(ContactHeader.NAME);
        int count = 0;
        boolean wildcard = false;
        while (it.hasNext()) {
            ContactHeader c = (ContactHeader) it.next();
            count++;
            if (c.isWildCard()) {
                wildcard = true;
            } else if (!dialable(c.getAddress() == null ? null : c.getAddress().getURI())) {
                return "bad Contact URI";
            }
        }
        if (wildcard) {
            ExpiresHeader exp = (ExpiresHeader) r.getHeader(ExpiresHeader.NAME);
            if (!Request.REGISTER.equals(r.getMethod()) || count != 1 || exp == null || exp.getExpires() != 0) {
                return "bad Contact *";
            }
        }
        return null;
    }

    private static String fromTag(Request r) {
        FromHeader from = (FromHeader) r.getHeader(FromHeader.NAME);
        String tag = from == null ? null : from.getTag();
        return tag == null || tag.isEmpty() ? "missing From tag" : null;
    }

    private static String branch(Request r) {
        ViaHeader via = (ViaHeader) r.getHeader(ViaHeader.NAME);
        String b = via == null ? null : via.getBranch();
        return b != null && b.length() > 7 && b.startsWith("z9hG4bK") ? null : "bad Via branch";
    }

    private static String registerUri(Request r) {
        if (Request.REGISTER.equals(r.getMethod()) && r.getRequestURI() instanceof SipURI s && s.getUser() != null) {
            return "user in REGISTER Request-URI";
        }
        return null;
    }

    private static URI uri(Request r, String name) {
        return r.getHeader(name) instanceof HeaderAddress ha && ha.getAddress() != null ? ha.getAddress().getURI()
                : null;
    }

    private static boolean dialable(URI u) {
        if (u == null) {
            return false;
        }
        if (u instanceof SipURI s) {
            return s.getHost() != null && !s.getHost().isEmpty();
        }
        String scheme = u.getScheme();
        return scheme != null && scheme.toLowerCase(Locale.ROOT).equals("tel");
    }

    @Override
    public String toString() {
        return "route[SANITY]" + java.util.List.of(checks);
    }
}
