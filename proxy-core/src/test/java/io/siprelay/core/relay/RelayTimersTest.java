package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.proxy.RelayTimers;
import io.siprelay.core.route.Step;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** fr_timer, fr_inv_timer and Timer C on the virtual clock, with the messages Kamailio's tm would send. */
class RelayTimersTest {

    private final SipTestKit kit = SipTestKit.create();
    private SipProxy proxy;
    private Peer alice;
    private Peer bob;
    private final List<String> failures = new ArrayList<>();

    @AfterEach
    void close() {
        kit.close();
    }

    private void start(RelayTimers timers) {
        proxy = kit.proxy(b -> b.relayTimers(timers).requestRoute(ctx -> {
            ctx.setDestination("sip:127.0.0.3:5060");
            ctx.onFailure(f -> {
                failures.add(f.status() + (f.isLocalTimeout() ? " local" : "") + " at " + kit.clock().millis());
                return Step.next();
            });
            return ctx.relay();
        }));
        alice = kit.peer("127.0.0.2", 5060);
        bob = kit.peer("127.0.0.3", 5060);
    }

    private Request invite() {
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        return invite;
    }

    @Test
    void frTimerGives408WhenNothingAnswers() {
        start(new RelayTimers(Duration.ofSeconds(10), Duration.ofSeconds(120), Duration.ofSeconds(181)));
        invite();
        kit.network().loseWhere(bytes -> new String(bytes).startsWith("INVITE")); // bob never hears it
        kit.advance(Duration.ofMillis(9_999));
        assertThat(alice.inboxEmpty()).isTrue();
        kit.advance(Duration.ofMillis(1));
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(408);
        assertThat(failures).containsExactly("408 local at 10000");
    }

    @Test
    void frInvTimerCancelsARingingBranchAndGives408() {
        start(new RelayTimers(Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(181)));
        invite();
        Request atBob = bob.takeRequest();
        kit.advance(Duration.ofSeconds(5));
        for (var m : bob.inbox()) { // Timer A retransmissions while bob was silent
            assertThat(bob.takeRequest().getMethod()).isEqualTo("INVITE");
        }
        bob.reply(atBob, 180);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(180);
        kit.advance(Duration.ofSeconds(59));
        assertThat(bob.inboxEmpty()).as("no CANCEL before fr_inv_timer (60 s after the 180)").isTrue();
        kit.advance(Duration.ofSeconds(1));
        Request cancel = bob.takeRequest();
        assertThat(cancel.getMethod()).isEqualTo("CANCEL");
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(408);
        assertThat(failures).containsExactly("408 local at 65000");
        bob.reply(cancel, 200);
        bob.reply(atBob, 487);
        assertThat(bob.takeRequest().getMethod()).isEqualTo("ACK");
        assertThat(alice.inboxEmpty()).as("the late 487 is not forwarded").isTrue();
    }

    @Test
    void timerCIsRestartedByEachProvisionalAndCancelsAtExpiry() {
        start(new RelayTimers(Duration.ofSeconds(10), Duration.ofSeconds(600), Duration.ofSeconds(181)));
        invite();
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 180);
        alice.takeResponse();
        kit.advance(Duration.ofSeconds(100));
        bob.reply(atBob, 183); // restarts Timer C: now due at 100 + 181 = 281 s
        alice.takeResponse();
        kit.advance(Duration.ofSeconds(180));
        assertThat(bob.inboxEmpty()).isTrue();
        kit.advance(Duration.ofSeconds(1));
        assertThat(bob.takeRequest().getMethod()).isEqualTo("CANCEL");
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(408);
        assertThat(failures).containsExactly("408 local at 281000");
    }

    @Test
    void perTransactionFrTimerOverride() {
        proxy = kit.proxy(b -> b.requestRoute(ctx -> {
            ctx.setDestination("sip:127.0.0.3:5060");
            ctx.setFrTimer(Duration.ofSeconds(2));
            return ctx.relay();
        }));
        alice = kit.peer("127.0.0.2", 5060);
        invite();
        kit.advance(Duration.ofSeconds(2)); // nobody listens on 127.0.0.3: UDP loses the INVITE
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(408);
    }

    @Test
    void cancelBeforeAnyProvisionalWaitsForOneThenCancels() throws Exception {
        start(RelayTimers.defaults());
        Request invite = invite();
        Request atBob = bob.takeRequest();
        alice.send(alice.cancel(invite));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(bob.inboxEmpty()).as("RFC 3261 §9.1: no CANCEL before a provisional").isTrue();
        bob.reply(atBob, 180);
        assertThat(bob.takeRequest().getMethod()).isEqualTo("CANCEL");
    }
}
