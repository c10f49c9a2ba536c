package io.siprelay.auth;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.TxKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.ListIterator;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import javax.sip.header.Header;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Digest authentication for routes: Kamailio's {@code auth} + {@code auth_db} modules as one object.
 *
 * <pre>{@code
 * DigestAuth auth = DigestAuth.builder()
 *         .subscribers(store)                      // e.g. JdbcSubscriberStore or InMemorySubscriberStore
 *         .clock(proxyClock)
 *         .secret(sharedSecretBytes)               // same bytes on every instance of a cluster
 *         .build();
 *
 * Route authBlock = ctx -> {
 *     AuthResult r = auth.check(ctx, ctx.fromDomain());   // auth_check("$fd", "subscriber", "1")
 *     if (!r.isOk()) {
 *         return auth.challenge(ctx, ctx.fromDomain());   // auth_challenge("$fd", "1"): 401 or 407
 *     }
 *     auth.consumeCredentials(ctx);                      // consume_credentials() (no-op for REGISTER)
 *     return Step.next();
 * };
 * // or, the same in one line:
 * Route authBlock2 = auth.requireCredentials(RequestContext::fromDomain);
 * }</pre>
 *
 * <p><b>Challenges</b> offer every configured algorithm in the configured order (RFC 7616 §3.7: one header each,
 * same nonce), {@code qop="auth"} by default, an {@code opaque} value, and {@code stale=true} automatically when the
 * check of the same request found a stale nonce. The default is one MD5 challenge, as Kamailio's: every deployed
 * client understands it, while several common ones fail on a second challenge in the same reply (baresip 1.0 gives up
 * with "Function not implemented"; SIPp 3.6 reads only the first and knows only MD5). SHA-256 is opt-in with
 * {@link Builder#algorithms}; a client answering with an algorithm that is not enabled is refused. REGISTER gets 401 + {@code WWW-Authenticate}, every other
 * method 407 + {@code Proxy-Authenticate} ({@link #wwwChallenge}/{@link #proxyChallenge} force one).
 *
 * <p><b>Nonces</b> are stateless HMAC-SHA256 tokens over their expiry (default 300 s, like Kamailio's {@code
 * nonce_expire}), a random id and optionally the source IP and Call-ID ({@link Builder#bindNonceTo}). Replay
 * protection: with qop, each nonce-count is accepted once (a bounded Caffeine cache of nonce-count windows); with
 * {@link Builder#oneTimeNonce} each nonce authenticates one request only.
 *
 * <p><b>Checks</b> return an {@link AuthResult} with Kamailio's codes. An unknown user and a wrong password are
 * indistinguishable on the wire (same challenge, same work done). Responses are compared in constant time.
 *
 * <p>Thread-safe; one instance serves the whole proxy.
 */
public final class DigestAuth {

    private static final Logger LOG = LoggerFactory.getLogger(DigestAuth.class);

    /** The result of the last check of a request, kept on its context for {@link #challenge} and consume. */
    /** {@code headerIndex}: which of the request's {@code headerName} headers held the credentials, -1 for none. */
    private record LastCheck(AuthResult result, String headerName, int headerIndex, String username) {
    }

    private static final TxKey<LastCheck> LAST = TxKey.of("siprelay.auth.last", LastCheck.class);
    private static final String DUMMY_HA1 = "00000000000000000000000000000000";

    private final SubscriberStore subscribers;
    private final SipClock clock;
    private final Duration nonceExpiry;
    private final List<DigestAlgorithm> algorithms;
    private final Qop qop;
    private final Set<NonceBinding> bindings;
    private final boolean oneTimeNonce;
    private final boolean identityCheck;
    private final Nonces nonces;
    private final ReplayGuard replay;
    private final String opaque;

    private DigestAuth(Builder b) {
        this.subscribers = Objects.requireNonNull(b.subscribers, "subscribers(...) is required");
        this.clock = b.clock;
        this.nonceExpiry = b.nonceExpiry;
        this.algorithms = List.copyOf(b.algorithms);
        this.qop = b.qop;
        this.bindings = b.bindings.isEmpty() ? EnumSet.noneOf(NonceBinding.class) : EnumSet.copyOf(b.bindings);
        this.oneTimeNonce = b.oneTimeNonce;
        this.identityCheck = b.identityCheck;
        byte[] secret = b.secret;
        if (secret == null) {
            secret = new byte[32];
            new SecureRandom().nextBytes(secret);
        }
        this.nonces = new Nonces(secret);
        this.replay = new ReplayGuard(b.replayCacheSize, nonceExpiry.plusSeconds(30), clock);
        this.opaque = nonces.opaque();
    }

    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- checks

    /**
     * Kamailio's {@code auth_check(realm, table, flags)}: for REGISTER the {@code Authorization} header
     * ({@code www_authenticate}), for anything else {@code Proxy-Authorization} ({@code proxy_authenticate}). With the
     * identity check on (the default, Kamailio flag 1) the auth username must be the From user, and for REGISTER the
     * To user too.
     */
    public AuthResult check(RequestContext ctx, String realm) {
        return isRegister(ctx) ? wwwCheck(ctx, realm) : proxyCheck(ctx, realm);
    }

    /** {@code www_authenticate(realm, table)}: checks the {@code Authorization} header for {@code realm}. */
    public AuthResult wwwCheck(RequestContext ctx, String realm) {
        return verify(ctx, realm, "Authorization");
    }

    /** {@code proxy_authenticate(realm, table)}: checks the {@code Proxy-Authorization} header for {@code realm}. */
    public AuthResult proxyCheck(RequestContext ctx, String realm) {
        return verify(ctx, realm, "Proxy-Authorization");
    }

    /** {@code has_credentials(realm)}: whether the request carries credentials for {@code realm} at all. */
    public boolean hasCredentials(RequestContext ctx, String realm) {
        String name = isRegister(ctx) ? "Authorization" : "Proxy-Authorization";
        for (String v : ctx.headers(name)) {
            Optional<DigestCredentials> c = DigestCredentials.parse(v);
            if (c.isPresent() && Objects.equals(realm, c.get().realm())) {
                return true;
            }
        }
        return false;
    }

    /** The auth username ({@code $au}) after a successful check of this request, else null. */
    public String authUser(RequestContext ctx) {
        LastCheck last = ctx.get(LAST);
        return last != null && last.result().isOk() ? last.username() : null;
    }

    /** The result of the last check of this request, or null when it was not checked. */
    public AuthResult lastResult(RequestContext ctx) {
        LastCheck last = ctx.get(LAST);
        return last == null ? null : last.result();
    }

    private AuthResult verify(RequestContext ctx, String realm, String headerName) {
        AuthResult r;
        LastCheck last;
        if (realm == null) {
            r = AuthResult.NO_CREDENTIALS;
            last = new LastCheck(r, headerName, -1, null);
        } else {
            DigestCredentials cred = null;
            int index = -1;
            List<String> values = ctx.headers(headerName);
            for (int i = 0; i < values.size(); i++) {
                Optional<DigestCredentials> c = DigestCredentials.parse(values.get(i));
                if (c.isPresent() && realm.equals(c.get().realm())) {
                    cred = c.get();
                    index = i;
                    break;
                }
            }
            r = cred == null ? AuthResult.NO_CREDENTIALS : verify(ctx, realm, cred);
            last = new LastCheck(r, headerName, index, cred == null ? null : cred.username());
        }
        ctx.set(LAST, last);
        if (LOG.isDebugEnabled() && !r.isOk()) {
            LOG.debug("auth {} for user '{}' realm '{}' from {}:{} ({} {})", r, last.username(), realm,
                    ctx.sourceIp(), ctx.sourcePort(), ctx.method(), ctx.callId());
        }
        return r;
    }

    private AuthResult verify(RequestContext ctx, String realm, DigestCredentials c) {
        String username = c.username();
        DigestAlgorithm alg = DigestAlgorithm.fromToken(c.algorithmToken());
        String qopUsed = c.qop();
        if (username == null || c.nonce() == null || c.uri() == null || c.response() == null || alg == null
                || !algorithms.contains(alg)) {
            return AuthResult.ERROR;
        }
        long nc = 0;
        if (qopUsed != null) {
            qopUsed = qopUsed.toLowerCase(Locale.ROOT);
            if (!qopUsed.equals("auth") && !qopUsed.equals("auth-int")) {
                return AuthResult.ERROR;
            }
            if (c.nc() == null || c.cnonce() == null || c.nc().length() != 8) {
                return AuthResult.ERROR;
            }
            try {
                nc = Long.parseLong(c.nc(), 16);
            } catch (NumberFormatException e) {
                return AuthResult.ERROR;
            }
        }
        Nonces.Parsed nonce = nonces.verify(c.nonce(), bindingData(ctx));
        if (nonce == null) {
            return AuthResult.INVALID_NONCE;
        }
        Subscriber s = subscribers.find(username, realm).orElse(null);
        String ha1 = s == null ? null : s.ha1For(alg, username, realm);
        byte[] body = "auth-int".equals(qopUsed) ? ctx.request().getRawContent() : null;
        String expected = Digest.response(alg, ha1 == null ? DUMMY_HA1 : ha1, c.nonce(), c.nc(), c.cnonce(),
                qopUsed, ctx.method(), c.uri(), body);
        boolean match = Digest.constantTimeEquals(expected, c.response());
        if (ha1 == null) {
            return AuthResult.USER_NOT_FOUND;
        }
        if (!match) {
            return AuthResult.INVALID_PASSWORD;
        }
        if (nonce.expiresAtMillis() < clock.wallMillis()) {
            return AuthResult.STALE_NONCE;
        }
        if (identityCheck && !identityMatches(ctx, username)) {
            return AuthResult.USER_MISMATCH;
        }
        ReplayGuard.Verdict v;
        if (oneTimeNonce) {
            v = replay.once(nonce.id());
        } else if (qopUsed != null) {
            v = replay.count(nonce.id(), nc);
        } else {
            v = ReplayGuard.Verdict.FRESH;
        }
        return switch (v) {
            case FRESH -> AuthResult.OK;
            case REUSED -> AuthResult.NONCE_REUSED;
            case UNKNOWN -> AuthResult.STALE_NONCE;
        };
    }

    private static boolean identityMatches(RequestContext ctx, String username) {
        if (!username.equals(ctx.fromUser())) {
            return false;
        }
        return !isRegister(ctx) || username.equals(ctx.toUser());
    }

    private String bindingData(RequestContext ctx) {
        if (bindings.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        if (bindings.contains(NonceBinding.SOURCE_IP)) {
            b.append(ctx.sourceIp());
        }
        b.append('\u0000');
        if (bindings.contains(NonceBinding.CALL_ID)) {
            b.append(ctx.callId());
        }
        return b.toString();
    }

    private static boolean isRegister(RequestContext ctx) {
        return ctx.isMethod(Request.REGISTER);
    }

    // ---------------------------------------------------------------- challenges

    /**
     * Kamailio's {@code auth_challenge(realm, flags)}: 401 for REGISTER, 407 for anything else, with one challenge
     * header per configured algorithm. {@code stale=true} is added when this request's last check found a stale
     * nonce. An ACK cannot be answered: it is dropped instead.
     */
    public Step.Done challenge(RequestContext ctx, String realm) {
        return isRegister(ctx) ? wwwChallenge(ctx, realm) : proxyChallenge(ctx, realm);
    }

    /** {@code www_challenge(realm, flags)}: 401 Unauthorized with {@code WWW-Authenticate}. */
    public Step.Done wwwChallenge(RequestContext ctx, String realm) {
        return sendChallenge(ctx, realm, Response.UNAUTHORIZED, "Unauthorized", "WWW-Authenticate");
    }

    /** {@code proxy_challenge(realm, flags)}: 407 Proxy Authentication Required with {@code Proxy-Authenticate}. */
    public Step.Done proxyChallenge(RequestContext ctx, String realm) {
        return sendChallenge(ctx, realm, Response.PROXY_AUTHENTICATION_REQUIRED, "Proxy Authentication Required",
                "Proxy-Authenticate");
    }

    private Step.Done sendChallenge(RequestContext ctx, String realm, int status, String reason, String header) {
        Objects.requireNonNull(realm, "realm");
        if (ctx.isMethod(Request.ACK)) {
            return ctx.drop(); // an ACK is never answered (RFC 3261 §17.2.1), so it cannot be challenged
        }
        boolean stale = lastResult(ctx) == AuthResult.STALE_NONCE;
        List<String> lines = new ArrayList<>(algorithms.size());
        for (String value : challengeValues(ctx, realm, stale)) {
            lines.add(header + ": " + value);
        }
        return ctx.reply(status, reason, lines); // header lines: the 401 is cut from the request's bytes, unparsed
    }

    /**
     * The challenge header values (without the header name) this instance would send for the request now, in order
     * of preference: useful for a route that builds its own reply.
     */
    public List<String> challengeValues(RequestContext ctx, String realm, boolean stale) {
        String nonce = nonces.issue(clock.wallMillis() + nonceExpiry.toMillis(), bindingData(ctx));
        List<String> out = new ArrayList<>(algorithms.size());
        for (DigestAlgorithm alg : algorithms) {
            StringBuilder b = new StringBuilder(160);
            b.append("Digest realm=").append(quote(realm))
                    .append(", nonce=\"").append(nonce).append('"')
                    .append(", opaque=\"").append(opaque).append('"')
                    .append(", algorithm=").append(alg.token());
            if (qop.headerValue() != null) {
                b.append(", qop=\"").append(qop.headerValue()).append('"');
            }
            if (stale) {
                b.append(", stale=true");
            }
            out.add(b.toString());
        }
        return out;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            if (c >= 0x20 && c != 0x7f) {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Kamailio's {@code consume_credentials()}: removes the credentials header that the last successful check of this
     * request used, so they do not travel on to the next hop. Does nothing for REGISTER (a registrar behind this
     * proxy may need them) or when the request was not authenticated.
     */
    public void consumeCredentials(RequestContext ctx) {
        LastCheck last = ctx.get(LAST);
        if (isRegister(ctx) || last == null || !last.result().isOk() || last.headerIndex() < 0) {
            return;
        }
        Request req = ctx.request();
        List<Header> keep = new ArrayList<>();
        int i = 0;
        for (ListIterator<?> it = req.getHeaders(last.headerName()); it.hasNext(); i++) {
            Header h = (Header) it.next();
            if (i != last.headerIndex()) { // credential headers are one per line, read and parsed alike
                keep.add((Header) h.clone());
            }
        }
        req.removeHeader(last.headerName());
        for (Header h : keep) {
            req.addHeader(h);
        }
    }

    /**
     * A ready-made block: checks the request against the realm {@code realmFn} picks (typically
     * {@code RequestContext::fromDomain}); on success consumes the credentials (not for REGISTER) and goes on; an
     * auth username that is not the From/To user gets 403; anything else gets a challenge (with {@code stale=true}
     * when due). ACK and CANCEL go on unchecked: they cannot be challenged (RFC 3261 §22.1); the ACK of a challenge
     * and the CANCEL of a relayed INVITE must still reach the core.
     */
    public Route requireCredentials(Function<RequestContext, String> realmFn) {
        Objects.requireNonNull(realmFn, "realmFn");
        return Route.named("auth", ctx -> {
            if (ctx.isMethod(Request.ACK) || ctx.isMethod(Request.CANCEL)) {
                return Step.next();
            }
            String realm = realmFn.apply(ctx);
            if (realm == null) {
                return ctx.reply(403, "Forbidden");
            }
            AuthResult r = check(ctx, realm);
            if (r.isOk()) {
                consumeCredentials(ctx);
                return Step.next();
            }
            if (r == AuthResult.USER_MISMATCH) {
                return ctx.reply(403, "Forbidden auth ID");
            }
            return challenge(ctx, realm);
        });
    }

    /** How many nonces the replay cache tracks now (for stats). */
    public long trackedNonces() {
        return replay.size();
    }

    /** Configuration of a {@link DigestAuth}. */
    public static final class Builder {
        private SubscriberStore subscribers;
        private SipClock clock = WallClock.INSTANCE;
        private byte[] secret;
        private Duration nonceExpiry = Duration.ofSeconds(300);
        private List<DigestAlgorithm> algorithms = List.of(DigestAlgorithm.MD5);
        private Qop qop = Qop.AUTH;
        private Set<NonceBinding> bindings = EnumSet.noneOf(NonceBinding.class);
        private boolean oneTimeNonce;
        private boolean identityCheck = true;
        private long replayCacheSize = 1_000_000;

        private Builder() {
        }

        /** Where credentials come from (required). */
        public Builder subscribers(SubscriberStore store) {
            this.subscribers = Objects.requireNonNull(store);
            return this;
        }

        /** The proxy's clock (nonce expiry uses its wall time); default the system's time. */
        public Builder clock(SipClock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        /**
         * The HMAC key of the nonces (Kamailio's {@code secret}), at least 16 bytes. Default: 32 random bytes per
         * instance. Give every instance of a cluster the same bytes so a nonce from one is accepted by another.
         */
        public Builder secret(byte[] secret) {
            if (secret.length < 16) {
                throw new IllegalArgumentException("the nonce secret needs at least 16 bytes, got " + secret.length);
            }
            this.secret = secret.clone();
            return this;
        }

        /** How long a nonce is valid ({@code nonce_expire}); default 300 s. */
        public Builder nonceExpiry(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("nonce expiry must be positive: " + d);
            }
            this.nonceExpiry = d;
            return this;
        }

        /**
         * The algorithms accepted and offered, in the order the challenges list them; default MD5 only. With
         * {@code algorithms(SHA_256, MD5)} a reply carries two challenges: RFC 7616 clients pick SHA-256, but clients
         * that read only the first challenge and know only MD5 (SIPp 3.6) fail, and some fail on any second
         * challenge (baresip 1.0). {@code algorithms(MD5, SHA_256)} keeps the first kind working.
         */
        public Builder algorithms(DigestAlgorithm... algs) {
            return algorithms(List.of(algs));
        }

        /** As {@link #algorithms(DigestAlgorithm...)}; duplicates are refused. */
        public Builder algorithms(List<DigestAlgorithm> algs) {
            if (algs.isEmpty()) {
                throw new IllegalArgumentException("at least one digest algorithm");
            }
            if (java.util.Set.copyOf(algs).size() != algs.size()) {
                throw new IllegalArgumentException("digest algorithm listed twice: " + algs);
            }
            this.algorithms = List.copyOf(algs);
            return this;
        }

        /** The qop offered; default {@link Qop#AUTH}. Responses without qop are still accepted (RFC 2069). */
        public Builder qop(Qop qop) {
            this.qop = Objects.requireNonNull(qop);
            return this;
        }

        /** Binds nonces to the source IP and/or Call-ID of the challenged request. */
        public Builder bindNonceTo(NonceBinding... b) {
            this.bindings = b.length == 0 ? EnumSet.noneOf(NonceBinding.class) : EnumSet.copyOf(List.of(b));
            return this;
        }

        /** Each nonce authenticates one request only ({@code one_time_nonce}); costs clients a round trip. */
        public Builder oneTimeNonce(boolean on) {
            this.oneTimeNonce = on;
            return this;
        }

        /** The From/To user must equal the auth username (Kamailio flag 1); default on. */
        public Builder identityCheck(boolean on) {
            this.identityCheck = on;
            return this;
        }

        /** How many nonces the replay cache tracks at most; default 1,000,000 (Kamailio's {@code nc_array_size}). */
        public Builder replayCacheSize(long n) {
            if (n < 1) {
                throw new IllegalArgumentException("replay cache size must be positive");
            }
            this.replayCacheSize = n;
            return this;
        }

        public DigestAuth build() {
            return new DigestAuth(this);
        }
    }
}
