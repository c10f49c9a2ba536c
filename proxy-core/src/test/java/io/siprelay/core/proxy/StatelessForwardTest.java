package io.siprelay.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.util.ListIterator;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Stateless forwarding (RFC 3261 §16.11) and response forwarding along the Via stack. */
class StatelessForwardTest {

    private final SipTestKit kit = SipTestKit.create();

    @AfterEach
    void close() {
        kit.close();
    }

    @Test
    void forwardsToDestinationAndResponsesComeBackAlongVias() {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.forward();
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Peer bob = kit.peer("127.0.0.3", 5060);

        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);

        Request atBob = bob.takeRequest();
        assertThat(atBob.getRequestURI().toString()).as("$du leaves the R-URI alone").isEqualTo("sip:bob@example.com");
        assertThat(((MaxForwardsHeader) atBob.getHeader(MaxForwardsHeader.NAME)).getMaxForwards()).isEqualTo(69);
        ListIterator<?> vias = atBob.getHeaders(ViaHeader.NAME);
        ViaHeader ours = (ViaHeader) vias.next();
        ViaHeader alices = (ViaHeader) vias.next();
        assertThat(ours.getHost()).isEqualTo("127.0.0.1");
        assertThat(ours.getPort()).isEqualTo(5060);
        assertThat(ours.getBranch()).startsWith("z9hG4bK");
        assertThat(alices.getReceived()).isEqualTo("127.0.0.2");
        assertThat(alices.getRPort()).isEqualTo(5062);

        bob.reply(atBob, 180);
        bob.reply(atBob, 200);
        Response ringing = alice.takeResponse();
        Response ok = alice.takeResponse();
        assertThat(ringing.getStatusCode()).isEqualTo(180);
        assertThat(ok.getStatusCode()).isEqualTo(200);
        assertThat(((ViaHeader) ok.getHeader(ViaHeader.NAME)).getBranch())
                .isEqualTo(((ViaHeader) invite.getHeader(ViaHeader.NAME)).getBranch());
        assertThat(ok.getHeaders(ViaHeader.NAME)).toIterable().hasSize(1);
        assertThat(proxy.stats().forwardedResponses()).isEqualTo(2);
    }

    @Test
    void retransmissionGetsTheSameBranch() {
        kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.forward();
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Peer bob = kit.peer("127.0.0.3", 5060);
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        alice.send(invite);
        String b1 = ((ViaHeader) bob.takeRequest().getHeader(ViaHeader.NAME)).getBranch();
        String b2 = ((ViaHeader) bob.takeRequest().getHeader(ViaHeader.NAME)).getBranch();
        assertThat(b1).isEqualTo(b2);
    }

    @Test
    void forwardsByRequestUriWhenNoDestination() {
        kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.rewriteHostPort("127.0.0.3", 5070);
            return ctx.forward();
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Peer carrier = kit.peer("127.0.0.3", 5070);
        alice.send(alice.request("INVITE", "sip:+4930123@pbx.example.com"));
        assertThat(carrier.takeRequest().getRequestURI().toString()).isEqualTo("sip:+4930123@127.0.0.3:5070");
    }

    @Test
    void maxForwardsZeroGets483() throws Exception {
        kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.forward();
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        Peer bob = kit.peer("127.0.0.3", 5060);
        Request req = alice.request("OPTIONS", "sip:bob@example.com");
        ((MaxForwardsHeader) req.getHeader(MaxForwardsHeader.NAME)).setMaxForwards(0);
        alice.send(req);
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(483);
        assertThat(r.getReasonPhrase()).isEqualTo("Too Many Hops");
        assertThat(bob.inboxEmpty()).isTrue();
    }

    @Test
    void responseWhoseTopViaIsNotOursIsDropped() {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> ctx.drop()));
        Peer stranger = kit.peer("127.0.0.4", 5060);
        Peer alice = kit.peer("127.0.0.2", 5062);
        Request req = alice.request("OPTIONS", "sip:x@127.0.0.1");
        Response resp = alice.response(req, 200); // top Via is alice's, not the proxy's
        stranger.send(resp, new java.net.InetSocketAddress("127.0.0.1", 5060));
        assertThat(alice.inboxEmpty()).isTrue();
        assertThat(proxy.stats().forwardedResponses()).isZero();
    }

    @Test
    void unreachableTcpNextHopGets503() {
        kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.setDestination("sip:127.0.0.9:5060;transport=tcp");
            return ctx.forward();
        }));
        Peer alice = kit.peer("127.0.0.2", 5062);
        alice.send(alice.request("INVITE", "sip:bob@example.com"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(503);
    }
}
