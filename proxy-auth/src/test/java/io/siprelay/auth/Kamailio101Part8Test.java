package io.siprelay.auth;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.auth.testing.DigestClient;
import io.siprelay.auth.testing.Requests;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.permissions.AddressEntry;
import io.siprelay.permissions.Permissions;
import io.siprelay.testkit.SipTestKitExtension;
import java.util.List;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Kamailio 101 part 8 as Java: REGISTER needs credentials (answered 200 by a registrar stub), requests from the
 * carrier's address group 200 go straight on, our subscribers must authenticate (407), and anyone else hears
 * "403 Nope. Don't know who you are".
 *
 * <pre>
 * request_route {
 *     if (is_method("REGISTER")) {
 *         if (!auth_check("$fd", "subscriber", "1")) { auth_challenge("$fd", "0"); exit; }
 *         save("location"); exit;
 *     }
 *     if (allow_source_address("200")) { t_relay(); exit; }             # from the carrier
 *     if ($fd == "example.com") {
 *         if (!auth_check("$fd", "subscriber", "1")) { auth_challenge("$fd", "0"); exit; }
 *         consume_credentials(); t_relay(); exit;                           # to the carrier
 *     }
 *     sl_send_reply("403", "Nope. Don't know who you are");
 * }
 * </pre>
 */
@ExtendWith(SipTestKitExtension.class)
class Kamailio101Part8Test {

    static final String DOMAIN = "example.com";
    static final String CARRIER = "127.0.0.50";

    private DigestAuth auth;
    private Permissions perms;
    private String lastTag;

    private Route routes() {
        Route register = ctx -> {
            if (!ctx.isMethod("REGISTER")) {
                return Step.next();
            }
            if (!auth.check(ctx, ctx.fromDomain()).isOk()) {
                return auth.challenge(ctx, ctx.fromDomain());
            }
            return ctx.reply(200, "OK"); // save("location") is the registrar's job: a stub here
        };
        Route fromCarrier = ctx -> {
            if (perms.allowSource(ctx, 200)) {
                lastTag = perms.tag(ctx);
                ctx.setDestination("sip:127.0.0.3:5060"); // lookup("location") stand-in: bob
                return ctx.relay();
            }
            return Step.next();
        };
        Route subscribers = ctx -> {
            if (!DOMAIN.equals(ctx.fromDomain())) {
                return Step.next();
            }
            if (!auth.check(ctx, ctx.fromDomain()).isOk()) {
                return auth.challenge(ctx, ctx.fromDomain());
            }
            auth.consumeCredentials(ctx);
            ctx.setDestination("sip:" + CARRIER + ":5060");
            return ctx.relay();
        };
        return Route.named("request_route", Route.seq(register, fromCarrier, subscribers,
                ctx -> ctx.reply(403, "Nope. Don't know who you are")));
    }

    private void start(SipTestKit kit) {
        InMemorySubscriberStore store = new InMemorySubscriberStore();
        store.add("alice", DOMAIN, "wonderland");
        auth = DigestAuth.builder().subscribers(store).clock(kit.clock()).qop(Qop.NONE).build();
        perms = Permissions.of(List.of(new AddressEntry(200, CARRIER, 32, 0, "carrier-1")));
        kit.proxy(b -> b.requestRoute(routes()));
    }

    @Test
    void registerWithCredentials(SipTestKit kit) {
        start(kit);
        Peer alice = kit.peer("127.0.0.2", 5060);
        Request reg = Requests.register(kit, alice, "alice", DOMAIN);
        alice.send(reg);
        Response challenge = alice.takeResponse();
        assertThat(challenge).hasStatus(401).hasHeader("WWW-Authenticate");
        alice.send(new DigestClient("alice", "wonderland", "MD5", kit.codec().headerFactory())
                .authorize(Requests.next(reg), challenge));
        assertThat(alice.takeResponse()).hasStatus(200);
    }

    @Test
    void inviteFromCarrierGoesStraightOn(SipTestKit kit) {
        start(kit);
        Peer carrier = kit.peer(CARRIER, 5060);
        Peer bob = kit.peer("127.0.0.3", 5060);
        Request invite = Requests.as(kit, carrier, "INVITE", "sip:alice@" + DOMAIN, "+15551234", "pstn.example.net",
                "sip:alice@" + DOMAIN);
        carrier.send(invite);
        assertThat(carrier.takeResponse()).hasStatus(100);
        assertThat(bob.takeRequest()).isRequest("INVITE");
        assertThat(lastTag).isEqualTo("carrier-1");
    }

    @Test
    void inviteFromSubscriberIsChallengedThenRelayed(SipTestKit kit) {
        start(kit);
        Peer alice = kit.peer("127.0.0.2", 5060);
        Peer carrier = kit.peer(CARRIER, 5060);
        Request invite = Requests.as(kit, alice, "INVITE", "sip:+15551234@" + DOMAIN, "alice", DOMAIN,
                "sip:+15551234@" + DOMAIN);
        alice.send(invite);
        Response challenge = alice.takeResponse();
        assertThat(challenge).hasStatus(407).hasHeader("Proxy-Authenticate");
        alice.send(alice.ack(invite, challenge));
        alice.send(new DigestClient("alice", "wonderland", "SHA-256", kit.codec().headerFactory())
                .authorize(Requests.next(invite), challenge));
        assertThat(alice.takeResponse()).hasStatus(100);
        assertThat(carrier.takeRequest()).isRequest("INVITE").doesNotHaveHeader("Proxy-Authorization");
    }

    @Test
    void strangerGets403(SipTestKit kit) {
        start(kit);
        Peer stranger = kit.peer("127.0.0.66", 5060);
        stranger.send(Requests.as(kit, stranger, "INVITE", "sip:alice@" + DOMAIN, "eve", "evil.example",
                "sip:alice@" + DOMAIN));
        assertThat(stranger.takeResponse()).hasStatus(403).hasReason("Nope. Don't know who you are");
    }
}
