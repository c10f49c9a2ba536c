package io.siprelay.core.blocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.blocks.FloodDetector.Verdict;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FloodDetectorTest {

    private final VirtualClock clock = new VirtualClock();

    private FloodDetector detector(int density) {
        return FloodDetector.builder(clock).samplingTime(Duration.ofSeconds(2)).density(density)
                .blockTime(Duration.ofSeconds(10)).maxSources(1_000).build();
    }

    @Test
    void allowsDensityPerWindowThenBlocks() {
        FloodDetector f = detector(5);
        for (int i = 0; i < 5; i++) {
            assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.OK);
        }
        assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.NEWLY_BLOCKED);
        assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.BLOCKED);
        assertThat(f.isFlooding("10.0.0.1")).isTrue();
        assertThat(f.isFlooding("10.0.0.2")).isFalse();
        assertThat(f.check("10.0.0.2")).isEqualTo(Verdict.OK);
        assertThat(f.blocksStarted()).isEqualTo(1);
        assertThat(f.blockedSources()).containsExactly("10.0.0.1");
    }

    @Test
    void newWindowStartsAfterSamplingTime() {
        FloodDetector f = detector(5);
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < 5; i++) {
                assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.OK);
            }
            clock.advance(Duration.ofSeconds(2));
        }
        assertThat(f.blocksStarted()).isZero();
    }

    @Test
    void blockedForTheBlockTimeThenAllowedAgain() {
        FloodDetector f = detector(2);
        f.check("10.0.0.1");
        f.check("10.0.0.1");
        assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.NEWLY_BLOCKED);
        clock.advance(Duration.ofMillis(9_999));
        assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.BLOCKED);
        assertThat(f.isFlooding("10.0.0.1")).isTrue();
        clock.advance(Duration.ofMillis(1));
        assertThat(f.isFlooding("10.0.0.1")).isFalse();
        assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.OK);
        assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.OK);
        assertThat(f.check("10.0.0.1")).isEqualTo(Verdict.NEWLY_BLOCKED);
    }

    @Test
    void trustedAddressesAreNeverBlocked() {
        FloodDetector f = FloodDetector.builder(clock).density(1).trust("10.0.0.9", "[::1]").build();
        for (int i = 0; i < 100; i++) {
            assertThat(f.check("10.0.0.9")).isEqualTo(Verdict.OK);
            assertThat(f.check("0:0:0:0:0:0:0:1")).isEqualTo(Verdict.OK);
        }
        assertThat(f.trackedSources()).isZero();
    }

    @Test
    void memoryStaysBoundedUnderASprayOfAddresses() throws Exception {
        FloodDetector f = detector(3);
        InetAddress flooder = InetAddress.getByName("192.0.2.1");
        for (int i = 0; i < 4; i++) {
            f.check(flooder);
        }
        assertThat(f.isFlooding(flooder)).isTrue();
        byte[] b = new byte[4];
        b[0] = 10;
        for (int i = 0; i < 100_000; i++) {
            b[1] = (byte) (i >> 16);
            b[2] = (byte) (i >> 8);
            b[3] = (byte) i;
            assertThat(f.check(InetAddress.getByAddress(b))).isEqualTo(Verdict.OK);
            if (i % 100 == 0) {
                assertThat(f.check(flooder)).isEqualTo(Verdict.BLOCKED); // kept recently seen, so never evicted
            }
            assertThat(f.trackedSources()).isLessThanOrEqualTo(1_000);
        }
        assertThat(f.trackedSources()).isLessThanOrEqualTo(f.maxSources());
        assertThat(f.isFlooding(flooder)).isTrue();
    }

    @Test
    void idleEntriesAreDroppedLazily() {
        FloodDetector f = detector(3);
        for (int i = 0; i < 200; i++) {
            f.check("10.0.1." + i);
        }
        assertThat(f.trackedSources()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(11));
        for (int i = 0; i < 200; i++) {
            f.check("10.0.2." + i);
        }
        assertThat(f.trackedSources()).isLessThan(400);
    }

    @Test
    void rejectsHostNamesAndBadSettings() {
        FloodDetector f = detector(3);
        assertThatThrownBy(() -> f.check("example.com")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FloodDetector.builder(clock).density(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FloodDetector.builder(clock).maxSources(0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> FloodDetector.builder(clock).samplingTime(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Issue acceptance 6: 1,000 requests from one address in one virtual second on the in-memory network. */
    @Test
    void thousandRequestsInOneSecondFromOneAddressOnTheNetwork() {
        try (SipTestKit kit = SipTestKit.create()) {
            FloodDetector flood = FloodDetector.builder(kit.clock()).samplingTime(Duration.ofSeconds(2)).density(16)
                    .blockTime(Duration.ofSeconds(300)).maxSources(1_000).build();
            kit.proxy(b -> b.requestRoute(Route.seq(flood.dropFlooders(), ctx -> ctx.reply(200, "OK"))));
            Peer attacker = kit.peer("127.0.0.66", 5060);
            Peer alice = kit.peer("127.0.0.2", 5060);

            int answered = 0;
            for (int i = 0; i < 1_000; i++) {
                attacker.send(attacker.request("OPTIONS", "sip:127.0.0.1"));
                kit.advance(Duration.ofMillis(1));
                while (!attacker.inboxEmpty()) {
                    assertThat(attacker.takeResponse().getStatusCode()).isEqualTo(200);
                    answered++;
                }
                if (i % 100 == 0) {
                    alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
                    assertThat(alice.takeResponse().getStatusCode()).as("other addresses unaffected").isEqualTo(200);
                }
            }
            assertThat(kit.clock().millis()).isEqualTo(1_000);
            assertThat(answered).isEqualTo(16);
            assertThat(flood.dropped()).isEqualTo(984);
            assertThat(flood.isFlooding("127.0.0.66")).isTrue();
            assertThat(flood.isFlooding("127.0.0.2")).isFalse();
            assertThat(flood.trackedSources()).isLessThanOrEqualTo(1_000);

            kit.advance(Duration.ofSeconds(300));
            attacker.send(attacker.request("OPTIONS", "sip:127.0.0.1"));
            assertThat(attacker.takeResponse().getStatusCode()).as("allowed again after the block time")
                    .isEqualTo(200);
        }
    }
}
