package io.siprelay.registrar;

import io.siprelay.core.blocks.Nat;
import io.siprelay.core.clock.SipClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.BranchRoute;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.Target;
import io.siprelay.core.route.TxKey;
import io.siprelay.registrar.store.LocationStore;
import io.siprelay.registrar.store.MemoryLocationStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.sip.address.SipURI;
import javax.sip.address.URI;
import javax.sip.header.ContactHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Request;

/**
 * Kamailio's registrar module as route helpers: {@link #save()} answers a REGISTER (RFC 3261 §10.3) and keeps the
 * bindings in a {@link LocationStore}; {@link #lookup(RequestContext)} turns the Request-URI into the registered
 * contacts for {@code ctx.relay()}; {@link #registered}, {@link #unregister} complete the set, and
 * {@link #locationService()} gives the {@code ul.dump}/{@code ul.lookup}/{@code ul.rm} data.
 *
 * <pre>{@code
 * Registrar registrar = Registrar.builder()
 *         .clock(clock)                          // the proxy's SipClock (virtual in tests)
 *         .store(new MemoryLocationStore(clock)) // or WriteThroughLocationStore / JdbcLocationStore
 *         .minExpires(60).maxExpires(3600).defaultExpires(3600).maxContacts(10)
 *         .build();
 *
 * Route requestRoute = ctx -> {
 *     if (ctx.isMethod("REGISTER")) {
 *         return ctx.route(registrar.save());          // replies itself: 200 with the bindings, or an error
 *     }
 *     return switch (registrar.lookup(ctx)) {
 *         case FOUND -> ctx.relay();                    // forks to every contact, by q
 *         case NOT_FOUND -> ctx.reply(404, "User not Registered");
 *         case METHOD_NOT_ALLOWED -> ctx.reply(405, "Method Not Allowed");
 *     };
 * };
 * }</pre>
 *
 * <p>The address-of-record (AoR) is {@code user@domain} of the To URI (REGISTER) or Request-URI (lookup), lower-cased;
 * with {@link Builder#useDomain(boolean) useDomain(false)} (Kamailio's {@code use_domain=0}) it is the user alone.
 *
 * <p>Thread-safe: one registrar serves every worker thread. Times come from the {@link SipClock}.
 */
public final class Registrar implements AutoCloseable {

    /** What {@link #save} did with the last REGISTER of this transaction; readable after {@code save}. */
    public static final TxKey<SaveResult> SAVE_RESULT = TxKey.of("registrar.save", SaveResult.class);

    /** What to do with a non-zero expiry below {@code minExpires}. */
    public enum MinExpiresMode {
        /** Answer 423 Interval Too Brief with Min-Expires (RFC 3261 §10.3 step 7; Kamailio min_expires_mode=1). */
        REJECT,
        /** Raise the expiry to the minimum silently (Kamailio's default, min_expires_mode=0). */
        RAISE
    }

    /** What to do when a REGISTER would give an AoR more than {@code maxContacts} bindings. */
    public enum TooManyContactsMode {
        /** Answer 503 "Too many registered contacts" and change nothing (Kamailio's max_contacts). */
        REJECT,
        /** Drop the least recently refreshed bindings not in this REGISTER to make room. */
        REPLACE_OLDEST
    }

    /**
     * Branch flag of a binding behind NAT: Kamailio's default configuration's {@code FLB_NATB} (6), stored in the
     * {@code cflags} column.
     */
    public static final int NAT_BFLAG = 1 << 6;
    /** Branch flag of a binding to keep alive with OPTIONS pings: Kamailio's {@code FLB_NATSIPPING} (7). */
    public static final int NAT_PING_BFLAG = 1 << 7;
    /** Both NAT flags, as Kamailio's default configuration sets them on a REGISTER from behind NAT. */
    public static final int NAT_BFLAGS = NAT_BFLAG | NAT_PING_BFLAG;

    /** When to store the REGISTER's source address as {@code received} (the NAT case of nathelper's fix). */
    public enum ReceivedMode {
        /** Never: requests go to the Contact as registered. */
        NEVER,
        /**
         * When the Contact host is an IP address and differs from the source address or port (the client is behind
         * NAT): later requests go to the source address, with the Contact as Request-URI. The default.
         */
        WHEN_NATED,
        /** Always: requests always go back to the address and transport the REGISTER came from. */
        ALWAYS
    }

    private final SipClock clock;
    private final LocationStore store;
    private final int minExpires;
    private final int maxExpires;
    private final int defaultExpires;
    private final MinExpiresMode minExpiresMode;
    private final int maxContacts;
    private final TooManyContactsMode tooManyContactsMode;
    private final int retryAfter;
    private final boolean useDomain;
    private final float defaultQ;
    private final long retransmissionWindowMillis;
    private final int maxContactLength;
    private final ReceivedMode receivedMode;
    private final HeaderFactory headers;
    private final javax.sip.address.AddressFactory addresses;
    private final String ruidPrefix;
    private final AtomicLong ruidCounter = new AtomicLong();
    private final LocationService locationService;
    private final long purgeIntervalMillis;
    private final Executor purgeExecutor;
    private final ExecutorService ownedPurgeExecutor;
    private volatile SipClock.Timer purgeTimer;
    private volatile boolean closed;

    private Registrar(Builder b) {
        this.clock = Objects.requireNonNull(b.clock, "clock: builder.clock(proxyClock) is required");
        this.store = b.store != null ? b.store : new MemoryLocationStore(clock);
        if (b.minExpires < 0 || b.defaultExpires <= 0 || b.maxExpires < 0) {
            throw new IllegalArgumentException("expires settings must be >= 0 (default > 0)");
        }
        if (b.maxExpires > 0 && b.maxExpires < b.minExpires) {
            throw new IllegalArgumentException("maxExpires " + b.maxExpires + " < minExpires " + b.minExpires);
        }
        this.minExpires = b.minExpires;
        this.maxExpires = b.maxExpires;
        this.defaultExpires = b.defaultExpires;
        this.minExpiresMode = b.minExpiresMode;
        this.maxContacts = b.maxContacts;
        this.tooManyContactsMode = b.tooManyContactsMode;
        this.retryAfter = b.retryAfter;
        this.useDomain = b.useDomain;
        this.defaultQ = b.defaultQ;
        this.retransmissionWindowMillis = b.retransmissionWindowSeconds * 1000L;
        this.maxContactLength = b.maxContactLength;
        this.receivedMode = b.receivedMode;
        SipCodec codec = SipCodec.create();
        this.headers = codec.headerFactory();
        this.addresses = codec.addressFactory();
        this.ruidPrefix = "uloc-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100000, 0xffffff)) + "-";
        this.locationService = new LocationService(store, clock, this);
        this.purgeIntervalMillis = b.purgeIntervalSeconds * 1000L;
        if (b.purgeExecutor != null) {
            this.purgeExecutor = b.purgeExecutor;
            this.ownedPurgeExecutor = null;
        } else if (store instanceof MemoryLocationStore) {
            this.purgeExecutor = Runnable::run; // cheap: Caffeine's timer wheel
            this.ownedPurgeExecutor = null;
        } else {
            this.ownedPurgeExecutor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "registrar-purge-" + store.table());
                t.setDaemon(true);
                return t;
            });
            this.purgeExecutor = ownedPurgeExecutor;
        }
        if (purgeIntervalMillis > 0) {
            schedulePurge();
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- save

    /**
     * Kamailio's {@code save("location")} as a route block: handles a REGISTER completely and replies to it. Use it as
     * {@code return ctx.route(registrar.save());} or inside {@code Route.seq(...)}.
     */
    public Route save() {
        return Route.named("registrar.save", this::save);
    }

    /**
     * Handles a REGISTER and replies (RFC 3261 §10.3): 200 OK listing every current binding with its remaining
     * expiry and a Date; 400 for a bad Contact, a bad wildcard or an out-of-order CSeq; 423 with Min-Expires for too
     * short an expiry (when so configured); 503 for too many contacts (when so configured); 500 when the store
     * fails. A REGISTER without Contact is a query. The outcome is also left in {@link #SAVE_RESULT}.
     */
    public Step.Done save(RequestContext ctx) {
        long now = clock.wallMillis();
        String aor;
        SaveRequest sr;
        try {
            aor = aorOf(toUri(ctx));
            sr = parse(ctx, aor, now);
        } catch (Reject r) {
            ctx.set(SAVE_RESULT, SaveResult.REJECTED);
            return r.send(ctx);
        }
        SaveResult[] outcome = {SaveResult.RETURNED};
        List<Binding> after;
        try {
            if (sr.contacts.isEmpty() && !sr.wildcard) {
                after = store.get(aor, now);
            } else {
                after = store.update(aor, now, current -> apply(sr, current, now, outcome));
            }
        } catch (Reject r) {
            ctx.set(SAVE_RESULT, SaveResult.REJECTED);
            return r.send(ctx);
        } catch (RuntimeException e) {
            ctx.set(SAVE_RESULT, SaveResult.REJECTED);
            org.slf4j.LoggerFactory.getLogger(Registrar.class).error("location store failed saving {}", aor, e);
            return ctx.reply(500, "Server Internal Error",
                    List.of("P-Registrar-Error: Error while accessing location database"));
        }
        ctx.set(SAVE_RESULT, outcome[0]);
        boolean echoPath = sr.path != null && supportsPath(ctx);
        // header lines rather than JAIN-SIP headers: the 200 is cut from the REGISTER's bytes, which stay unparsed
        List<Binding> sorted = new ArrayList<>(after);
        sorted.sort(LOOKUP_ORDER);
        List<String> lines = new ArrayList<>(sorted.size() + 2);
        for (Binding b : sorted) {
            lines.add("Contact: " + contactValue(b, now));
        }
        if (echoPath) {
            for (String hop : splitPath(sr.path)) {
                lines.add("Path: " + hop);
            }
        }
        lines.add("Date: " + sipDate(now));
        return ctx.reply(200, "OK", lines);
    }

    /** The Date of this second, formatted once a second rather than once a REGISTER. */
    private String sipDate(long now) {
        SipDate d = lastDate;
        long second = Math.floorDiv(now, 1000);
        if (d == null || d.second != second) {
            d = new SipDate(second, HTTP_DATE.format(java.time.Instant.ofEpochSecond(second)));
            lastDate = d;
        }
        return d.text;
    }

    private record SipDate(long second, String text) {
    }

    private volatile SipDate lastDate;

    /** RFC 3261 §20.17 SIP-date (RFC 1123, two-digit day, always GMT). */
    private static final java.time.format.DateTimeFormatter HTTP_DATE = java.time.format.DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT).withZone(java.time.ZoneOffset.UTC);

    private List<Binding> apply(SaveRequest sr, List<Binding> current, long now, SaveResult[] outcome) {
        if (sr.wildcard) {
            for (Binding b : current) {
                if (b.callId().equals(sr.callId) && b.cseq() > sr.cseq) {
                    throw new Reject(400, "Bad Request", "Invalid CSeq number");
                }
            }
            outcome[0] = current.isEmpty() ? SaveResult.RETURNED : SaveResult.DELETED;
            return List.of();
        }
        List<Binding> next = new ArrayList<>(current);
        List<String> touched = new ArrayList<>();
        boolean inserted = false;
        boolean updated = false;
        boolean deleted = false;
        for (ContactSpec c : sr.contacts) {
            int idx = indexOf(next, c);
            if (idx >= 0) {
                Binding old = next.get(idx);
                if (old.callId().equals(sr.callId)) {
                    if (sr.cseq == old.cseq() && now - old.lastModified() <= retransmissionWindowMillis) {
                        outcome[0] = SaveResult.RETURNED; // a retransmission: answer, change nothing
                        return current;
                    }
                    if (sr.cseq <= old.cseq()) {
                        throw new Reject(400, "Bad Request", "Invalid CSeq number");
                    }
                }
                if (c.expires == 0) {
                    next.remove(idx);
                    deleted = true;
                } else {
                    next.set(idx, binding(old.ruid(), sr, c, now));
                    touched.add(old.ruid());
                    updated = true;
                }
            } else if (c.expires > 0) {
                Binding b = binding(newRuid(now), sr, c, now);
                next.add(b);
                touched.add(b.ruid());
                inserted = true;
            }
        }
        if (maxContacts > 0 && next.size() > maxContacts) {
            if (tooManyContactsMode == TooManyContactsMode.REJECT || touched.size() > maxContacts) {
                throw new Reject(503, "Too many registered contacts", null, retryAfter);
            }
            List<Binding> others = new ArrayList<>();
            for (Binding b : next) {
                if (!touched.contains(b.ruid())) {
                    others.add(b);
                }
            }
            others.sort(Comparator.comparingLong(Binding::lastModified));
            for (Iterator<Binding> it = others.iterator(); it.hasNext() && next.size() > maxContacts; ) {
                next.remove(it.next());
                deleted = true;
            }
        }
        outcome[0] = inserted ? SaveResult.INSERTED : updated ? SaveResult.UPDATED
                : deleted ? SaveResult.DELETED : SaveResult.RETURNED;
        return next;
    }

    private static int indexOf(List<Binding> bindings, ContactSpec c) {
        for (int i = 0; i < bindings.size(); i++) {
            Binding b = bindings.get(i);
            if (c.instance != null && c.regId > 0) {
                if (c.instance.equals(b.instance()) && c.regId == b.regId()) {
                    return i;
                }
            } else if (b.contact().equals(c.uri)) {
                return i;
            }
        }
        return -1;
    }

    private Binding binding(String ruid, SaveRequest sr, ContactSpec c, long now) {
        long expiresAt = ((now + c.expires * 1000L) / 1000L) * 1000L; // whole seconds, as the database keeps them
        int cflags = c.nated ? NAT_BFLAGS : 0;
        return new Binding(ruid, sr.aor, c.uri, c.received, sr.path, expiresAt, c.q, sr.callId, sr.cseq, now, 0, cflags,
                sr.userAgent, sr.socket, c.methods != null ? c.methods : sr.methods, c.instance, c.regId);
    }

    private String newRuid(long now) {
        return ruidPrefix + Long.toHexString(now / 1000) + "-" + Long.toHexString(ruidCounter.incrementAndGet());
    }

    /** Everything save needs from the REGISTER, validated before the store is touched. */
    private record SaveRequest(String aor, String callId, long cseq, boolean wildcard, List<ContactSpec> contacts,
                               String path, String userAgent, String socket, Integer methods) {
    }

    private record ContactSpec(String uri, int expires, float q, String instance, int regId, Integer methods,
                               String received, boolean nated) {
    }

    private SaveRequest parse(RequestContext ctx, String aor, long now) {
        String callId = ctx.callId();
        long cseq = ctx.cseq();
        if (callId == null || callId.length() > 255) {
            throw new Reject(400, "Bad Request", "Bad Call-ID");
        }
        int headerExpires = expiresHeader(ctx.header("Expires"));
        // each Contact parsed alone, not the whole REGISTER (ctx.headers reads the received bytes)
        List<ContactHeader> contacts = new ArrayList<>();
        for (String value : ctx.headers(ContactHeader.NAME)) {
            try {
                contacts.add((ContactHeader) headers.createHeader(ContactHeader.NAME, value));
            } catch (ParseException | ClassCastException e) {
                throw new Reject(400, "Bad Request", "Invalid Contact");
            }
        }
        boolean wildcard = false;
        for (ContactHeader c : contacts) {
            if (c.isWildCard() || (c.getAddress() != null && c.getAddress().isWildcard())) {
                wildcard = true;
            }
        }
        if (wildcard) {
            if (contacts.size() != 1 || headerExpires != 0) {
                throw new Reject(400, "Bad Request", "Invalid Contact: * needs to be alone and with Expires: 0");
            }
            return new SaveRequest(aor, callId, cseq, true, List.of(), null, null, null, null);
        }
        String path = joinPath(ctx.headers("Path"));
        if (path != null && path.length() > 512) {
            throw new Reject(400, "Bad Request", "Path too long");
        }
        String allow = ctx.hasHeader("Allow") ? String.join(",", ctx.headers("Allow")) : null;
        Integer methods = allow == null ? null : Methods.parse(allow);
        String ua = ctx.userAgent();
        if (ua != null && ua.length() > 255) {
            ua = ua.substring(0, 255);
        }
        InetSocketAddress local = ctx.source().transport().localAddress();
        String socket = ctx.protocol().name().toLowerCase(Locale.ROOT) + ":" + local.getAddress().getHostAddress()
                + ":" + local.getPort();
        List<ContactSpec> specs = new ArrayList<>(contacts.size());
        for (ContactHeader c : contacts) {
            specs.add(contactSpec(ctx, c, headerExpires));
        }
        return new SaveRequest(aor, callId, cseq, false, specs, path, ua, socket, methods);
    }

    /** The Expires header's delta-seconds (RFC 3261 §20.19), -1 when absent; 400 when it is not a number. */
    private static int expiresHeader(String value) {
        if (value == null) {
            return -1;
        }
        if (value.isEmpty() || value.length() > 10) {
            throw new Reject(400, "Bad Request", "Invalid Expires");
        }
        long v = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw new Reject(400, "Bad Request", "Invalid Expires");
            }
            v = v * 10 + (c - '0');
        }
        return (int) Math.min(v, Integer.MAX_VALUE);
    }

    private ContactSpec contactSpec(RequestContext ctx, ContactHeader c, int headerExpires) {
        if (c.getAddress() == null || c.getAddress().getURI() == null) {
            throw new Reject(400, "Bad Request", "Invalid Contact");
        }
        URI uri = c.getAddress().getURI();
        String s = uri.toString();
        if (s.length() > maxContactLength) {
            throw new Reject(400, "Bad Request", "Contact too long");
        }
        if (!(uri instanceof SipURI) && !s.regionMatches(true, 0, "tel:", 0, 4)) {
            throw new Reject(400, "Bad Request", "Invalid Contact URI");
        }
        int expires = c.getExpires();
        if (expires < 0) {
            expires = headerExpires >= 0 ? headerExpires : defaultExpires;
        }
        if (expires > 0 && expires < minExpires) {
            if (minExpiresMode == MinExpiresMode.REJECT) {
                throw new Reject(423, "Interval Too Brief", null, 0, minExpires);
            }
            expires = minExpires;
        }
        if (maxExpires > 0 && expires > maxExpires) {
            expires = maxExpires;
        }
        float q = c.getQValue();
        if (q == -1f) {
            q = defaultQ;
        } else if (q < 0f || q > 1f) {
            throw new Reject(400, "Bad Request", "Invalid q value");
        }
        String instance = c.getParameter("+sip.instance");
        if (instance != null) {
            instance = unquote(instance);
            if (instance.length() > 255) {
                throw new Reject(400, "Bad Request", "Invalid +sip.instance");
            }
        }
        int regId = 0;
        String regIdParam = c.getParameter("reg-id");
        if (regIdParam != null) {
            try {
                regId = Integer.parseInt(regIdParam.trim());
            } catch (NumberFormatException e) {
                throw new Reject(400, "Bad Request", "Invalid reg-id");
            }
        }
        String methodsParam = c.getParameter("methods");
        Integer methods = methodsParam == null ? null : Methods.parse(unquote(methodsParam));
        return new ContactSpec(s, expires, q, instance, regId, methods, received(ctx, uri), isNated(ctx, uri));
    }

    /**
     * The REGISTER's source as a SIP URI when the binding should be reached there ({@code received}), else null: per
     * {@link ReceivedMode}, where "behind NAT" is what {@code Nat.detect()} found earlier in the route
     * ({@code fix_nated_register}) or, without it, a Contact IP address or port that is not the source's.
     */
    private String received(RequestContext ctx, URI contact) {
        if (receivedMode == ReceivedMode.NEVER) {
            return null;
        }
        if (receivedMode == ReceivedMode.WHEN_NATED && !isNated(ctx, contact)) {
            return null;
        }
        String src = ctx.sourceIp();
        String host = src.indexOf(':') >= 0 ? "[" + src + "]" : src;
        String uri = "sip:" + host + ":" + ctx.sourcePort();
        return switch (ctx.protocol()) {
            case UDP -> uri;
            case TCP -> uri + ";transport=tcp";
            case TLS -> uri + ";transport=tls";
        };
    }

    /** Behind NAT: marked so by {@code Nat.detect()}, or a Contact IP:port that is not the source address. */
    private static boolean isNated(RequestContext ctx, URI contact) {
        if (Nat.isNated(ctx)) {
            return true;
        }
        if (!(contact instanceof SipURI su) || !isIpLiteral(su.getHost())) {
            return false;
        }
        int cport = su.getPort() > 0 ? su.getPort() : (su.isSecure() ? 5061 : 5060);
        return !sameAddress(su.getHost(), ctx.sourceIp()) || cport != ctx.sourcePort();
    }

    private static boolean isIpLiteral(String host) {
        if (host == null || host.isEmpty()) {
            return false;
        }
        if (host.startsWith("[")) {
            return true;
        }
        for (int i = 0; i < host.length(); i++) {
            char ch = host.charAt(i);
            if (!(ch == '.' || (ch >= '0' && ch <= '9'))) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameAddress(String literal, String ip) {
        String l = literal.startsWith("[") ? literal.substring(1, literal.length() - 1) : literal;
        if (l.equals(ip)) {
            return true;
        }
        try {
            return InetAddress.getByName(l).equals(InetAddress.getByName(ip)); // literals only: no DNS
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static boolean supportsPath(RequestContext ctx) {
        for (String v : ctx.headers("Supported")) {
            for (String tag : v.split(",")) {
                if (tag.trim().equalsIgnoreCase("path")) {
                    return true;
                }
            }
        }
        return false;
    }

    private String contactValue(Binding b, long now) {
        StringBuilder sb = new StringBuilder(96).append('<').append(b.contact()).append(">;expires=")
                .append(b.remainingSeconds(now));
        if (b.q() != 1.0f) {
            sb.append(";q=").append(formatQ(b.q()));
        }
        if (b.instance() != null) {
            sb.append(";+sip.instance=\"").append(b.instance()).append('"');
        }
        if (b.regId() > 0) {
            sb.append(";reg-id=").append(b.regId());
        }
        if (b.received() != null) {
            sb.append(";received=\"").append(b.received()).append('"');
        }
        return sb.toString();
    }

    static String formatQ(float q) {
        String s = String.format(Locale.ROOT, "%.3f", q);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s + "0" : s;
    }

    // ---------------------------------------------------------------- lookup

    /** Kamailio's {@code lookup("location")} for the Request-URI's AoR. */
    public LookupResult lookup(RequestContext ctx) {
        URI ruri = ctx.request().getRequestURI();
        String aor;
        try {
            aor = aorOf(ruri);
        } catch (Reject r) {
            return LookupResult.NOT_FOUND;
        }
        return lookup(ctx, aor);
    }

    /**
     * Sets the target set of {@code ctx} from the bindings of {@code aor}: the Request-URI becomes the contact with
     * the highest q (the most recently refreshed among equals), every other contact is appended as a branch with its
     * q, so {@code ctx.relay()} forks in parallel to equal q values and serially to lower ones. A binding's
     * {@code received} address (NAT) or first Path hop becomes its destination ({@code $du}), and its Path becomes
     * Route headers on its branch (through a branch route, chained before any branch route armed so far; arm your own
     * branch route before calling lookup). Contacts whose Allow does not include the request's method are skipped.
     */
    public LookupResult lookup(RequestContext ctx, String aor) {
        long now = clock.wallMillis();
        List<Binding> all = store.get(normalizeAor(aor), now);
        if (all.isEmpty()) {
            return LookupResult.NOT_FOUND;
        }
        List<Binding> usable = new ArrayList<>(all.size());
        for (Binding b : all) {
            if (b.allows(ctx.method())) {
                usable.add(b);
            }
        }
        if (usable.isEmpty()) {
            return LookupResult.METHOD_NOT_ALLOWED;
        }
        usable.sort(LOOKUP_ORDER);
        Binding first = usable.get(0);
        float topQ = first.q();
        ctx.setRequestUri(first.contact());
        ctx.setDestination(destinationOf(first));
        Map<String, List<String>> routes = null;
        for (Binding b : usable) {
            if (b.path() != null) {
                if (routes == null) {
                    routes = new HashMap<>();
                }
                routes.put(canonical(b.contact()), splitPath(b.path()));
            }
        }
        for (int i = 1; i < usable.size(); i++) {
            Binding b = usable.get(i);
            // the Request-URI's branch always has q 1.0 in the core: lift its equals so they fork in parallel with it
            float q = b.q() == topQ ? 1.0f : b.q();
            ctx.appendBranch(new Target(b.contact(), destinationOf(b), q));
        }
        if (routes != null) {
            Map<String, List<String>> byUri = routes;
            BranchRoute previous = ctx.branchRoute();
            ctx.onBranch(bc -> {
                List<String> path = byUri.get(canonical(bc.requestUri()));
                if (path != null) {
                    pushRoutes(bc.request(), path);
                }
                if (previous != null) {
                    previous.handle(bc);
                }
            });
        }
        return LookupResult.FOUND;
    }

    /** q descending, then most recently modified first (Kamailio's order). */
    static final Comparator<Binding> LOOKUP_ORDER = Comparator.comparingDouble((Binding b) -> -b.q())
            .thenComparing(Comparator.comparingLong(Binding::lastModified).reversed());

    private static String destinationOf(Binding b) {
        String hop = b.firstPathHop();
        if (hop != null) {
            return stripBrackets(hop);
        }
        return b.received();
    }

    private String canonical(String uri) {
        try {
            return addresses.createURI(uri).toString();
        } catch (ParseException e) {
            return uri;
        }
    }

    private void pushRoutes(Request request, List<String> path) {
        try {
            for (int i = path.size() - 1; i >= 0; i--) {
                request.addFirst(headers.createHeader("Route", path.get(i)));
            }
        } catch (ParseException | javax.sip.SipException e) {
            throw new IllegalStateException("stored Path is not a valid Route: " + path, e);
        }
    }

    // ---------------------------------------------------------------- registered / unregister

    /** Kamailio's {@code registered("location")}: true when the Request-URI's AoR has an unexpired binding. */
    public boolean registered(RequestContext ctx) {
        try {
            return registered(aorOf(ctx.request().getRequestURI()));
        } catch (Reject r) {
            return false;
        }
    }

    /** True when {@code aor} ({@code user@domain}, {@code sip:user@domain} or {@code user}) has a binding. */
    public boolean registered(String aor) {
        return !store.get(normalizeAor(aor), clock.wallMillis()).isEmpty();
    }

    /** Kamailio's {@code unregister("location", aor)}: removes every binding of the AoR; returns how many. */
    public int unregister(String aor) {
        return store.remove(normalizeAor(aor), clock.wallMillis());
    }

    /** Removes the one binding with this {@code ruid}; returns false when there was none. */
    public boolean unregister(String aor, String ruid) {
        boolean[] found = {false};
        store.update(normalizeAor(aor), clock.wallMillis(), current -> {
            List<Binding> next = new ArrayList<>(current);
            found[0] = next.removeIf(b -> b.ruid().equals(ruid));
            return found[0] ? next : current;
        });
        return found[0];
    }

    /** The bindings of an AoR, best first (Kamailio's {@code reg_fetch_contacts}). */
    public List<Binding> contacts(String aor) {
        List<Binding> out = new ArrayList<>(store.get(normalizeAor(aor), clock.wallMillis()));
        out.sort(LOOKUP_ORDER);
        return out;
    }

    /** The {@code ul.dump}, {@code ul.lookup}, {@code ul.rm} management calls over this registrar's store. */
    public LocationService locationService() {
        return locationService;
    }

    public LocationStore store() {
        return store;
    }

    public SipClock clock() {
        return clock;
    }

    // ---------------------------------------------------------------- AoR

    private String aorOf(URI uri) {
        if (!(uri instanceof SipURI su) || su.getUser() == null || su.getUser().isEmpty()) {
            throw new Reject(400, "Bad Request", "No user in the address-of-record");
        }
        String user = su.getUser().toLowerCase(Locale.ROOT);
        if (user.length() > 64) {
            throw new Reject(400, "Bad Request", "Address-of-record too long");
        }
        if (!useDomain) {
            return user;
        }
        String host = su.getHost().toLowerCase(Locale.ROOT);
        if (host.length() > 64) {
            throw new Reject(400, "Bad Request", "Address-of-record too long");
        }
        return user + "@" + host;
    }

    /**
     * The store key for an AoR given as {@code user@domain}, {@code sip:user@domain;params} or {@code user}:
     * lower-cased, without scheme and parameters, without the domain in single-domain mode.
     */
    public String normalizeAor(String aor) {
        String s = aor.trim();
        int colon = s.indexOf(':');
        if (s.regionMatches(true, 0, "sip:", 0, 4) || s.regionMatches(true, 0, "sips:", 0, 5)) {
            s = s.substring(colon + 1);
        }
        int semi = s.indexOf(';');
        if (semi >= 0) {
            s = s.substring(0, semi);
        }
        int at = s.lastIndexOf('@');
        if (at >= 0) {
            String host = s.substring(at + 1);
            int port = host.lastIndexOf(':');
            if (port > 0 && !host.endsWith("]")) {
                host = host.substring(0, port);
            }
            s = useDomain ? s.substring(0, at) + "@" + host : s.substring(0, at);
        }
        return s.toLowerCase(Locale.ROOT);
    }

    private URI toUri(RequestContext ctx) {
        String to = ctx.toUri();
        if (to == null) {
            throw new Reject(400, "Bad Request", "No To header");
        }
        try {
            return addresses.createURI(to);
        } catch (ParseException e) {
            throw new Reject(400, "Bad Request", "Invalid To URI");
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Path values of a request in order, joined by commas (Kamailio's {@code path} column), or null. */
    private static String joinPath(List<String> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<String> hops = new ArrayList<>();
        for (String v : values) {
            hops.addAll(splitPath(v));
        }
        return String.join(",", hops);
    }

    /** Splits a Path value ({@code <sip:a;lr>,<sip:b;lr>}) into its hops, respecting brackets and quotes. */
    static List<String> splitPath(String path) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < path.length(); i++) {
            char ch = path.charAt(i);
            if (ch == '"' && (i == 0 || path.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            } else if (!quoted && ch == '<') {
                depth++;
            } else if (!quoted && ch == '>') {
                depth--;
            } else if (!quoted && depth == 0 && ch == ',') {
                String hop = path.substring(start, i).trim();
                if (!hop.isEmpty()) {
                    out.add(hop);
                }
                start = i + 1;
            }
        }
        String hop = path.substring(start).trim();
        if (!hop.isEmpty()) {
            out.add(hop);
        }
        return out;
    }

    private static String stripBrackets(String hop) {
        int lt = hop.indexOf('<');
        int gt = hop.indexOf('>', lt + 1);
        return lt >= 0 && gt > lt ? hop.substring(lt + 1, gt) : hop;
    }

    private static String unquote(String s) {
        String t = s.trim();
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : t;
    }

    // ---------------------------------------------------------------- expiry timer

    private void schedulePurge() {
        if (closed) {
            return;
        }
        purgeTimer = clock.schedule(purgeIntervalMillis, () -> {
            long now = clock.wallMillis();
            try {
                purgeExecutor.execute(() -> {
                    try {
                        store.purgeExpired(now);
                    } catch (RuntimeException e) {
                        org.slf4j.LoggerFactory.getLogger(Registrar.class).warn("purging expired bindings failed", e);
                    }
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                return;
            }
            schedulePurge();
        });
    }

    /** Stops the expiry timer. The store is not closed: it belongs to whoever created it. */
    @Override
    public void close() {
        closed = true;
        SipClock.Timer t = purgeTimer;
        if (t != null) {
            t.cancel();
        }
        if (ownedPurgeExecutor != null) {
            ownedPurgeExecutor.shutdown();
        }
    }

    /** An error reply, thrown from deep inside save to abort without a change. */
    private static final class Reject extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int status;
        final String reason;
        final String detail;
        final int retryAfter;
        final int minExpires;

        Reject(int status, String reason, String detail) {
            this(status, reason, detail, 0, 0);
        }

        Reject(int status, String reason, String detail, int retryAfter) {
            this(status, reason, detail, retryAfter, 0);
        }

        Reject(int status, String reason, String detail, int retryAfter, int minExpires) {
            super(status + " " + reason + (detail == null ? "" : ": " + detail), null, false, false);
            this.status = status;
            this.reason = reason;
            this.detail = detail;
            this.retryAfter = retryAfter;
            this.minExpires = minExpires;
        }

        Step.Done send(RequestContext ctx) {
            List<String> lines = new ArrayList<>(3);
            if (detail != null) {
                lines.add("P-Registrar-Error: " + detail);
            }
            if (minExpires > 0) {
                lines.add("Min-Expires: " + minExpires);
            }
            if (retryAfter > 0) {
                lines.add("Retry-After: " + retryAfter);
            }
            return ctx.reply(status, reason, lines);
        }
    }

    /** Settings of a {@link Registrar}; every value has Kamailio's name and, where sensible, its default. */
    public static final class Builder {
        private SipClock clock;
        private LocationStore store;
        private int minExpires = 60;
        private int maxExpires = 0;
        private int defaultExpires = 3600;
        private MinExpiresMode minExpiresMode = MinExpiresMode.RAISE;
        private int maxContacts = 0;
        private TooManyContactsMode tooManyContactsMode = TooManyContactsMode.REJECT;
        private int retryAfter = 0;
        private boolean useDomain = true;
        private float defaultQ = 1.0f;
        private int retransmissionWindowSeconds = 20;
        private int maxContactLength = 512;
        private ReceivedMode receivedMode = ReceivedMode.WHEN_NATED;
        private int purgeIntervalSeconds = 60;
        private Executor purgeExecutor;

        private Builder() {
        }

        /** The proxy's clock ({@code proxy.clock()}, or the test kit's virtual clock). Required. */
        public Builder clock(SipClock clock) {
            this.clock = clock;
            return this;
        }

        /** Where bindings live; default a {@link MemoryLocationStore} on the clock. */
        public Builder store(LocationStore store) {
            this.store = store;
            return this;
        }

        /** {@code min_expires}, 60 s by default; 0 disables the check. */
        public Builder minExpires(int seconds) {
            this.minExpires = seconds;
            return this;
        }

        /** {@code max_expires}: longer requests are cut to this; 0 (default) means no maximum. */
        public Builder maxExpires(int seconds) {
            this.maxExpires = seconds;
            return this;
        }

        /** {@code default_expires} for a Contact without expires parameter in a REGISTER without Expires; 3600 s. */
        public Builder defaultExpires(int seconds) {
            this.defaultExpires = seconds;
            return this;
        }

        /**
         * Raising to the minimum (the default, as Kamailio's: clients such as sipsak register for 15 s and do not
         * retry after a 423) or 423 with Min-Expires (RFC 3261 §10.3 step 7 allows both).
         */
        public Builder minExpiresMode(MinExpiresMode mode) {
            this.minExpiresMode = Objects.requireNonNull(mode);
            return this;
        }

        /** {@code max_contacts} per AoR; 0 (default) means no limit. */
        public Builder maxContacts(int n) {
            this.maxContacts = n;
            return this;
        }

        /** 503 (default) or replacing the oldest bindings when {@code maxContacts} is reached. */
        public Builder tooManyContactsMode(TooManyContactsMode mode) {
            this.tooManyContactsMode = Objects.requireNonNull(mode);
            return this;
        }

        /** {@code retry_after}: Retry-After seconds on the 503 for too many contacts; 0 (default) for none. */
        public Builder retryAfter(int seconds) {
            this.retryAfter = seconds;
            return this;
        }

        /** {@code use_domain}: AoR = user@domain (true, default: multi-domain) or the user alone (false). */
        public Builder useDomain(boolean useDomain) {
            this.useDomain = useDomain;
            return this;
        }

        /** {@code default_q} for contacts without q; 1.0 by default. */
        public Builder defaultQ(float q) {
            if (q < 0f || q > 1f) {
                throw new IllegalArgumentException("q must be 0..1");
            }
            this.defaultQ = q;
            return this;
        }

        /** usrloc's {@code cseq_delay}: a REGISTER with the same Call-ID and CSeq within this many seconds is a
         * retransmission, answered without change; later it is an error. 20 s by default. */
        public Builder retransmissionWindowSeconds(int seconds) {
            this.retransmissionWindowSeconds = seconds;
            return this;
        }

        /** {@code contact_max_size}: longer Contact URIs are refused with 400; 512 by default (the column size). */
        public Builder maxContactLength(int chars) {
            this.maxContactLength = Math.min(chars, 512);
            return this;
        }

        /** When to store the source address as {@code received}; {@link ReceivedMode#WHEN_NATED} by default. */
        public Builder receivedMode(ReceivedMode mode) {
            this.receivedMode = Objects.requireNonNull(mode);
            return this;
        }

        /** usrloc's {@code timer_interval}: how often expired bindings are purged; 60 s, 0 disables. */
        public Builder purgeIntervalSeconds(int seconds) {
            this.purgeIntervalSeconds = seconds;
            return this;
        }

        /** Where database purges run (never on the clock thread); default a daemon thread of the registrar. */
        public Builder purgeExecutor(Executor executor) {
            this.purgeExecutor = executor;
            return this;
        }

        public Registrar build() {
            return new Registrar(this);
        }
    }
}
