package io.siprelay.dispatcher;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Acceptance (3): the seed's failover and algorithm 12, on the in-memory network. */
class FailoverRouteTest {

    private final SipTestKit kit = SipTestKit.create();
    private Dispatcher ds;
    private Peer alice;
    private Peer mg1;
    private Peer mg2;

    @AfterEach
    void close() {
        if (ds != null) {
            ds.close();
        }
        kit.close();
    }

    private void start(Algorithm alg, DispatcherEntry... entries) {
        Route route = ctx -> {
            if (!ds.select(ctx, 1, alg)) {
                return ctx.reply(503, "No gateway");
            }
            ctx.onFailure(f -> !f.isCanceled() && ds.next(f) ? f.relay() : Step.next());
            return ctx.relay();
        };
        SipProxy proxy = kit.proxy(b -> b.requestRoute(route));
        ds = Dispatcher.builder().source(DispatcherSource.of(entries)).proxy(proxy).build();
        alice = kit.peer("127.0.0.2", 5060);
        mg1 = kit.peer("127.0.0.11", 5060);
        mg2 = kit.peer("127.0.0.12", 5060);
    }

    private void invite() {
        alice.send(alice.request("INVITE", "sip:+4930123@gateways"));
        assertThat(alice.takeResponse()).hasStatus(100);
    }

    @Test
    void mg1Answers404ThenMg2AnswersAndTheCallerGetsMg2s200() {
        start(Algorithm.PRIORITY, DispatcherEntry.of(1, "sip:127.0.0.12:5060", 0, 5, ""),
                DispatcherEntry.of(1, "sip:127.0.0.11:5060", 0, 10, ""));
        invite();
        Request at1 = mg1.takeRequest();
        assertThat(at1.getMethod()).isEqualTo("INVITE");
        assertThat(mg2.inboxEmpty()).as("priority 10 first, alone").isTrue();
        mg1.reply(at1, 404);
        assertThat(mg1.takeRequest().getMethod()).isEqualTo("ACK");
        Request at2 = mg2.takeRequest();
        assertThat(at2.getMethod()).isEqualTo("INVITE");
        Response ok = mg2.reply(at2, 200);
        Response got = alice.takeResponse();
        assertThat(got).hasStatus(200);
        assertThat(got.getHeader("To").toString()).isEqualTo(ok.getHeader("To").toString());
        assertThat(alice.inboxEmpty()).isTrue();
    }

    @Test
    void whenEveryGatewayFailsTheBestResponseGoesUpstream() {
        start(Algorithm.PRIORITY, DispatcherEntry.of(1, "sip:127.0.0.11:5060", 0, 10, ""),
                DispatcherEntry.of(1, "sip:127.0.0.12:5060", 0, 5, ""));
        invite();
        mg1.reply(mg1.takeRequest(), 404);
        mg1.takeRequest();
        mg2.reply(mg2.takeRequest(), 486);
        mg2.takeRequest();
        assertThat(alice.takeResponse()).hasStatus(404);
    }

    @Test
    void inactiveGatewayIsSkippedAndEmptySetGets503() {
        start(Algorithm.PRIORITY, DispatcherEntry.of(1, "sip:127.0.0.11:5060", 0, 10, ""),
                DispatcherEntry.of(1, "sip:127.0.0.12:5060", 0, 5, ""));
        ds.setState("ip", 1, "sip:127.0.0.11:5060");
        invite();
        assertThat(mg2.takeRequest().getMethod()).isEqualTo("INVITE");
        assertThat(mg1.inboxEmpty()).isTrue();
        ds.setState("d", 1, "all");
        alice.send(alice.request("INVITE", "sip:+4930123@gateways"));
        assertThat(alice.takeResponse()).hasStatus(503);
    }

    @Test
    void parallelRingsBothFirstAnswerWinsOtherIsCancelled() {
        start(Algorithm.PARALLEL, DispatcherEntry.of(1, "sip:127.0.0.11:5060"),
                DispatcherEntry.of(1, "sip:127.0.0.12:5060"));
        invite();
        Request at1 = mg1.takeRequest();
        Request at2 = mg2.takeRequest();
        assertThat(at1.getMethod()).isEqualTo("INVITE");
        assertThat(at2.getMethod()).isEqualTo("INVITE");
        mg1.reply(at1, 180); // a CANCEL waits for a provisional (RFC 3261 9.1)
        assertThat(alice.takeResponse()).hasStatus(180);
        mg2.reply(at2, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        Request cancel = mg1.takeRequest();
        assertThat(cancel.getMethod()).isEqualTo("CANCEL");
        mg1.reply(cancel, 200);
        mg1.reply(at1, 487);
        assertThat(mg1.takeRequest().getMethod()).isEqualTo("ACK");
        assertThat(alice.inboxEmpty()).isTrue();
    }
}
