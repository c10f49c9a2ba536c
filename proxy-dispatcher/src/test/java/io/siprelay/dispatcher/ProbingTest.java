package io.siprelay.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.Step;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sip.message.Request;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Acceptance (2): OPTIONS probing on the virtual clock, thresholds, states, events, traffic avoiding a dead node. */
class ProbingTest {

    private final SipTestKit kit = SipTestKit.create();
    private Dispatcher ds;
    private Peer gw1;
    private Peer gw2;
    private final List<DispatcherEvent> events = new ArrayList<>();

    @AfterEach
    void close() {
        if (ds != null) {
            ds.close();
        }
        kit.close();
    }

    private void start(int probingMode, String gw1Flags) {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> Step.next()));
        ds = Dispatcher.builder()
                .source(DispatcherSource.of(DispatcherEntry.of(1, "sip:127.0.0.11:5060", Integer.parseInt(gw1Flags),
                        10, ""), DispatcherEntry.of(1, "sip:127.0.0.12:5060", 0, 5, "")))
                .proxy(proxy)
                .pingInterval(Duration.ofSeconds(10)).probeTimeout(Duration.ofSeconds(1))
                .probingThreshold(2).inactiveThreshold(2).probingMode(probingMode)
                .onEvent(events::add)
                .build();
        gw1 = kit.peer("127.0.0.11", 5060);
        gw2 = kit.peer("127.0.0.12", 5060);
        ds.start();
    }

    /** Handles what a gateway received: answers probes with 200 when {@code alive}, else ignores them. */
    private static int probes(Peer gw, boolean alive) {
        int n = 0;
        while (!gw.inboxEmpty()) {
            Request r = gw.takeRequest();
            assertThat(r.getMethod()).isEqualTo("OPTIONS");
            assertThat(r.getHeader("From").toString()).contains("sip:dispatcher@localhost");
            if (alive) {
                gw.reply(r, 200);
            }
            n++;
        }
        return n;
    }

    /** One probe round: fire the ping timer, answer, let the probe timeout pass. */
    private void round(boolean gw1Alive) {
        kit.advance(Duration.ZERO);
        probes(gw1, gw1Alive);
        probes(gw2, true);
        kit.advance(Duration.ofMillis(1500));
        probes(gw1, gw1Alive); // retransmissions of the silent probe
        kit.advance(Duration.ofMillis(8500));
    }

    private String state(String uri) {
        return ds.destination(1, uri).state();
    }

    private String pick() {
        return ds.candidates(1, Algorithm.PRIORITY, null).get(0).uri();
    }

    @Test
    void deadGatewayGoesTrxThenIpAndComesBackAfterTheInactiveThreshold() {
        start(1, "0");
        String g1 = "sip:127.0.0.11:5060";
        assertThat(state(g1)).isEqualTo("AX");
        round(true);
        assertThat(state(g1)).isEqualTo("AX");
        assertThat(ds.destination(1, g1).latency().count()).isEqualTo(1);

        round(false);
        assertThat(state(g1)).as("one failure, threshold 2: trying, still selected").isEqualTo("TX");
        assertThat(pick()).isEqualTo(g1);
        round(false);
        assertThat(state(g1)).isEqualTo("IP");
        assertThat(pick()).as("traffic avoids the dead gateway").isEqualTo("sip:127.0.0.12:5060");
        assertThat(events).extracting(DispatcherEvent::type, DispatcherEvent::newState)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(DispatcherEvent.Type.DOWN, "IP"));
        assertThat(ds.destination(1, g1).latency().timeout()).isEqualTo(2);

        round(true);
        assertThat(state(g1)).as("one success of two").isEqualTo("IP");
        round(true);
        assertThat(state(g1)).isEqualTo("AP");
        assertThat(pick()).isEqualTo(g1);
        assertThat(events).hasSize(2);
        assertThat(events.get(1).type()).isEqualTo(DispatcherEvent.Type.UP);
        assertThat(state("sip:127.0.0.12:5060")).isEqualTo("AX");
    }

    @Test
    void deadNodeIsSeenWithinPingIntervalTimesThresholdNotAfterTimerF() {
        start(1, "0");
        round(true);
        long t0 = kit.clock().millis();
        // gateway dies now; the next rounds run at +0 s (relative to the round boundary) and +10 s
        round(false);
        round(false);
        assertThat(state("sip:127.0.0.11:5060")).isEqualTo("IP");
        long down = events.get(0).type() == DispatcherEvent.Type.DOWN ? kit.clock().millis() - t0 : -1;
        assertThat(down).isLessThanOrEqualTo(2 * 10_000);
    }

    @Test
    void disabledIsNeverSelectedNorProbedNorChangedByProbes() {
        start(1, "0");
        ds.setState("d", 1, "sip:127.0.0.11:5060");
        assertThat(state("sip:127.0.0.11:5060")).isEqualTo("DX");
        for (int i = 0; i < 3; i++) {
            kit.advance(Duration.ZERO);
            assertThat(probes(gw1, true)).isZero();
            probes(gw2, true);
            kit.advance(Duration.ofSeconds(10));
        }
        assertThat(state("sip:127.0.0.11:5060")).isEqualTo("DX");
        for (int i = 0; i < 1000; i++) {
            assertThat(ds.candidates(1, Algorithm.ROUND_ROBIN, null)).extracting(Destination::uri)
                    .containsExactly("sip:127.0.0.12:5060");
        }
    }

    @Test
    void mode0ProbesOnlyFlaggedDestinationsAndClearsTheFlag() {
        start(0, "8");
        assertThat(state("sip:127.0.0.11:5060")).isEqualTo("AP");
        kit.advance(Duration.ZERO);
        assertThat(probes(gw1, true)).isEqualTo(1);
        assertThat(probes(gw2, true)).as("not flagged probing").isZero();
        assertThat(state("sip:127.0.0.11:5060")).isEqualTo("AX");
        kit.advance(Duration.ofSeconds(10));
        assertThat(probes(gw1, true)).isZero();
    }

    @Test
    void markTryingFromARouteCountsTowardsTheThreshold() {
        start(1, "0");
        round(true);
        ds.setState("t", 1, "sip:127.0.0.11:5060");
        assertThat(state("sip:127.0.0.11:5060")).isEqualTo("TX");
        assertThat(pick()).isEqualTo("sip:127.0.0.11:5060");
        round(true);
        assertThat(state("sip:127.0.0.11:5060")).as("a good probe clears trying").isEqualTo("AX");
    }

    @Test
    void acceptedReplyCodesCount() {
        SipProxy proxy = kit.proxy(b -> b.requestRoute(ctx -> Step.next()));
        ds = Dispatcher.builder().source(DispatcherSource.of(DispatcherEntry.of(1, "sip:127.0.0.11:5060")))
                .proxy(proxy).pingReplyCodes("code=403").probeTimeout(Duration.ofSeconds(1)).build();
        gw1 = kit.peer("127.0.0.11", 5060);
        ds.start();
        kit.advance(Duration.ZERO);
        gw1.reply(gw1.takeRequest(), 403);
        kit.advance(Duration.ofSeconds(2));
        assertThat(state("sip:127.0.0.11:5060")).isEqualTo("AX");
        kit.advance(Duration.ofSeconds(3));
        gw1.reply(gw1.takeRequest(), 404);
        kit.advance(Duration.ofSeconds(2));
        assertThat(state("sip:127.0.0.11:5060")).isEqualTo("IP");
    }
}
