package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.blocks.Dialogs;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.core.transport.TransportType;
import java.util.ArrayList;
import java.util.List;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.RouteHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Record-Route across transports, strict-router compatibility, and the CANCEL/200 race. */
class DialogRoutingTest {

    private final SipTestKit kit = SipTestKit.create();

    @AfterEach
    void close() {
        kit.close();
    }

    @Test
    void transportChangeGivesDoubleRecordRouteAndBothAreConsumed() {
        kit.proxy(b -> b.requestRoute(Route.seq(Dialogs.withinDialog(), ctx -> {
            ctx.recordRoute();
            ctx.setDestination("sip:127.0.0.3:5060;transport=tcp");
            return ctx.relay();
        })));
        Peer alice = kit.peer("127.0.0.2", 5060);
        Peer bob = kit.peer(TransportType.TCP, "127.0.0.3", 5060);
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        alice.takeResponse();
        Request atBob = bob.takeRequest();
        List<String> rr = new ArrayList<>();
        atBob.getHeaders(RecordRouteHeader.NAME).forEachRemaining(h ->
                rr.add(((RecordRouteHeader) h).getAddress().getURI().toString()));
        assertThat(rr).containsExactly("sip:127.0.0.1:5060;transport=tcp;lr;r2=on", "sip:127.0.0.1:5060;lr;r2=on");
        bob.reply(atBob, 200);
        Response ok = alice.takeResponse();
        alice.send(alice.ack(invite, ok));
        Request ack = bob.takeRequest();
        assertThat(ack.getMethod()).isEqualTo("ACK");
        assertThat(ack.getHeader(RouteHeader.NAME)).as("both of our Route entries removed").isNull();
    }

    /**
     * RFC 3261 §16.4, found with baresip (issue #12): a UA with this proxy as outbound proxy preloads
     * {@code Route: <sip:proxy;lr>} on its INVITE. The proxy removes its own Route value before choosing the next
     * hop; following it sent the INVITE back to the proxy itself, which challenged its own request with 407.
     */
    @Test
    void preloadedRouteToThisProxyIsRemovedFromAnInitialRequest() throws Exception {
        kit.proxy(b -> b.requestRoute(Route.seq(Dialogs.withinDialog(), ctx -> {
            ctx.setRequestUri("sip:bob@127.0.0.3:5060");
            return ctx.relay();
        })));
        Peer alice = kit.peer("127.0.0.2", 5060);
        Peer bob = kit.peer("127.0.0.3", 5060);
        Request invite = alice.request("INVITE", "sip:bob@127.0.0.1");
        invite.addHeader(kit.codec().headerFactory().createRouteHeader(
                kit.codec().addressFactory().createAddress("<sip:127.0.0.1:5060;lr>")));
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        Request atBob = bob.takeRequest();
        assertThat(atBob.getMethod()).isEqualTo("INVITE");
        assertThat(atBob.getHeader(RouteHeader.NAME)).isNull();
    }

    @Test
    void requestFromAStrictRouterIsRestoredFromTheLastRoute() throws Exception {
        kit.proxy(b -> b.requestRoute(Dialogs.withinDialog()));
        Peer strict = kit.peer("127.0.0.5", 5060);
        Peer bob = kit.peer("127.0.0.3", 5060);
        // a strict router put our Record-Route URI in the Request-URI and the real target last in Route
        Request bye = strict.request("BYE", "sip:127.0.0.1:5060");
        ((javax.sip.header.ToHeader) bye.getHeader("To")).setTag("dlg1");
        bye.addHeader(kit.codec().headerFactory().createRouteHeader(
                kit.codec().addressFactory().createAddress("sip:bob@127.0.0.3:5060")));
        strict.send(bye);
        Request atBob = bob.takeRequest();
        assertThat(atBob.getRequestURI().toString()).isEqualTo("sip:bob@127.0.0.3:5060");
        assertThat(atBob.getHeader(RouteHeader.NAME)).isNull();
    }

    @Test
    void nextHopThatIsAStrictRouterGetsTheRequestUriInRoute() throws Exception {
        kit.proxy(b -> b.requestRoute(Dialogs.withinDialog()));
        Peer alice = kit.peer("127.0.0.2", 5060);
        Peer strict = kit.peer("127.0.0.5", 5060);
        Request bye = alice.request("BYE", "sip:bob@127.0.0.3:5060");
        ((javax.sip.header.ToHeader) bye.getHeader("To")).setTag("dlg1");
        bye.addHeader(kit.codec().headerFactory().createRouteHeader(
                kit.codec().addressFactory().createAddress("<sip:127.0.0.1:5060;lr>")));
        bye.addHeader(kit.codec().headerFactory().createRouteHeader(
                kit.codec().addressFactory().createAddress("<sip:127.0.0.5:5060>")));
        alice.send(bye);
        Request atStrict = strict.takeRequest();
        assertThat(atStrict.getRequestURI().toString()).isEqualTo("sip:127.0.0.5:5060");
        RouteHeader last = (RouteHeader) atStrict.getHeader(RouteHeader.NAME);
        assertThat(last.getAddress().getURI().toString()).isEqualTo("sip:bob@127.0.0.3:5060");
    }

    @Test
    void okAfterCancelStillReachesTheCallerAndLateCancelGets200() throws Exception {
        kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.relay();
        }));
        Peer alice = kit.peer("127.0.0.2", 5060);
        Peer bob = kit.peer("127.0.0.3", 5060);
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        alice.takeResponse();
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 180);
        alice.takeResponse();
        alice.send(alice.cancel(invite));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        Request cancelAtBob = bob.takeRequest();
        assertThat(cancelAtBob.getMethod()).isEqualTo("CANCEL");
        // the race: bob answered before the CANCEL reached it
        bob.reply(atBob, 200);
        bob.reply(cancelAtBob, 481);
        Response ok = alice.takeResponse();
        assertThat(ok.getStatusCode()).as("a 2xx is always forwarded (RFC 3261 §16.7 step 5)").isEqualTo(200);
        assertThat(alice.inboxEmpty()).isTrue();

        // a CANCEL after the final response: 200, no effect
        alice.send(alice.cancel(invite));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(bob.inboxEmpty()).isTrue();
    }
}
