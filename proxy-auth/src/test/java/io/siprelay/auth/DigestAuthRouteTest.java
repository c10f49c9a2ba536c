package io.siprelay.auth;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.auth.testing.DigestClient;
import io.siprelay.auth.testing.Requests;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import java.util.Map;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Digest authentication through the whole proxy on the in-memory network: REGISTER challenged with 401 and
 * answered 200 by the route itself (a registrar stub), other requests challenged with 407 and relayed.
 */
class DigestAuthRouteTest {

    static final String DOMAIN = "example.com";

    private final SipTestKit kit = SipTestKit.create();
    private final InMemorySubscriberStore store = new InMemorySubscriberStore();
    private final List<AuthResult> results = new ArrayList<>();
    private DigestAuth auth;
    private Peer alice;
    private Peer bob;

    private void start(DigestAuth.Builder config) {
        store.add("alice", DOMAIN, "wonderland");
        store.add("bob", DOMAIN, "builder");
        auth = config.subscribers(store).clock(kit.clock()).secret("0123456789abcdef0123".getBytes()).build();
        Route route = Route.named("request_route", ctx -> {
            AuthResult r = auth.check(ctx, ctx.fromDomain());
            results.add(r);
            if (r == AuthResult.USER_MISMATCH) {
                return ctx.reply(403, "Forbidden auth ID");
            }
            if (!r.isOk()) {
                return auth.challenge(ctx, ctx.fromDomain());
            }
            if (ctx.isMethod("REGISTER")) {
                return ctx.reply(200, "OK"); // registrar stub
            }
            auth.consumeCredentials(ctx);
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.relay();
        });
        kit.proxy(b -> b.requestRoute(route));
        alice = kit.peer("127.0.0.2", 5060);
        bob = kit.peer("127.0.0.3", 5060);
    }

    private void start() {
        start(DigestAuth.builder());
    }

    @AfterEach
    void close() {
        kit.close();
    }

    private DigestClient client(String user, String password, String alg) {
        return new DigestClient(user, password, alg, kit.codec().headerFactory());
    }

    private static List<String> values(Response r, String name) {
        List<String> out = new ArrayList<>();
        for (ListIterator<?> it = r.getHeaders(name); it.hasNext(); ) {
            String s = it.next().toString();
            out.add(s.substring(s.indexOf(':') + 1).trim());
        }
        return out;
    }

    /** REGISTER → 401 with one MD5 challenge (the default, as Kamailio's) → REGISTER with credentials → 200. */
    @Test
    void registerIsChallengedThenAccepted() {
        start();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response challenge = alice.takeResponse();
        assertThat(challenge).hasStatus(401).hasHeaderCount("WWW-Authenticate", 1).doesNotHaveHeader(
                "Proxy-Authenticate");
        assertThat(values(challenge, "WWW-Authenticate").get(0)).startsWith("Digest realm=\"example.com\"")
                .contains("algorithm=MD5", "qop=\"auth\"", "opaque=\"").doesNotContain("stale", "SHA-256");

        alice.send(client("alice", "wonderland", "MD5").authorize(Requests.next(reg), challenge));
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(results).containsExactly(AuthResult.NO_CREDENTIALS, AuthResult.OK);
    }

    /** SHA-256 is opt-in: a client answering with it when only MD5 is enabled is refused, not verified. */
    @Test
    void sha256AnswerIsRefusedWhenOnlyMd5IsEnabled() {
        start();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response challenge = alice.takeResponse();
        Map<String, String> forged = new java.util.HashMap<>(DigestClient.params(
                values(challenge, "WWW-Authenticate").get(0).substring(7)));
        forged.put("algorithm", "SHA-256");
        Request next = Requests.next(reg);
        next.addHeader(header("Authorization", client("alice", "wonderland", "SHA-256")
                .credentials("REGISTER", next.getRequestURI().toString(), forged, null)));
        alice.send(next);
        assertThat(alice.takeResponse()).hasStatus(401);
        assertThat(results).last().isEqualTo(AuthResult.ERROR);
    }

    /**
     * With SHA-256 enabled first ({@code algorithms(SHA_256, MD5)}): two challenges with one nonce, SHA-256 first; an
     * RFC 7616 client authenticates with SHA-256 and an MD5-only client still gets in.
     */
    @Test
    void withSha256EnabledAShaClientUsesItAndMd5ClientsStillWork() {
        start(DigestAuth.builder().algorithms(DigestAlgorithm.SHA_256, DigestAlgorithm.MD5));
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response challenge = alice.takeResponse();
        assertThat(challenge).hasStatus(401).hasHeaderCount("WWW-Authenticate", 2);
        List<String> offers = values(challenge, "WWW-Authenticate");
        assertThat(offers.get(0)).contains("algorithm=SHA-256", "qop=\"auth\"");
        assertThat(offers.get(1)).contains("algorithm=MD5");
        assertThat(DigestClient.params(offers.get(0).substring(7)).get("nonce"))
                .isEqualTo(DigestClient.params(offers.get(1).substring(7)).get("nonce"));

        Request shaAnswer = client("alice", "wonderland", "SHA-256").authorize(Requests.next(reg), challenge);
        assertThat(shaAnswer.getHeader("Authorization").toString()).contains("algorithm=SHA-256");
        alice.send(shaAnswer);
        assertThat(alice.takeResponse()).hasStatus(200);

        Request reg2 = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg2);
        Response c2 = alice.takeResponse();
        Request md5Answer = client("alice", "wonderland", "MD5").authorize(Requests.next(reg2), c2);
        assertThat(md5Answer.getHeader("Authorization").toString()).contains("algorithm=MD5");
        alice.send(md5Answer);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(results).containsExactly(AuthResult.NO_CREDENTIALS, AuthResult.OK, AuthResult.NO_CREDENTIALS,
                AuthResult.OK);
    }

    /**
     * {@code algorithms(MD5, SHA_256)}: MD5 first, for clients that answer the first challenge only (SIPp 3.6); a
     * SHA-256 client still picks SHA-256.
     */
    @Test
    void md5FirstKeepsFirstChallengeClientsWorkingAndShaClientsOnSha() {
        start(DigestAuth.builder().algorithms(DigestAlgorithm.MD5, DigestAlgorithm.SHA_256));
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response challenge = alice.takeResponse();
        List<String> offers = values(challenge, "WWW-Authenticate");
        assertThat(offers).hasSize(2);
        assertThat(offers.get(0)).contains("algorithm=MD5");
        DigestClient firstOnly = client("alice", "wonderland", "first"); // answers the first challenge it sees
        alice.send(firstOnly.authorize(Requests.next(reg), challenge));
        assertThat(alice.takeResponse()).hasStatus(200);

        Request reg2 = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg2);
        Response c2 = alice.takeResponse();
        Request sha = client("alice", "wonderland", "SHA-256").authorize(Requests.next(reg2), c2);
        assertThat(sha.getHeader("Authorization").toString()).contains("algorithm=SHA-256");
        alice.send(sha);
        assertThat(alice.takeResponse()).hasStatus(200);
    }

    @Test
    void algorithmListsAreParsedAsOperatorsWriteThem() {
        assertThat(DigestAlgorithm.parseList("md5")).containsExactly(DigestAlgorithm.MD5);
        assertThat(DigestAlgorithm.parseList(" SHA-256 , md5")).containsExactly(DigestAlgorithm.SHA_256,
                DigestAlgorithm.MD5);
        assertThat(DigestAlgorithm.parseList("sha256")).containsExactly(DigestAlgorithm.SHA_256);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DigestAlgorithm.parseList("md5,sha1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sha1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DigestAlgorithm.parseList("md5,MD5"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DigestAlgorithm.parseList(""))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> DigestAlgorithm.parseList("md5,"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Wrong password and unknown user: both 401 again, identical apart from the nonce (no user enumeration). */
    @Test
    void wrongPasswordAndUnknownUserLookAlike() {
        start();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        alice.send(client("alice", "wrong", "SHA-256").authorize(Requests.next(reg), c1));
        Response wrongPassword = alice.takeResponse();

        Request reg2 = Requests.register(kit, alice, "mallory", DOMAIN);
        alice.send(reg2);
        Response c2 = alice.takeResponse();
        alice.send(client("mallory", "wrong", "SHA-256").authorize(Requests.next(reg2), c2));
        Response unknownUser = alice.takeResponse();

        assertThat(results).containsExactly(AuthResult.NO_CREDENTIALS, AuthResult.INVALID_PASSWORD,
                AuthResult.NO_CREDENTIALS, AuthResult.USER_NOT_FOUND);
        assertThat(wrongPassword).hasStatus(401);
        assertThat(unknownUser).hasStatus(401);
        assertThat(unknownUser.getReasonPhrase()).isEqualTo(wrongPassword.getReasonPhrase());
        assertThat(headerNames(unknownUser)).isEqualTo(headerNames(wrongPassword));
        assertThat(withoutNonce(values(unknownUser, "WWW-Authenticate")))
                .isEqualTo(withoutNonce(values(wrongPassword, "WWW-Authenticate")));
    }

    private static List<String> headerNames(Response r) {
        List<String> names = new ArrayList<>();
        for (ListIterator<?> it = r.getHeaderNames(); it.hasNext(); ) {
            names.add((String) it.next());
        }
        return names;
    }

    private static List<String> withoutNonce(List<String> values) {
        return values.stream().map(v -> v.replaceAll("nonce=\"[^\"]*\"", "nonce=\"…\"")).toList();
    }

    /** A nonce older than the expiry (300 s) → 401 with stale=true; the fresh nonce then works. */
    @Test
    void staleNonceGetsStaleTrue() {
        start();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        kit.advance(Duration.ofSeconds(301));
        Request again = client("alice", "wonderland", "SHA-256").authorize(Requests.next(reg), c1);
        alice.send(again);
        Response stale = alice.takeResponse();
        assertThat(stale).hasStatus(401);
        assertThat(values(stale, "WWW-Authenticate")).allSatisfy(v -> assertThat(v).contains("stale=true"));
        alice.send(client("alice", "wonderland", "SHA-256").authorize(Requests.next(again), stale));
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(results).containsExactly(AuthResult.NO_CREDENTIALS, AuthResult.STALE_NONCE, AuthResult.OK);
    }

    /** A wrong password with an expired nonce is not "stale": stale=true promises the credentials were right. */
    @Test
    void expiredNonceWithWrongPasswordIsNotStale() {
        start();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        kit.advance(Duration.ofSeconds(301));
        alice.send(client("alice", "nope", "SHA-256").authorize(Requests.next(reg), c1));
        Response r = alice.takeResponse();
        assertThat(values(r, "WWW-Authenticate")).allSatisfy(v -> assertThat(v).doesNotContain("stale"));
        assertThat(results).last().isEqualTo(AuthResult.INVALID_PASSWORD);
    }

    /** The same nonce-count twice is a replay; a higher one is fine. */
    @Test
    void replayedNonceCountIsRefused() {
        start();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        DigestClient c = client("alice", "wonderland", "SHA-256");
        Request first = c.authorize(Requests.next(reg), c1);
        alice.send(first);
        assertThat(alice.takeResponse()).hasStatus(200);

        alice.send(Requests.next(first)); // same Authorization, same nc: a replay
        assertThat(alice.takeResponse()).hasStatus(401);
        assertThat(results).last().isEqualTo(AuthResult.NONCE_REUSED);

        alice.send(c.authorize(Requests.next(first), c1)); // nc=2 on the same nonce
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(results).last().isEqualTo(AuthResult.OK);
    }

    /** An nc above 1 for a nonce never used here (evicted, or used on another instance) forces a fresh nonce. */
    @Test
    void unknownNonceCountHistoryIsStale() {
        start();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        Map<String, String> p = client("alice", "wonderland", "SHA-256").pick(c1);
        Request r = Requests.next(reg);
        r.setHeader(header("Authorization", client("alice", "wonderland", "SHA-256")
                .credentials("REGISTER", "sip:" + DOMAIN, p, 5)));
        alice.send(r);
        Response resp = alice.takeResponse();
        assertThat(resp).hasStatus(401);
        assertThat(values(resp, "WWW-Authenticate").get(0)).contains("stale=true");
        assertThat(results).last().isEqualTo(AuthResult.STALE_NONCE);
    }

    private javax.sip.header.Header header(String name, String value) {
        try {
            return kit.codec().headerFactory().createHeader(name, value);
        } catch (java.text.ParseException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void oneTimeNoncesAuthenticateOnce() {
        start(DigestAuth.builder().oneTimeNonce(true));
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        DigestClient c = client("alice", "wonderland", "SHA-256");
        Request first = c.authorize(Requests.next(reg), c1);
        alice.send(first);
        assertThat(alice.takeResponse()).hasStatus(200);
        alice.send(c.authorize(Requests.next(first), c1)); // nc=2, same nonce
        assertThat(alice.takeResponse()).hasStatus(401);
        assertThat(results).last().isEqualTo(AuthResult.NONCE_REUSED);
    }

    /** Authenticated as bob but registering alice: 403 (Kamailio's -8). */
    @Test
    void authUserMustMatchFromAndTo() {
        start();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        alice.send(client("bob", "builder", "SHA-256").authorize(Requests.next(reg), c1));
        assertThat(alice.takeResponse()).hasStatus(403);
        assertThat(results).last().isEqualTo(AuthResult.USER_MISMATCH);
    }

    /** INVITE → 407 Proxy-Authenticate → authorized → relayed, without the Proxy-Authorization header. */
    @Test
    void inviteIsChallengedWith407ThenRelayedWithoutCredentials() {
        start();
        Request invite = Requests.as(kit, alice, "INVITE", "sip:bob@" + DOMAIN, "alice", DOMAIN,
                "sip:bob@" + DOMAIN);
        alice.send(invite);
        Response challenge = alice.takeResponse();
        assertThat(challenge).hasStatus(407).hasHeaderCount("Proxy-Authenticate", 1)
                .doesNotHaveHeader("WWW-Authenticate");
        alice.send(alice.ack(invite, challenge));
        assertThat(alice.inboxEmpty()).as("the ACK of the 407 is not answered").isTrue();
        assertThat(bob.inboxEmpty()).isTrue();
        alice.send(client("alice", "wonderland", "SHA-256").authorize(Requests.next(invite), challenge));
        assertThat(alice.takeResponse()).hasStatus(100);
        Request atBob = bob.takeRequest();
        assertThat(atBob).isRequest("INVITE").doesNotHaveHeader("Proxy-Authorization");
        assertThat(auth.trackedNonces()).isEqualTo(1);
    }

    @Test
    void nonceBoundToSourceIpIsRefusedFromElsewhere() {
        start(DigestAuth.builder().bindNonceTo(NonceBinding.SOURCE_IP));
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        Peer elsewhere = kit.peer("127.0.0.9", 5060);
        Request moved = client("alice", "wonderland", "SHA-256").authorize(
                Requests.register(kit, elsewhere, "alice", DOMAIN), c1);
        elsewhere.send(moved);
        assertThat(elsewhere.takeResponse()).hasStatus(401);
        assertThat(results).last().isEqualTo(AuthResult.INVALID_NONCE);
        alice.send(client("alice", "wonderland", "SHA-256").authorize(Requests.next(reg), c1));
        assertThat(alice.takeResponse()).hasStatus(200);
    }

    @Test
    void forgedNonceAndForeignSecretAreRefused() {
        start();
        DigestAuth other = DigestAuth.builder().subscribers(store).clock(kit.clock())
                .secret("another-secret-of-20b".getBytes()).build();
        assertThat(other).isNotNull();
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        Map<String, String> p = new java.util.HashMap<>(client("alice", "wonderland", "SHA-256").pick(c1));
        String n = p.get("nonce");
        p.put("nonce", n.substring(0, 30) + (n.charAt(30) == 'A' ? 'B' : 'A') + n.substring(31)); // one character
        Request r = Requests.next(reg);
        r.setHeader(header("Authorization", client("alice", "wonderland", "SHA-256")
                .credentials("REGISTER", "sip:" + DOMAIN, p, null)));
        alice.send(r);
        assertThat(alice.takeResponse()).hasStatus(401);
        assertThat(results).last().isEqualTo(AuthResult.INVALID_NONCE);

        // a nonce from an instance with another secret is not ours either
        Request r2 = Requests.next(reg);
        Map<String, String> foreign = new java.util.HashMap<>(p);
        foreign.put("nonce", nonceOf(other));
        r2.setHeader(header("Authorization", client("alice", "wonderland", "SHA-256")
                .credentials("REGISTER", "sip:" + DOMAIN, foreign, null)));
        alice.send(r2);
        assertThat(alice.takeResponse()).hasStatus(401);
        assertThat(results).last().isEqualTo(AuthResult.INVALID_NONCE);
    }

    private String nonceOf(DigestAuth instance) {
        String[] box = new String[1];
        SipTestKit k2 = SipTestKit.create();
        try {
            k2.proxy(b -> b.requestRoute(ctx -> {
                box[0] = DigestClient.params(instance.challengeValues(ctx, DOMAIN, false).get(0).substring(7))
                        .get("nonce");
                return ctx.reply(200, "OK");
            }));
            Peer p = k2.peer("127.0.0.2", 5060);
            p.send(p.request("OPTIONS", "sip:x@" + DOMAIN));
            p.takeResponse();
        } finally {
            k2.close();
        }
        return box[0];
    }

    /** Kamailio's default cfg challenges without qop ("0"): RFC 2069-style answers work. */
    @Test
    void challengeWithoutQop() {
        start(DigestAuth.builder().qop(Qop.NONE).algorithms(DigestAlgorithm.MD5));
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response c1 = alice.takeResponse();
        assertThat(c1).hasHeaderCount("WWW-Authenticate", 1);
        assertThat(values(c1, "WWW-Authenticate").get(0)).doesNotContain("qop").contains("algorithm=MD5");
        alice.send(client("alice", "wonderland", "MD5").authorize(Requests.next(reg), c1));
        assertThat(alice.takeResponse()).hasStatus(200);
    }

    /** The ready-made block: challenge or go on. */
    @Test
    void requireCredentialsBlock() {
        store.add("alice", DOMAIN, "wonderland");
        DigestAuth a = DigestAuth.builder().subscribers(store).clock(kit.clock()).build();
        kit.proxy(b -> b.requestRoute(Route.seq(a.requireCredentials(ctx -> ctx.fromDomain()),
                ctx -> ctx.reply(200, "Welcome " + a.authUser(ctx)))));
        Peer p = kit.peer("127.0.0.2", 5060);
        Request reg = Requests.register(kit, p, "alice", DOMAIN);
        p.send(reg);
        Response c1 = p.takeResponse();
        assertThat(c1).hasStatus(401);
        p.send(new DigestClient("alice", "wonderland", "SHA-256", kit.codec().headerFactory())
                .authorize(Requests.next(reg), c1));
        assertThat(p.takeResponse()).hasStatus(200).hasReason("Welcome alice");
        assertThat(Step.next().isDone()).isFalse();
    }
}
