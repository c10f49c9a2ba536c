package io.siprelay.registrar;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.blocks.Dialogs;
import io.siprelay.core.blocks.Nat;
import io.siprelay.core.proxy.Myself;
import io.siprelay.core.route.Route;
import io.siprelay.registrar.store.Binding;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import javax.sip.header.ContactHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Phones behind NAT on the in-memory network, Kamailio's NATDETECT/NATMANAGE flow: each phone's Via and Contact name
 * its private address (192.168.1.20, 10.0.0.5) while its packets come from the NAT's public one (127.0.0.3:5070,
 * 127.0.0.2:5080). Nothing sent to a private address arrives (nobody listens there), so every check below fails if the
 * proxy uses the private address anywhere.
 */
class NatTraversalTest {

    private final SipTestKit kit = SipTestKit.create();
    private Registrar registrar;
    private SipProxy proxy;
    private Peer bob;    // behind NAT: private 192.168.1.20:5060, public 127.0.0.3:5070
    private Peer alice;  // behind NAT: private 10.0.0.5:5060, public 127.0.0.2:5080

    @BeforeEach
    void start() {
        registrar = Registrar.builder().clock(kit.clock()).build();
        Myself me = Myself.create().address("127.0.0.1", 5060);
        Route request = Route.seq(Nat.detect(), Dialogs.withinDialog(), ctx -> {
            if (ctx.isMethod("REGISTER")) {
                return ctx.route(registrar.save());
            }
            if (ctx.isMethod("INVITE")) {
                ctx.recordRoute();
            }
            if (registrar.lookup(ctx) != LookupResult.FOUND) {
                return ctx.reply(404, "User not Registered");
            }
            ctx.onReply(Nat.manageReplies(me));
            return ctx.relay();
        });
        proxy = kit.proxy(b -> b.requestRoute(request).myself(me));
        bob = kit.peer("127.0.0.3", 5070);
        alice = kit.peer("127.0.0.2", 5080);
    }

    @AfterEach
    void close() {
        registrar.close();
        kit.close();
    }

    /** A request as a NATed phone sends it: Via and Contact with its private address, no rport. */
    private Request natted(Peer p, String method, String ruri, String user, String privateHostPort) throws Exception {
        Request r = p.request(method, ruri);
        ViaHeader via = (ViaHeader) r.getHeader(ViaHeader.NAME);
        String[] hp = privateHostPort.split(":");
        via.setHost(hp[0]);
        via.setPort(Integer.parseInt(hp[1]));
        via.removeParameter("rport");
        r.setHeader(kit.codec().headerFactory().createHeader(ContactHeader.NAME,
                "<sip:" + user + "@" + privateHostPort + ">"));
        return r;
    }

    private Response registerBob() throws Exception {
        Request reg = natted(bob, "REGISTER", "sip:127.0.0.1", "bob", "192.168.1.20:5060");
        reg.setHeader(kit.codec().headerFactory().createHeader("To", "<sip:bob@127.0.0.1>"));
        reg.setHeader(kit.codec().headerFactory().createHeader("From", "<sip:bob@127.0.0.1>;tag=b1"));
        bob.send(reg);
        return bob.takeResponse(); // force_rport: it reaches the public port although the Via has no rport
    }

    @Test
    void registerFromBehindNatStoresThePublicSourceAndTheNatFlags() throws Exception {
        Response ok = registerBob();
        assertThat(ok.getStatusCode()).isEqualTo(200);
        ViaHeader via = (ViaHeader) ok.getHeader(ViaHeader.NAME);
        assertThat(via.getReceived()).isEqualTo("127.0.0.3");
        assertThat(via.getRPort()).isEqualTo(5070);
        List<Binding> b = registrar.contacts("bob@127.0.0.1");
        assertThat(b).hasSize(1);
        assertThat(b.get(0).contact()).isEqualTo("sip:bob@192.168.1.20:5060");
        assertThat(b.get(0).received()).isEqualTo("sip:127.0.0.3:5070");
        assertThat(b.get(0).cflags()).isEqualTo(Registrar.NAT_BFLAGS);
    }

    @Test
    void callBetweenTwoNattedPhonesReachesEachAtItsPublicAddress() throws Exception {
        registerBob();

        // alice (NATed) calls bob (NATed): bob gets it at his public source, alice's Contact aliased
        Request invite = natted(alice, "INVITE", "sip:bob@127.0.0.1", "alice", "10.0.0.5:5060");
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        Request atBob = bob.takeRequest();
        assertThat(atBob.getRequestURI().toString()).isEqualTo("sip:bob@192.168.1.20:5060");
        assertThat(contact(atBob)).isEqualTo("sip:alice@10.0.0.5:5060;alias=127.0.0.2~5080~1");

        // bob's 200 (private Contact) reaches alice with bob's Contact aliased to where it came from
        Response ok = bob.response(atBob, 200);
        ok.setHeader(kit.codec().headerFactory().createHeader(ContactHeader.NAME, "<sip:bob@192.168.1.20:5060>"));
        bob.send(ok);
        Response okAtAlice = alice.takeResponse();
        assertThat(okAtAlice.getStatusCode()).isEqualTo(200);
        assertThat(contact(okAtAlice)).isEqualTo("sip:bob@192.168.1.20:5060;alias=127.0.0.3~5070~1");

        // alice's ACK and bob's BYE use the aliased Contacts; the proxy sends them to the public addresses and
        // strips the alias again
        alice.send(alice.ack(invite, okAtAlice));
        Request ack = bob.takeRequest();
        assertThat(ack.getMethod()).isEqualTo("ACK");
        assertThat(ack.getRequestURI().toString()).isEqualTo("sip:bob@192.168.1.20:5060");

        Request bye = bob.inDialogFromCallee("BYE", atBob, ok, 2);
        bob.send(bye);
        Request byeAtAlice = alice.takeRequest();
        assertThat(byeAtAlice.getMethod()).isEqualTo("BYE");
        assertThat(byeAtAlice.getRequestURI().toString()).isEqualTo("sip:alice@10.0.0.5:5060");
        alice.send(alice.response(byeAtAlice, 200));
        assertThat(bob.takeResponse().getStatusCode()).isEqualTo(200);
    }

    @Test
    void aPhoneNotBehindNatIsLeftAlone() throws Exception {
        Peer carol = kit.peer("127.0.0.4", 5060);
        Request reg = carol.request("REGISTER", "sip:127.0.0.1");
        reg.setHeader(kit.codec().headerFactory().createHeader("To", "<sip:carol@127.0.0.1>"));
        reg.setHeader(kit.codec().headerFactory().createHeader("From", "<sip:carol@127.0.0.1>;tag=c1"));
        reg.setHeader(kit.codec().headerFactory().createHeader(ContactHeader.NAME, "<sip:carol@127.0.0.4:5060>"));
        carol.send(reg);
        assertThat(carol.takeResponse().getStatusCode()).isEqualTo(200);
        Binding b = registrar.contacts("carol@127.0.0.1").get(0);
        assertThat(b.received()).isNull();
        assertThat(b.cflags()).isZero();

        registerBob();
        Request invite = carol.request("INVITE", "sip:bob@127.0.0.1");
        carol.send(invite);
        carol.takeResponse();
        assertThat(contact(bob.takeRequest())).as("no alias for a Contact that is the source")
                .isEqualTo("sip:peer@127.0.0.4:5060");
    }

    @Test
    void keepalivePingsGoToNattedContactsOnScheduleAndAnswersAreAbsorbed() throws Exception {
        registerBob();
        Peer carol = kit.peer("127.0.0.4", 5060); // registered, not behind NAT: never pinged
        Request reg = carol.request("REGISTER", "sip:127.0.0.1");
        reg.setHeader(kit.codec().headerFactory().createHeader("To", "<sip:carol@127.0.0.1>"));
        reg.setHeader(kit.codec().headerFactory().createHeader("From", "<sip:carol@127.0.0.1>;tag=c1"));
        carol.send(reg);
        carol.takeResponse();

        try (NatKeepalive ka = NatKeepalive.builder().registrar(registrar).proxy(proxy)
                .interval(Duration.ofSeconds(20)).from("sip:keepalive@127.0.0.1").build().start()) {
            assertThat(bob.inboxEmpty()).isTrue();
            kit.advance(Duration.ofSeconds(1));
            Request ping = bob.takeRequest();
            assertThat(ping.getMethod()).isEqualTo("OPTIONS");
            assertThat(ping.getRequestURI().toString()).isEqualTo("sip:bob@192.168.1.20:5060");
            assertThat(ping.getHeader("From").toString()).contains("sip:keepalive@127.0.0.1");
            bob.send(bob.response(ping, 200));
            kit.runUntilIdle();
            assertThat(proxy.stats().ownStatelessAnswers()).isEqualTo(1);
            assertThat(bob.inboxEmpty()).as("answer absorbed, nothing sent back").isTrue();

            kit.advance(Duration.ofSeconds(19));
            assertThat(bob.inboxEmpty()).as("one ping per interval").isTrue();
            kit.advance(Duration.ofSeconds(1));
            assertThat(bob.takeRequest().getMethod()).isEqualTo("OPTIONS");
            kit.advance(Duration.ofSeconds(20));
            assertThat(bob.takeRequest().getMethod()).isEqualTo("OPTIONS");
            assertThat(bob.inboxEmpty()).isTrue();
            assertThat(carol.inboxEmpty()).isTrue();
            assertThat(ka.sent()).isEqualTo(3);
            assertThat(ka.rounds()).isEqualTo(3);
        }
    }

    @Test
    void keepaliveWorkIsBoundedPerSecond() throws Exception {
        // 10 NATed phones, at most 3 pings per second, a round every 2 s: 3 + 3 sent, then the new round skips 4
        for (int i = 0; i < 10; i++) {
            Peer p = kit.peer("127.0.0.3", 6000 + i);
            Request reg = natted(p, "REGISTER", "sip:127.0.0.1", "u" + i, "192.168.1." + (30 + i) + ":5060");
            reg.setHeader(kit.codec().headerFactory().createHeader("To", "<sip:u" + i + "@127.0.0.1>"));
            reg.setHeader(kit.codec().headerFactory().createHeader("From", "<sip:u" + i + "@127.0.0.1>;tag=x"));
            p.send(reg);
            assertThat(p.takeResponse().getStatusCode()).isEqualTo(200);
        }
        try (NatKeepalive ka = NatKeepalive.builder().registrar(registrar).proxy(proxy)
                .interval(Duration.ofSeconds(2)).maxPerSecond(3).build().start()) {
            kit.advance(Duration.ofSeconds(1));
            assertThat(ka.sent()).isEqualTo(3);
            kit.advance(Duration.ofSeconds(1));
            assertThat(ka.sent()).isEqualTo(6);
            assertThat(ka.skipped()).isZero();
            kit.advance(Duration.ofSeconds(1));
            assertThat(ka.skipped()).isEqualTo(4);
            assertThat(ka.sent()).isEqualTo(9);
            assertThat(ka.rounds()).isEqualTo(2);
        }
    }

    @Test
    void natUacTestFlagsAreKamailios() {
        assertThat(Nat.Test.of(19)).containsExactlyInAnyOrder(Nat.Test.PRIVATE_CONTACT, Nat.Test.VIA_RECEIVED,
                Nat.Test.VIA_PORT);
        assertThat(Nat.isPrivate("10.1.2.3")).isTrue();
        assertThat(Nat.isPrivate("172.31.0.1")).isTrue();
        assertThat(Nat.isPrivate("172.32.0.1")).isFalse();
        assertThat(Nat.isPrivate("192.168.0.1")).isTrue();
        assertThat(Nat.isPrivate("100.64.0.1")).isTrue();
        assertThat(Nat.isPrivate("[fd00::1]")).isTrue();
        assertThat(Nat.isPrivate("127.0.0.1")).isFalse();
        assertThat(Nat.isPrivate("pbx.example.com")).isFalse();
        assertThat(Nat.Test.of(64)).containsExactly(Nat.Test.WEBSOCKET);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Nat.Test.of(256))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("256");
    }

    private static String contact(javax.sip.message.Message m) throws ParseException {
        return ((ContactHeader) m.getHeader(ContactHeader.NAME)).getAddress().getURI().toString();
    }
}
