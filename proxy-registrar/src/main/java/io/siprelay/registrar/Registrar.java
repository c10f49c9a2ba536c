package io.siprelay.registrar;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.TxKey;
import io.siprelay.registrar.store.Binding;
import io.siprelay.registrar.store.LocationStore;
import io.siprelay.registrar.store.MemoryLocationStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import javax.sip.address.AddressFactory;
import javax.sip.address.URI;
import javax.sip.header.HeaderFactory;

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
    private final Aors aors;
    private final SaveOperation saveOperation;
    private final Lookup lookup;
    private final LocationService locationService;
    private final Purger purger;

    private Registrar(Builder b) {
        this.clock = Objects.requireNonNull(b.clock, "clock: builder.clock(proxyClock) is required");
        this.store = b.store != null ? b.store : new MemoryLocationStore(clock);
        if (b.minExpires < 0 || b.defaultExpires <= 0 || b.maxExpires < 0) {
            throw new IllegalArgumentException("expires settings must be >= 0 (default > 0)");
        }
        if (b.maxExpires > 0 && b.maxExpires < b.minExpires) {
            throw new IllegalArgumentException("maxExpires " + b.maxExpires + " < minExpires " + b.minExpires);
        }
        SipCodec codec = SipCodec.create();
        HeaderFactory headers = codec.headerFactory();
        AddressFactory addresses = codec.addressFactory();
        this.aors = new Aors(b.useDomain, addresses);
        ContactParser parser = new ContactParser(headers, b.minExpires, b.maxExpires, b.defaultExpires,
                b.minExpiresMode, b.defaultQ, b.maxContactLength, b.receivedMode);
        this.saveOperation = new SaveOperation(clock, store, aors, parser, b.maxContacts, b.tooManyContactsMode,
                b.retryAfter, b.retransmissionWindowSeconds * 1000L);
        this.lookup = new Lookup(clock, store, aors, headers, addresses);
        this.locationService = new LocationService(store, clock, this);
        this.purger = new Purger(clock, store, b.purgeIntervalSeconds * 1000L, b.purgeExecutor);
        purger.start();
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
        return saveOperation.save(ctx);
    }

    // ---------------------------------------------------------------- lookup

    /** Kamailio's {@code lookup("location")} for the Request-URI's AoR. */
    public LookupResult lookup(RequestContext ctx) {
        URI ruri = ctx.request().getRequestURI();
        String aor;
        try {
            aor = aors.aorOf(ruri);
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
        return lookup.lookup(ctx, aor);
    }

    // ---------------------------------------------------------------- registered / unregister

    /** Kamailio's {@code registered("location")}: true when the Request-URI's AoR has an unexpired binding. */
    public boolean registered(RequestContext ctx) {
        try {
            return registered(aors.aorOf(ctx.request().getRequestURI()));
        } catch (Reject r) {
            return false;
        }
    }

    /** True when {@code aor} ({@code user@domain}, {@code sip:user@domain} or {@code user}) has a binding. */
    public boolean registered(String aor) {
        return !store.get(aors.normalizeAor(aor), clock.wallMillis()).isEmpty();
    }

    /** Kamailio's {@code unregister("location", aor)}: removes every binding of the AoR; returns how many. */
    public int unregister(String aor) {
        return store.remove(aors.normalizeAor(aor), clock.wallMillis());
    }

    /** Removes the one binding with this {@code ruid}; returns false when there was none. */
    public boolean unregister(String aor, String ruid) {
        boolean[] found = {false};
        store.update(aors.normalizeAor(aor), clock.wallMillis(), current -> {
            List<Binding> next = new ArrayList<>(current);
            found[0] = next.removeIf(b -> b.ruid().equals(ruid));
            return found[0] ? next : current;
        });
        return found[0];
    }

    /** The bindings of an AoR, best first (Kamailio's {@code reg_fetch_contacts}). */
    public List<Binding> contacts(String aor) {
        List<Binding> out = new ArrayList<>(store.get(aors.normalizeAor(aor), clock.wallMillis()));
        out.sort(Lookup.LOOKUP_ORDER);
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

    /**
     * The store key for an AoR given as {@code user@domain}, {@code sip:user@domain;params} or {@code user}:
     * lower-cased, without scheme and parameters, without the domain in single-domain mode.
     */
    public String normalizeAor(String aor) {
        return aors.normalizeAor(aor);
    }

    // ---------------------------------------------------------------- expiry timer

    /** Stops the expiry timer. The store is not closed: it belongs to whoever created it. */
    @Override
    public void close() {
        purger.close();
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
