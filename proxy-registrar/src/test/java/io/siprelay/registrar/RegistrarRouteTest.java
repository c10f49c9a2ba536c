package io.siprelay.registrar;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.route.Route;
import io.siprelay.registrar.store.Binding;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import javax.sip.header.RouteHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * save and lookup as routes on the in-memory network, time on the virtual clock: the registrar's acceptance tests.
 * alice is 127.0.0.2, bob's phones 127.0.0.11-13, the proxy 127.0.0.1:5060.
 */
class RegistrarRouteTest {

    private final SipTestKit kit = SipTestKit.create();
    private Registrar registrar;

    /** The shape a Kamailio config has: REGISTER → save; otherwise lookup or 404/405. */
    private Route routes() {
        return Route.named("request_route", ctx -> {
            if (ctx.isMethod("REGISTER")) {
                return ctx.route(registrar.save());
            }
            return switch (registrar.lookup(ctx)) {
                case FOUND -> ctx.relay();
                case NOT_FOUND -> ctx.reply(404, "User not Registered");
                case METHOD_NOT_ALLOWED -> ctx.reply(405, "Method Not Allowed");
            };
        });
    }

    private void start(Consumer<Registrar.Builder> config) {
        Registrar.Builder b = Registrar.builder().clock(kit.clock()).minExpires(60).maxExpires(3600)
                .defaultExpires(3600).maxContacts(3);
        config.accept(b);
        registrar = b.build();
        kit.proxy(p -> p.requestRoute(routes()));
    }

    private void start() {
        start(b -> { });
    }

    private Ua ua(String host, String aor) {
        return new Ua(kit, kit.peer(host, 5060), aor);
    }

    @AfterEach
    void close() {
        if (registrar != null) {
            registrar.close();
        }
        kit.close();
    }

    @Test
    void registerListsTheBindingWithExpiresAndDate() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        Response ok = alice.send(alice.register(null, "<" + alice.contact() + ">;expires=600"));
        assertThat(ok).hasStatus(200).hasHeader("Date");
        assertThat(Ua.contacts(ok)).containsExactly("<sip:alice@127.0.0.2:5060>;expires=600");
        assertThat(registrar.registered("sip:alice@example.com")).isTrue();
        assertThat(registrar.registered("bob@example.com")).isFalse();
    }

    @Test
    void expiresComesFromTheParameterThenTheHeaderThenTheDefault() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        Response ok = alice.send(alice.register("300", "<sip:a1@127.0.0.2>;expires=120", "<sip:a2@127.0.0.2>"));
        assertThat(Ua.contacts(ok)).containsExactlyInAnyOrder("<sip:a1@127.0.0.2>;expires=120",
                "<sip:a2@127.0.0.2>;expires=300");
        Ua carol = ua("127.0.0.3", "carol@example.com");
        ok = carol.send(carol.register(null, "<sip:carol@127.0.0.3>", "<sip:c2@127.0.0.3>;expires=7200"));
        assertThat(Ua.contacts(ok)).as("default 3600; 7200 cut to max 3600")
                .containsExactly("<sip:carol@127.0.0.3>;expires=3600", "<sip:c2@127.0.0.3>;expires=3600");
    }

    @Test
    void refreshKeepsOneBindingAndRestartsItsTimer() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<" + alice.contact() + ">"));
        kit.advance(Duration.ofSeconds(500));
        Response ok = alice.send(alice.register("600", "<" + alice.contact() + ">"));
        assertThat(Ua.contacts(ok)).containsExactly("<sip:alice@127.0.0.2:5060>;expires=600");
        kit.advance(Duration.ofSeconds(500));
        assertThat(registrar.registered("alice@example.com")).as("refreshed at 500 s, alive at 1000 s").isTrue();
        assertThat(registrar.contacts("alice@example.com")).hasSize(1).first()
                .satisfies(b -> assertThat(b.cseq()).isEqualTo(2));
    }

    @Test
    void aRegisterWithoutContactIsAQuery() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<sip:a1@127.0.0.2>", "<sip:a2@127.0.0.2>;q=0.5"));
        kit.advance(Duration.ofSeconds(100));
        Response ok = alice.send(alice.register(null));
        assertThat(ok).hasStatus(200);
        assertThat(Ua.contacts(ok)).containsExactly("<sip:a1@127.0.0.2>;expires=500",
                "<sip:a2@127.0.0.2>;expires=500;q=0.5");
        assertThat(registrar.contacts("alice@example.com")).hasSize(2);
    }

    @Test
    void bindingsExpireOnTheVirtualClock() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register(null, "<sip:a1@127.0.0.2>;expires=60", "<sip:a2@127.0.0.2>;expires=120"));
        kit.advance(Duration.ofSeconds(59));
        assertThat(registrar.contacts("alice@example.com")).hasSize(2);
        kit.advance(Duration.ofSeconds(1));
        assertThat(registrar.contacts("alice@example.com")).extracting(Binding::contact)
                .containsExactly("sip:a2@127.0.0.2");
        kit.advance(Duration.ofSeconds(60));
        assertThat(registrar.registered("alice@example.com")).isFalse();
        assertThat(registrar.locationService().dump().domains().get(0).domain().aors()).isEmpty();
        Ua bob = ua("127.0.0.3", "bob@example.com");
        bob.peer.send(bob.peer.request("INVITE", "sip:alice@example.com"));
        assertThat(bob.peer.takeResponse()).hasStatus(404).hasReason("User not Registered");
    }

    @Test
    void expiresZeroRemovesOneBinding() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<sip:a1@127.0.0.2>", "<sip:a2@127.0.0.2>"));
        Response ok = alice.send(alice.register(null, "<sip:a1@127.0.0.2>;expires=0"));
        assertThat(ok).hasStatus(200);
        assertThat(Ua.contacts(ok)).containsExactly("<sip:a2@127.0.0.2>;expires=600");
        ok = alice.send(alice.register("0", "<sip:a2@127.0.0.2>"));
        assertThat(ok).hasStatus(200).doesNotHaveHeader("Contact");
        assertThat(registrar.registered("alice@example.com")).isFalse();
    }

    @Test
    void wildcardWithExpiresZeroRemovesAll() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<sip:a1@127.0.0.2>", "<sip:a2@127.0.0.2>"));
        Response ok = alice.send(alice.register("0", "*"));
        assertThat(ok).hasStatus(200).doesNotHaveHeader("Contact");
        assertThat(registrar.registered("alice@example.com")).isFalse();
    }

    @Test
    void wildcardOtherwiseIs400() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<sip:a1@127.0.0.2>"));
        assertThat(alice.send(alice.register(null, "*"))).hasStatus(400);
        assertThat(alice.send(alice.register("60", "*"))).hasStatus(400);
        alice.peer.sendRaw("REGISTER sip:example.com SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKstarplus\r\n"
                + "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n"
                + "Call-ID: star-plus\r\nCSeq: 1 REGISTER\r\nContact: *\r\nContact: <sip:a2@127.0.0.2>\r\n"
                + "Expires: 0\r\nContent-Length: 0\r\n\r\n");
        assertThat(alice.peer.takeResponse()).hasStatus(400);
        assertThat(registrar.contacts("alice@example.com")).hasSize(1);
    }

    @Test
    void tooBriefIs423WithMinExpiresWhenConfigured() {
        start(b -> b.minExpiresMode(Registrar.MinExpiresMode.REJECT));
        Ua alice = ua("127.0.0.2", "alice@example.com");
        Response r = alice.send(alice.register("30", "<sip:a1@127.0.0.2>"));
        assertThat(r).hasStatus(423).hasReason("Interval Too Brief").hasHeaderValue("Min-Expires", "60");
        assertThat(registrar.registered("alice@example.com")).isFalse();
    }

    /** Kamailio's default (min_expires_mode=0); sipsak -U registers for 15 s and fails on a 423. */
    @Test
    void tooBriefIsRaisedByDefault() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        Response r = alice.send(alice.register("30", "<sip:a1@127.0.0.2>"));
        assertThat(Ua.contacts(r)).containsExactly("<sip:a1@127.0.0.2>;expires=60");
    }

    @Test
    void tooManyContactsIs503AndStoresNothing() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<sip:a1@127.0.0.2>", "<sip:a2@127.0.0.2>"));
        Response r = alice.send(alice.register("600", "<sip:a3@127.0.0.2>", "<sip:a4@127.0.0.2>"));
        assertThat(r).hasStatus(503).hasReason("Too many registered contacts");
        assertThat(registrar.contacts("alice@example.com")).extracting(Binding::contact)
                .containsExactlyInAnyOrder("sip:a1@127.0.0.2", "sip:a2@127.0.0.2");
    }

    @Test
    void tooManyContactsReplacesTheOldestWhenConfigured() {
        start(b -> b.tooManyContactsMode(Registrar.TooManyContactsMode.REPLACE_OLDEST));
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<sip:a1@127.0.0.2>"));
        kit.advance(Duration.ofSeconds(1));
        alice.send(alice.register("600", "<sip:a2@127.0.0.2>", "<sip:a3@127.0.0.2>"));
        kit.advance(Duration.ofSeconds(1));
        Response r = alice.send(alice.register("600", "<sip:a4@127.0.0.2>"));
        assertThat(r).hasStatus(200);
        assertThat(registrar.contacts("alice@example.com")).extracting(Binding::contact)
                .containsExactlyInAnyOrder("sip:a2@127.0.0.2", "sip:a3@127.0.0.2", "sip:a4@127.0.0.2");
    }

    @Test
    void sameCallIdLowerCseqIs400AndARetransmissionChangesNothing() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        assertThat(alice.send(alice.register(5, "600", "<sip:a1@127.0.0.2>"))).hasStatus(200);
        kit.advance(Duration.ofSeconds(10));
        Response retrans = alice.send(alice.register(5, "300", "<sip:a1@127.0.0.2>"));
        assertThat(retrans).hasStatus(200);
        assertThat(Ua.contacts(retrans)).as("unchanged").containsExactly("<sip:a1@127.0.0.2>;expires=590");
        Response old = alice.send(alice.register(4, "300", "<sip:a1@127.0.0.2>"));
        assertThat(old).hasStatus(400).hasHeader("P-Registrar-Error");
        kit.advance(Duration.ofSeconds(30));
        assertThat(alice.send(alice.register(5, "300", "<sip:a1@127.0.0.2>"))).as("same CSeq, too late").hasStatus(400);
        assertThat(alice.send(alice.register(6, "300", "<sip:a1@127.0.0.2>"))).hasStatus(200);
    }

    @Test
    void malformedOrOversizedContactIs400AndNotStored() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        String longUri = "<sip:" + "a".repeat(600) + "@127.0.0.2>";
        assertThat(alice.send(alice.register("600", longUri))).hasStatus(400);
        alice.peer.sendRaw("REGISTER sip:example.com SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKbadcontact\r\n"
                + "Max-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\n"
                + "Call-ID: bad-contact\r\nCSeq: 1 REGISTER\r\nContact: <sip:broken@>;;;=\r\n"
                + "Content-Length: 0\r\n\r\n");
        assertThat(alice.peer.takeResponse()).hasStatus(400);
        assertThat(registrar.registered("alice@example.com")).isFalse();
    }

    @Test
    void lookupWithNothingRegisteredIs404() {
        start();
        Peer caller = kit.peer("127.0.0.2", 5060);
        caller.send(caller.request("INVITE", "sip:nobody@example.com"));
        assertThat(caller.takeResponse()).hasStatus(404).hasReason("User not Registered");
    }

    @Test
    void threeContactsOfEqualQForkInParallel() {
        start();
        Ua b1 = ua("127.0.0.11", "bob@example.com");
        Ua b2 = ua("127.0.0.12", "bob@example.com");
        Ua b3 = ua("127.0.0.13", "bob@example.com");
        for (Ua b : List.of(b1, b2, b3)) {
            assertThat(b.send(b.register("600", "<" + b.contact() + ">"))).hasStatus(200);
        }
        Peer alice = kit.peer("127.0.0.2", 5060);
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        assertThat(alice.takeResponse()).hasStatus(100);
        Request at1 = b1.peer.takeRequest();
        Request at2 = b2.peer.takeRequest();
        Request at3 = b3.peer.takeRequest();
        assertThat(at1.getRequestURI().toString()).isEqualTo("sip:bob@127.0.0.11:5060");
        assertThat(at2.getRequestURI().toString()).isEqualTo("sip:bob@127.0.0.12:5060");
        assertThat(at3.getRequestURI().toString()).isEqualTo("sip:bob@127.0.0.13:5060");
        b1.peer.reply(at1, 180);
        b3.peer.reply(at3, 180);
        assertThat(alice.takeResponse()).hasStatus(180);
        assertThat(alice.takeResponse()).hasStatus(180);
        b2.peer.reply(at2, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        // the other branches are cancelled once the call is answered (they sent a provisional, so CANCEL may go)
        assertThat(b1.peer.takeRequest().getMethod()).isEqualTo("CANCEL");
        assertThat(b3.peer.takeRequest().getMethod()).isEqualTo("CANCEL");
    }

    @Test
    void lowerQIsTriedSeriallyInQOrder() {
        start();
        Ua b1 = ua("127.0.0.11", "bob@example.com");
        Ua b2 = ua("127.0.0.12", "bob@example.com");
        Ua b3 = ua("127.0.0.13", "bob@example.com");
        b3.send(b3.register("600", "<" + b3.contact() + ">;q=0.1"));
        b1.send(b1.register("600", "<" + b1.contact() + ">;q=0.9"));
        b2.send(b2.register("600", "<" + b2.contact() + ">;q=0.5"));
        Peer alice = kit.peer("127.0.0.2", 5060);
        alice.send(alice.request("INVITE", "sip:bob@example.com"));
        assertThat(alice.takeResponse()).hasStatus(100);
        Request at1 = b1.peer.takeRequest();
        assertThat(b2.peer.inboxEmpty()).isTrue();
        assertThat(b3.peer.inboxEmpty()).isTrue();
        b1.peer.reply(at1, 486);
        assertThat(b1.peer.takeRequest().getMethod()).isEqualTo("ACK");
        Request at2 = b2.peer.takeRequest();
        assertThat(at2.getRequestURI().toString()).isEqualTo("sip:bob@127.0.0.12:5060");
        assertThat(b3.peer.inboxEmpty()).isTrue();
        b2.peer.reply(at2, 480);
        assertThat(b2.peer.takeRequest().getMethod()).isEqualTo("ACK");
        Request at3 = b3.peer.takeRequest();
        b3.peer.reply(at3, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
    }

    @Test
    void natedContactIsReachedAtItsSourceAddress() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        Response ok = alice.send(alice.register("600", "<sip:alice@10.0.0.5:5062>"));
        assertThat(Ua.contacts(ok)).containsExactly(
                "<sip:alice@10.0.0.5:5062>;expires=600;received=\"sip:127.0.0.2:5060\"");
        Peer bob = kit.peer("127.0.0.3", 5060);
        bob.send(bob.request("INVITE", "sip:alice@example.com"));
        Request at = alice.peer.takeRequest();
        assertThat(at.getRequestURI().toString()).isEqualTo("sip:alice@10.0.0.5:5062");
        assertThat(registrar.contacts("alice@example.com").get(0).received()).isEqualTo("sip:127.0.0.2:5060");
    }

    @Test
    void pathIsStoredAndBecomesRouteWithTheFirstHopAsDestination() {
        start();
        Peer edge = kit.peer("127.0.0.50", 5060);
        Ua alice = ua("127.0.0.2", "alice@example.com");
        Request reg = alice.register("600", "<sip:alice@192.0.2.10:5060>");
        reg.addHeader(header("Path", "<sip:127.0.0.50:5060;lr>"));
        reg.addHeader(header("Supported", "path"));
        // as if relayed by the edge proxy: it came from 127.0.0.50
        edge.send(reg);
        Response ok = edge.takeResponse();
        assertThat(ok).hasStatus(200).hasHeaderValue("Path", "<sip:127.0.0.50:5060;lr>");
        Binding b = registrar.contacts("alice@example.com").get(0);
        assertThat(b.path()).isEqualTo("<sip:127.0.0.50:5060;lr>");
        Peer bob = kit.peer("127.0.0.3", 5060);
        bob.send(bob.request("INVITE", "sip:alice@example.com"));
        Request atEdge = edge.takeRequest();
        assertThat(atEdge.getRequestURI().toString()).isEqualTo("sip:alice@192.0.2.10:5060");
        assertThat(atEdge.getHeader(RouteHeader.NAME).toString()).contains("sip:127.0.0.50:5060;lr");
    }

    @Test
    void methodsOutsideTheContactsAllowAre405() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        Request reg = alice.register("600", "<" + alice.contact() + ">");
        for (String m : List.of("INVITE", "ACK", "CANCEL", "BYE")) {
            reg.addHeader(header("Allow", m));
        }
        assertThat(alice.send(reg)).hasStatus(200);
        Peer bob = kit.peer("127.0.0.3", 5060);
        bob.send(bob.request("MESSAGE", "sip:alice@example.com"));
        assertThat(bob.takeResponse()).hasStatus(405);
        bob.send(bob.request("INVITE", "sip:alice@example.com"));
        assertThat(bob.takeResponse()).hasStatus(100);
        assertThat(alice.peer.takeRequest().getMethod()).isEqualTo("INVITE");
    }

    @Test
    void outboundInstanceAndRegIdAreStoredAndEchoed() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        String inst = "<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";
        Response ok = alice.send(alice.register("600",
                "<sip:alice@127.0.0.2:5060;ob>;+sip.instance=\"" + inst + "\";reg-id=1"));
        assertThat(ok).hasStatus(200);
        assertThat(Ua.contacts(ok).get(0)).contains("+sip.instance=\"" + inst + "\"").contains("reg-id=1");
        Binding b = registrar.contacts("alice@example.com").get(0);
        assertThat(b.instance()).isEqualTo(inst);
        assertThat(b.regId()).isEqualTo(1);
        assertThat(b.userAgent()).isEmpty();
        // a new contact URI for the same instance and reg-id replaces the binding (RFC 5626 §6)
        ok = alice.send(alice.register("600", "<sip:alice@127.0.0.2:5070;ob>;+sip.instance=\"" + inst
                + "\";reg-id=1"));
        assertThat(Ua.contacts(ok)).hasSize(1);
    }

    @Test
    void singleDomainModeIgnoresTheDomain() {
        start(b -> b.useDomain(false));
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<" + alice.contact() + ">"));
        assertThat(registrar.registered("alice")).isTrue();
        assertThat(registrar.registered("alice@other.example.org")).isTrue();
        Peer bob = kit.peer("127.0.0.3", 5060);
        bob.send(bob.request("INVITE", "sip:alice@127.0.0.1"));
        assertThat(bob.takeResponse()).hasStatus(100);
        assertThat(alice.peer.takeRequest().getMethod()).isEqualTo("INVITE");
    }

    @Test
    void multiDomainModeKeepsDomainsApart() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<" + alice.contact() + ">"));
        assertThat(registrar.registered("alice@example.com")).isTrue();
        assertThat(registrar.registered("alice@other.example.org")).isFalse();
        assertThat(registrar.registered("sip:ALICE@Example.COM")).as("case-insensitive").isTrue();
    }

    @Test
    void unregisterRemovesEverything() {
        start();
        Ua alice = ua("127.0.0.2", "alice@example.com");
        alice.send(alice.register("600", "<sip:a1@127.0.0.2>", "<sip:a2@127.0.0.2>"));
        assertThat(registrar.unregister("alice@example.com")).isEqualTo(2);
        assertThat(registrar.registered("alice@example.com")).isFalse();
        assertThat(registrar.unregister("alice@example.com")).isZero();
    }

    private javax.sip.header.Header header(String name, String value) {
        try {
            return kit.codec().headerFactory().createHeader(name, value);
        } catch (java.text.ParseException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
