package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.FailureRoute;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.route.Target;
import io.siprelay.core.route.TxKey;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sip.header.ProxyAuthenticateHeader;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Parallel and serial forking, 6xx, best-response selection, failure routes with serial failover. */
class ForkingTest {

    private final SipTestKit kit = SipTestKit.create();
    private SipProxy proxy;
    private Peer alice;
    private final Peer[] phones = new Peer[3];

    @AfterEach
    void close() {
        kit.close();
    }

    private void start(Route route) {
        proxy = kit.proxy(b -> b.requestRoute(route));
        alice = kit.peer("127.0.0.2", 5060);
        for (int i = 0; i < 3; i++) {
            phones[i] = kit.peer("127.0.0.1" + (i + 1), 5060);
        }
    }

    /** Route: the Request-URI goes to phone 0, phones 1 and 2 are appended with the given q-values. */
    private static Route forkTo(float q1, float q2, FailureRoute onFailure) {
        return ctx -> {
            ctx.setRequestUri("sip:bob@127.0.0.11:5060");
            ctx.appendBranch(new Target("sip:bob@127.0.0.12:5060", null, q1));
            ctx.appendBranch(new Target("sip:bob@127.0.0.13:5060", null, q2));
            if (onFailure != null) {
                ctx.onFailure(onFailure);
            }
            return ctx.relay();
        };
    }

    private Request invite() {
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        return invite;
    }

    @Test
    void parallelForkOneAnswersOthersAreCancelled() {
        start(forkTo(1.0f, 1.0f, null));
        invite();
        Request[] at = new Request[3];
        for (int i = 0; i < 3; i++) {
            at[i] = phones[i].takeRequest();
            assertThat(at[i].getMethod()).isEqualTo("INVITE");
            phones[i].reply(at[i], 180);
        }
        for (int i = 0; i < 3; i++) {
            assertThat(alice.takeResponse().getStatusCode()).isEqualTo(180);
        }
        phones[1].reply(at[1], 200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        for (int i : new int[] {0, 2}) {
            Request cancel = phones[i].takeRequest();
            assertThat(cancel.getMethod()).isEqualTo("CANCEL");
            phones[i].reply(cancel, 200);
            phones[i].reply(at[i], 487);
            assertThat(phones[i].takeRequest().getMethod()).as("487 is ACKed by the proxy").isEqualTo("ACK");
        }
        assertThat(alice.inboxEmpty()).as("the 487s stay at the proxy").isTrue();
        assertThat(phones[1].inboxEmpty()).isTrue();
        kit.advance(Duration.ofSeconds(33));
        assertThat(proxy.activeRelays()).isZero();
    }

    @Test
    void sixHundredCancelsTheOtherBranchesAndWins() {
        start(forkTo(1.0f, 1.0f, null));
        invite();
        Request[] at = new Request[3];
        for (int i = 0; i < 3; i++) {
            at[i] = phones[i].takeRequest();
            phones[i].reply(at[i], 180);
            alice.takeResponse();
        }
        phones[0].reply(at[0], 603);
        assertThat(phones[0].takeRequest().getMethod()).isEqualTo("ACK");
        for (int i : new int[] {1, 2}) {
            Request cancel = phones[i].takeRequest();
            assertThat(cancel.getMethod()).isEqualTo("CANCEL");
            phones[i].reply(cancel, 200);
            phones[i].reply(at[i], 487);
        }
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(603);
    }

    @Test
    void lowerQIsTriedOnlyAfterHigherQFailed() {
        start(forkTo(0.5f, 0.1f, null));
        invite();
        Request first = phones[0].takeRequest();
        assertThat(phones[1].inboxEmpty()).isTrue();
        phones[0].reply(first, 486);
        phones[0].takeRequest(); // ACK
        Request second = phones[1].takeRequest();
        assertThat(phones[2].inboxEmpty()).isTrue();
        phones[1].reply(second, 480);
        phones[1].takeRequest(); // ACK
        Request third = phones[2].takeRequest();
        phones[2].reply(third, 200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
    }

    @Test
    void bestResponseIsTheLowestClassAndChallengesAreMerged() throws Exception {
        start(forkTo(1.0f, 1.0f, null));
        invite();
        Request[] at = new Request[3];
        for (int i = 0; i < 3; i++) {
            at[i] = phones[i].takeRequest();
        }
        phones[0].reply(at[0], 503);
        for (int i : new int[] {1, 2}) {
            Response challenge = phones[i].response(at[i], 407);
            challenge.addHeader(kit.codec().headerFactory().createHeader("Proxy-Authenticate",
                    "Digest realm=\"realm" + i + "\", nonce=\"n" + i + "\""));
            phones[i].send(challenge);
        }
        Response best = alice.takeResponse();
        assertThat(best.getStatusCode()).isEqualTo(407);
        List<String> realms = new ArrayList<>();
        best.getHeaders(ProxyAuthenticateHeader.NAME).forEachRemaining(h -> realms.add(((ProxyAuthenticateHeader) h)
                .getRealm()));
        assertThat(realms).containsExactlyInAnyOrder("realm1", "realm2");
    }

    @Test
    void only503BecomesA500Upstream() {
        start(ctx -> {
            ctx.setDestination("sip:127.0.0.11:5060");
            return ctx.relay();
        });
        invite();
        phones[0].reply(phones[0].takeRequest(), 503);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(500);
    }

    static final TxKey<String> TRIED = TxKey.of("tried", String.class);

    /** The seed's failover: first gateway 503, the failure route relays to the second, the caller gets its 200. */
    @Test
    void serialFailoverInFailureRoute() {
        List<Integer> seen = new ArrayList<>();
        FailureRoute nextGateway = f -> {
            seen.add(f.status());
            assertThat(f.get(TRIED)).isEqualTo("gw1");
            if (f.isCanceled()) {
                return Step.next();
            }
            f.setDestination("sip:127.0.0.12:5060");
            return f.relay();
        };
        start(ctx -> {
            ctx.set(TRIED, "gw1");
            ctx.setDestination("sip:127.0.0.11:5060");
            ctx.onFailure(nextGateway);
            return ctx.relay();
        });
        invite();
        Request atGw1 = phones[0].takeRequest();
        phones[0].reply(atGw1, 503);
        phones[0].takeRequest(); // ACK
        Request atGw2 = phones[1].takeRequest();
        assertThat(atGw2.getMethod()).isEqualTo("INVITE");
        phones[1].reply(atGw2, 180);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(180);
        phones[1].reply(atGw2, 200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(seen).containsExactly(503);
        assertThat(alice.inboxEmpty()).isTrue();
    }

    @Test
    void failureRouteMayReplyItself() {
        start(ctx -> {
            ctx.setDestination("sip:127.0.0.11:5060");
            ctx.onFailure(f -> f.reply(480, "Gateways Down"));
            return ctx.relay();
        });
        invite();
        phones[0].reply(phones[0].takeRequest(), 500);
        Response r = alice.takeResponse();
        assertThat(r.getStatusCode()).isEqualTo(480);
        assertThat(r.getReasonPhrase()).isEqualTo("Gateways Down");
    }

    @Test
    void replyRouteCanDropProvisionalsAndBranchRouteEditsEachBranch() {
        start(ctx -> {
            ctx.setRequestUri("sip:bob@127.0.0.11:5060");
            ctx.appendBranch(Target.of("sip:bob@127.0.0.12:5060"));
            ctx.onReply(r -> {
                if (r.status() == 183) {
                    r.drop();
                }
            });
            ctx.onBranch(b -> b.request().setHeader(headerOrFail("X-Branch", Integer.toString(b.branch()))));
            return ctx.relay();
        });
        invite();
        Request a = phones[0].takeRequest();
        Request b = phones[1].takeRequest();
        assertThat(a.getHeader("X-Branch").toString()).contains("0");
        assertThat(b.getHeader("X-Branch").toString()).contains("1");
        phones[0].reply(a, 183);
        phones[1].reply(b, 180);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(180);
        assertThat(alice.inboxEmpty()).as("the 183 was dropped by the reply route").isTrue();
    }

    @Test
    void unresolvableTargetGets478() {
        start(ctx -> {
            ctx.setDestination("sip:no-such-host.invalid:5060");
            return ctx.relay();
        });
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(478);
    }

    private javax.sip.header.Header headerOrFail(String name, String value) {
        try {
            return kit.codec().headerFactory().createHeader(name, value);
        } catch (java.text.ParseException e) {
            throw new AssertionError(e);
        }
    }
}
