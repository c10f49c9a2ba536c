package io.siprelay.dispatcher;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
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

/** Acceptance (4): call load per duid with maxload, tracked from 2xx to BYE, failures and expiry. */
class CallLoadTest {

    private final SipTestKit kit = SipTestKit.create();
    private Dispatcher ds;
    private Peer alice;
    private Peer gw1;
    private Peer gw2;

    @AfterEach
    void close() {
        ds.close();
        kit.close();
    }

    private void start() {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> {
            if (ctx.hasToTag()) {
                ds.loadUpdate(ctx);
                return ctx.relay();
            }
            if (!ds.select(ctx, 1, Algorithm.CALL_LOAD)) {
                return ctx.reply(503, "All gateways busy");
            }
            ctx.onFailure(f -> !f.isCanceled() && ds.next(f) ? f.relay() : Step.next());
            return ctx.relay();
        }));
        ds = Dispatcher.builder().source(DispatcherSource.of(
                DispatcherEntry.of(1, "sip:127.0.0.11:5060", 0, 0, "duid=gw1;maxload=2"),
                DispatcherEntry.of(1, "sip:127.0.0.12:5060", 0, 0, "duid=gw2;maxload=2")))
                .proxy(proxy).pingInterval(Duration.ZERO)
                .loadExpiry(Duration.ofHours(1), Duration.ofMinutes(2)).build();
        ds.start();
        alice = kit.peer("127.0.0.2", 5060);
        gw1 = kit.peer("127.0.0.11", 5060);
        gw2 = kit.peer("127.0.0.12", 5060);
    }

    record Call(Request invite, Response ok, Peer gw) {
    }

    private Call call() {
        Request invite = alice.request("INVITE", "sip:+4930@gateways");
        alice.send(invite);
        assertThat(alice.takeResponse()).hasStatus(100);
        for (Peer gw : new Peer[] {gw1, gw2}) {
            if (!gw.inboxEmpty()) {
                gw.reply(gw.takeRequest(), 200);
                Response ok = alice.takeResponse();
                assertThat(ok).hasStatus(200);
                return new Call(invite, ok, gw);
            }
        }
        return null;
    }

    @Test
    void fiveCallsGiveTwoPlusTwoAndTheFifthIsRefusedByeFreesASlot() {
        start();
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            calls.add(call());
        }
        assertThat(calls).extracting(c -> c.gw().port() + "@" + c.gw().host())
                .containsExactly("5060@127.0.0.11", "5060@127.0.0.12", "5060@127.0.0.11", "5060@127.0.0.12");
        assertThat(ds.load("gw1")).isEqualTo(2);
        assertThat(ds.load("gw2")).isEqualTo(2);

        alice.send(alice.request("INVITE", "sip:+4930@gateways"));
        assertThat(alice.takeResponse()).hasStatus(503);
        assertThat(gw1.inboxEmpty()).isTrue();
        assertThat(gw2.inboxEmpty()).isTrue();

        Call first = calls.get(0);
        alice.send(alice.inDialog("BYE", first.invite(), first.ok(), 2));
        Request bye = gw1.takeRequest();
        assertThat(bye.getMethod()).isEqualTo("BYE");
        gw1.reply(bye, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(ds.load("gw1")).isEqualTo(1);

        Call sixth = call();
        assertThat(sixth).isNotNull();
        assertThat(sixth.gw()).isSameAs(gw1);
        assertThat(ds.list().records().get(0).set().targets().get(0).dest().runtime().dlgLoad()).isEqualTo(2);
    }

    @Test
    void aFailedCallFreesItsSlotAndFailsOverToTheOtherGateway() {
        start();
        call(); // gw1: 1
        Request invite = alice.request("INVITE", "sip:+4930@gateways");
        alice.send(invite);
        alice.takeResponse();
        Request at2 = gw2.takeRequest();
        gw2.reply(at2, 503);
        gw2.takeRequest(); // ACK
        assertThat(ds.load("gw2")).isZero();
        Request at1 = gw1.takeRequest();
        assertThat(at1.getMethod()).isEqualTo("INVITE");
        assertThat(ds.load("gw1")).isEqualTo(2);
        gw1.reply(at1, 486);
        gw1.takeRequest();
        assertThat(alice.takeResponse().getStatusCode()).isIn(486, 500);
        assertThat(ds.load("gw1")).isEqualTo(1);
        assertThat(ds.load("gw2")).isZero();
    }

    @Test
    void callsThatNeverEndExpire() {
        start();
        Request invite = alice.request("INVITE", "sip:+4930@gateways");
        alice.send(invite);
        gw1.takeRequest(); // never answered: counted until the unanswered expiry
        assertThat(ds.load("gw1")).isEqualTo(1);
        kit.advance(Duration.ofMinutes(3));
        assertThat(ds.load("gw1")).as("the proxy's timers ended it (local 408) or the unanswered expiry did")
                .isZero();
        while (!alice.inboxEmpty()) {
            alice.take();
        }
        while (!gw1.inboxEmpty()) {
            Request r = gw1.takeRequest();
            if (r.getMethod().equals("CANCEL")) {
                gw1.reply(r, 200);
            }
        }
        Call answered = call();
        assertThat(ds.load(answered.gw() == gw1 ? "gw1" : "gw2")).isEqualTo(1);
        kit.advance(Duration.ofMinutes(30));
        assertThat(ds.load(answered.gw() == gw1 ? "gw1" : "gw2")).as("answered: kept until the BYE").isEqualTo(1);
        kit.advance(Duration.ofMinutes(31));
        assertThat(ds.load(answered.gw() == gw1 ? "gw1" : "gw2")).isZero();
    }
}
