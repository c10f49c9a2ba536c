package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.ListIterator;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.RouteHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The RFC 3665 call flows that pass through a proxy, message by message on the in-memory network: alice
 * (127.0.0.2) calls bob (127.0.0.3) through the proxy (127.0.0.1:5060).
 */
class Rfc3665FlowsTest {

    private final SipTestKit kit = SipTestKit.create();
    private Peer alice;
    private Peer bob;
    private SipProxy proxy;

    /** Kamailio's default shape: in-dialog requests by Route, the rest relayed to bob, optionally record-routed. */
    static Route routes(boolean recordRoute) {
        return Route.named("request_route", ctx -> {
            if (ctx.hasToTag()) {
                if (ctx.looseRoute()) {
                    return ctx.relay();
                }
                return ctx.isMethod("ACK") ? ctx.drop() : ctx.reply(404, "Not here");
            }
            if ("nobody".equals(ctx.requestUser())) {
                return ctx.reply(404, "Not Found");
            }
            if (recordRoute) {
                ctx.recordRoute();
            }
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.relay();
        });
    }

    private void start(boolean recordRoute) {
        proxy = kit.proxy(b -> b.requestRoute(routes(recordRoute)));
        alice = kit.peer("127.0.0.2", 5060);
        bob = kit.peer("127.0.0.3", 5060);
    }

    @AfterEach
    void close() {
        kit.close();
    }

    /** RFC 3665 §3.2 (with Record-Route): INVITE, 100, 180, 200, ACK, BYE, 200. */
    @Test
    void successfulCallWithRecordRoute() {
        start(true);
        Request invite = alice.request("INVITE", "sip:bob@biloxi.example.com");
        alice.send(invite);

        Response trying = alice.takeResponse();
        assertThat(trying.getStatusCode()).isEqualTo(100);
        Request atBob = bob.takeRequest();
        assertThat(atBob.getMethod()).isEqualTo("INVITE");
        assertThat(atBob.getRequestURI().toString()).isEqualTo("sip:bob@biloxi.example.com");
        assertThat(((MaxForwardsHeader) atBob.getHeader(MaxForwardsHeader.NAME)).getMaxForwards()).isEqualTo(69);
        assertThat(count(atBob, ViaHeader.NAME)).isEqualTo(2);
        RecordRouteHeader rr = (RecordRouteHeader) atBob.getHeader(RecordRouteHeader.NAME);
        assertThat(rr.getAddress().getURI().toString()).isEqualTo("sip:127.0.0.1:5060;lr");

        bob.reply(atBob, 180);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(180);
        Response okAtBob = bob.reply(atBob, 200);
        Response ok = alice.takeResponse();
        assertThat(ok.getStatusCode()).isEqualTo(200);
        assertThat(count(ok, ViaHeader.NAME)).isEqualTo(1);
        assertThat(ok.getHeader(RecordRouteHeader.NAME)).isNotNull();
        assertThat(alice.inboxEmpty()).isTrue();

        alice.send(alice.ack(invite, ok));
        Request ackAtBob = bob.takeRequest();
        assertThat(ackAtBob.getMethod()).isEqualTo("ACK");
        assertThat(ackAtBob.getHeader(RouteHeader.NAME)).as("our Route removed by loose routing").isNull();
        assertThat(ackAtBob.getRequestURI().toString()).isEqualTo("sip:peer@127.0.0.3:5060");

        Request bye = alice.inDialog("BYE", invite, ok, 2);
        alice.send(bye);
        Request byeAtBob = bob.takeRequest();
        assertThat(byeAtBob.getMethod()).isEqualTo("BYE");
        bob.reply(byeAtBob, 200);
        Response byeOk = alice.takeResponse();
        assertThat(byeOk.getStatusCode()).isEqualTo(200);
        assertThat(byeOk.getHeader(javax.sip.header.CSeqHeader.NAME).toString()).contains("BYE");

        kit.advance(Duration.ofSeconds(33));
        assertThat(proxy.activeRelays()).isZero();
        assertThat(proxy.transactions().serverTransactionCount()).isZero();
        assertThat(proxy.transactions().clientTransactionCount()).isZero();
        assertThat(okAtBob).isNotNull();
    }

    /** RFC 3665 §3.2 without Record-Route: ACK and BYE go end to end, not through the proxy. */
    @Test
    void successfulCallWithoutRecordRoute() {
        start(false);
        Request invite = alice.request("INVITE", "sip:bob@biloxi.example.com");
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        Request atBob = bob.takeRequest();
        assertThat(atBob.getHeader(RecordRouteHeader.NAME)).isNull();
        bob.reply(atBob, 200);
        Response ok = alice.takeResponse();
        assertThat(ok.getHeader(RecordRouteHeader.NAME)).isNull();
        long before = proxy.stats().received();
        Request ack = alice.ack(invite, ok);
        alice.send(ack, bob.address()); // straight to the Contact
        assertThat(bob.takeRequest().getMethod()).isEqualTo("ACK");
        assertThat(proxy.stats().received()).isEqualTo(before);
    }

    /** RFC 3665 §3.6 busy: 486 is ACKed hop by hop; the caller's ACK stops at the proxy. */
    @Test
    void busy() {
        start(true);
        Request invite = alice.request("INVITE", "sip:bob@biloxi.example.com");
        alice.send(invite);
        alice.takeResponse(); // 100
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 486);
        Request proxyAck = bob.takeRequest();
        assertThat(proxyAck.getMethod()).isEqualTo("ACK");
        assertThat(((ViaHeader) proxyAck.getHeader(ViaHeader.NAME)).getBranch())
                .isEqualTo(((ViaHeader) atBob.getHeader(ViaHeader.NAME)).getBranch());
        Response busy = alice.takeResponse();
        assertThat(busy.getStatusCode()).isEqualTo(486);
        alice.send(alice.ack(invite, busy));
        assertThat(bob.inboxEmpty()).as("the caller's ACK for a non-2xx is absorbed by the proxy").isTrue();
        assertThat(alice.inboxEmpty()).isTrue();
        kit.advance(Duration.ofSeconds(40));
        assertThat(proxy.activeRelays()).isZero();
        assertThat(proxy.transactions().serverTransactionCount()).isZero();
    }

    /** RFC 3665 §3.8 no answer: 180, then the caller cancels; CANCEL hop by hop, 487 for the INVITE. */
    @Test
    void noAnswerCancel() throws Exception {
        start(true);
        Request invite = alice.request("INVITE", "sip:bob@biloxi.example.com");
        alice.send(invite);
        alice.takeResponse(); // 100
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 180);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(180);

        Request cancel = alice.cancel(invite);
        cancel.setHeader(kit.codec().headerFactory().createHeader("Reason", "SIP;cause=200;text=\"Call completed elsewhere\""));
        alice.send(cancel);
        Response cancelOk = alice.takeResponse();
        assertThat(cancelOk.getStatusCode()).isEqualTo(200);
        assertThat(cancelOk.getHeader("CSeq").toString()).contains("CANCEL");

        Request cancelAtBob = bob.takeRequest();
        assertThat(cancelAtBob.getMethod()).isEqualTo("CANCEL");
        assertThat(((ViaHeader) cancelAtBob.getHeader(ViaHeader.NAME)).getBranch())
                .isEqualTo(((ViaHeader) atBob.getHeader(ViaHeader.NAME)).getBranch());
        assertThat(cancelAtBob.getHeader("Reason").toString()).contains("cause=200");
        bob.reply(cancelAtBob, 200);
        bob.reply(atBob, 487);
        assertThat(bob.takeRequest().getMethod()).isEqualTo("ACK");
        Response terminated = alice.takeResponse();
        assertThat(terminated.getStatusCode()).isEqualTo(487);
        alice.send(alice.ack(invite, terminated));
        assertThat(bob.inboxEmpty()).isTrue();
        assertThat(proxy.stats().cancelsReceived()).isEqualTo(1);
        assertThat(proxy.stats().cancelsSent()).isEqualTo(1);
    }

    /** A CANCEL that matches no transaction gets 481 from relay(). */
    @Test
    void cancelForUnknownTransactionGets481() {
        start(true);
        Request cancel = alice.request("CANCEL", "sip:bob@biloxi.example.com");
        alice.send(cancel);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(481);
    }

    /** RFC 3665 §3.7 unknown user: 404 from the proxy itself, and 404 from downstream relayed. */
    @Test
    void unknownUser() {
        start(true);
        alice.send(alice.request("INVITE", "sip:nobody@biloxi.example.com"));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(404);
        assertThat(bob.inboxEmpty()).isTrue();

        Request invite = alice.request("INVITE", "sip:carol@biloxi.example.com");
        alice.send(invite);
        alice.takeResponse(); // 100
        bob.reply(bob.takeRequest(), 404);
        bob.takeRequest(); // ACK
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(404);
    }

    /** Every 2xx retransmission of the callee reaches the caller (RFC 6026). */
    @Test
    void okRetransmissionsAreRelayed() {
        start(true);
        Request invite = alice.request("INVITE", "sip:bob@biloxi.example.com");
        alice.send(invite);
        alice.takeResponse(); // 100
        Request atBob = bob.takeRequest();
        Response ok = bob.reply(atBob, 200);
        bob.send(ok);
        bob.send(ok);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
    }

    /** Re-INVITE and BYE from the callee, through the route set. */
    @Test
    void reInviteAndCalleeByeThroughRouteSet() {
        start(true);
        Request invite = alice.request("INVITE", "sip:bob@biloxi.example.com");
        alice.send(invite);
        alice.takeResponse();
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 200);
        Response ok = alice.takeResponse();
        alice.send(alice.ack(invite, ok));
        bob.takeRequest(); // ACK

        Request reinvite = alice.inDialog("INVITE", invite, ok, 2);
        alice.send(reinvite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        Request reAtBob = bob.takeRequest();
        assertThat(reAtBob.getMethod()).isEqualTo("INVITE");
        assertThat(reAtBob.getHeader(RouteHeader.NAME)).isNull();
        bob.reply(reAtBob, 200);
        Response reOk = alice.takeResponse();
        assertThat(reOk.getStatusCode()).isEqualTo(200);
        alice.send(alice.inDialog("ACK", invite, ok, 2)); // the route set stays the one of the initial INVITE
        assertThat(bob.takeRequest().getMethod()).isEqualTo("ACK");

        Request bye = bob.inDialogFromCallee("BYE", invite, bobsOk(atBob), 1);
        bob.send(bye, new java.net.InetSocketAddress("127.0.0.1", 5060));
        Request byeAtAlice = alice.takeRequest();
        assertThat(byeAtAlice.getMethod()).isEqualTo("BYE");
        alice.reply(byeAtAlice, 200);
        assertThat(bob.takeResponse().getStatusCode()).isEqualTo(200);
    }

    private Response bobsOk(Request atBob) {
        return bob.response(atBob, 200);
    }

    static int count(javax.sip.message.Message m, String header) {
        int n = 0;
        for (ListIterator<?> it = m.getHeaders(header); it.hasNext(); it.next()) {
            n++;
        }
        return n;
    }
}
