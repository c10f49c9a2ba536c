package io.siprelay.core.blocks;

import io.siprelay.core.proxy.Myself;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.UserAgentHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Kamailio's default route[REQINIT] as {@link Reqinit#defaults}, in front of a request route, on the network. */
class ReqinitTest {

    private final SipTestKit kit = SipTestKit.create();
    private final List<String> reachedMain = new ArrayList<>();
    private FloodDetector flood;
    private Peer alice;
    private Peer bob;

    @BeforeEach
    void start() {
        Myself myself = Myself.create().domain("sip.example.com");
        flood = FloodDetector.builder(kit.clock()).samplingTime(Duration.ofSeconds(2)).density(16)
                .blockTime(Duration.ofSeconds(300)).maxSources(1_000).build();
        Route main = Route.named("MAIN", ctx -> {
            reachedMain.add(ctx.method());
            return ctx.forward();
        });
        kit.proxy(b -> b.requestRoute(Route.seq(Reqinit.defaults(myself, flood), main)));
        alice = kit.peer("127.0.0.2", 5060);
        bob = kit.peer("127.0.0.3", 5060);
    }

    @AfterEach
    void close() {
        kit.close();
    }

    @Test
    void normalRequestPassesThroughToTheRestOfTheRoute() {
        alice.send(alice.request("MESSAGE", "sip:bob@127.0.0.3:5060"));
        Request out = bob.takeRequest();
        assertThat(out.getMethod()).isEqualTo("MESSAGE");
        assertThat(reachedMain).containsExactly("MESSAGE");
        assertThat(alice.inboxEmpty()).isTrue();
    }

    @Test
    void scannerIsDroppedSilently() throws Exception {
        Request r = alice.request("OPTIONS", "sip:100@127.0.0.1");
        r.addHeader(kit.codec().headerFactory().createHeader(UserAgentHeader.NAME, "friendly-scanner"));
        alice.send(r);
        assertThat(alice.inboxEmpty()).isTrue();
        assertThat(bob.inboxEmpty()).isTrue();
        assertThat(reachedMain).isEmpty();
    }

    @Test
    void maxForwardsZeroGets483() throws Exception {
        Request r = alice.request("INVITE", "sip:bob@127.0.0.3:5060");
        ((MaxForwardsHeader) r.getHeader(MaxForwardsHeader.NAME)).setMaxForwards(0);
        alice.send(r);
        Response resp = alice.takeResponse();
        assertThat(resp.getStatusCode()).isEqualTo(483);
        assertThat(resp.getReasonPhrase()).isEqualTo("Too Many Hops");
        assertThat(reachedMain).isEmpty();
    }

    @Test
    void optionsKeepaliveGets200() {
        alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(200);
        assertThat(r.getReasonPhrase()).isEqualTo("Keepalive");
        alice.send(alice.request("OPTIONS", "sip:sip.example.com"));
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Keepalive");
        assertThat(reachedMain).isEmpty();

        alice.send(alice.request("OPTIONS", "sip:bob@127.0.0.3:5060"));
        assertThat(bob.takeRequest().getMethod()).as("OPTIONS for someone else is routed").isEqualTo("OPTIONS");
    }

    @Test
    void insaneRequestGets400() {
        alice.sendRaw("MESSAGE sip:bob@127.0.0.3 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5060;branch=z9hG4bKi1;rport\r\n"
                + "From: <http://example.com>;tag=1\r\nTo: <sip:bob@127.0.0.3>\r\nCall-ID: i1\r\n"
                + "CSeq: 1 MESSAGE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
        assertThat(alice.takeResponse().getReasonPhrase()).isEqualTo("Bad Request - bad From URI");
        assertThat(reachedMain).isEmpty();
    }

    @Test
    void floodIsDroppedOthersUnaffected() {
        Peer attacker = kit.peer("127.0.0.66", 5060);
        for (int i = 0; i < 100; i++) {
            attacker.send(attacker.request("OPTIONS", "sip:127.0.0.1"));
            kit.advance(Duration.ofMillis(10));
        }
        int answered = 0;
        while (!attacker.inboxEmpty()) {
            attacker.takeResponse();
            answered++;
        }
        assertThat(answered).isEqualTo(16);
        assertThat(flood.dropped()).isEqualTo(84);

        alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
    }

    @Test
    void theProxysOwnAddressIsNotFloodChecked() {
        Peer self = kit.peer("127.0.0.1", 5099); // same address as the proxy, another port
        for (int i = 0; i < 50; i++) {
            self.send(self.request("OPTIONS", "sip:127.0.0.1"));
            assertThat(self.takeResponse().getStatusCode()).isEqualTo(200);
        }
        assertThat(flood.trackedSources()).isZero();
    }
}
