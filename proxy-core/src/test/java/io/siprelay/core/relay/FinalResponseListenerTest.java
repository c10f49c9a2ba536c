package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.route.FailureRoute;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.message.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** RequestContext.onFinalResponse: told once of the final response upstream, however the relay ended. */
class FinalResponseListenerTest {

    private final SipTestKit kit = SipTestKit.create();
    private final List<Integer> finals = new ArrayList<>();
    private Peer alice;
    private Peer bob;
    private Peer carol;

    @AfterEach
    void close() {
        kit.close();
    }

    private void start(FailureRoute onFailure) {
        Route route = ctx -> {
            ctx.onFinalResponse(finals::add);
            ctx.setRequestUri("sip:bob@127.0.0.11:5060");
            if (onFailure != null) {
                ctx.onFailure(onFailure);
            }
            return ctx.relay();
        };
        kit.proxy(b -> b.requestRoute(route));
        alice = kit.peer("127.0.0.2", 5060);
        bob = kit.peer("127.0.0.11", 5060);
        carol = kit.peer("127.0.0.12", 5060);
    }

    private Request invite() {
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        return invite;
    }

    @Test
    void aRejectedCallReportsItsStatus() {
        start(null);
        invite();
        bob.reply(bob.takeRequest(), 486);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(486);
        assertThat(finals).containsExactly(486);
    }

    @Test
    void anAnsweredCallReportsOnceDespiteRetransmittedOk() {
        start(null);
        invite();
        Request at = bob.takeRequest();
        bob.reply(at, 180);
        var ok = bob.reply(at, 200);
        bob.send(ok);
        kit.runUntilIdle();
        assertThat(finals).containsExactly(200);
    }

    @Test
    void aCancelledCallReports487() {
        start(null);
        Request invite = invite();
        Request at = bob.takeRequest();
        bob.reply(at, 180);
        alice.send(alice.cancel(invite));
        Request cancel = bob.takeRequest();
        bob.reply(cancel, 200);
        bob.reply(at, 487);
        kit.runUntilIdle();
        assertThat(finals).containsExactly(487);
    }

    @Test
    void aCallNobodyAnswersReportsTheLocal408() {
        start(null);
        invite();
        bob.takeRequest();
        kit.advance(Duration.ofSeconds(40));
        assertThat(finals).containsExactly(408);
    }

    @Test
    void maxForwardsExhaustedReports483() {
        start(null);
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        try {
            ((MaxForwardsHeader) invite.getHeader(MaxForwardsHeader.NAME)).setMaxForwards(0);
        } catch (javax.sip.InvalidArgumentException e) {
            throw new IllegalStateException(e);
        }
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(483);
        assertThat(finals).containsExactly(483);
    }

    @Test
    void aFailoverInTheFailureRouteReportsOnlyTheFinalOutcome() {
        start(fc -> {
            fc.setRequestUri("sip:carol@127.0.0.12:5060");
            return fc.relay();
        });
        invite();
        bob.reply(bob.takeRequest(), 503);
        bob.takeRequest(); // ACK
        assertThat(finals).isEmpty();
        carol.reply(carol.takeRequest(), 200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(finals).containsExactly(200);
    }
}
