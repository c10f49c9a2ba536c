package io.siprelay.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.transport.TransportType;
import io.siprelay.core.transport.memory.InMemoryNetwork;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The start-up warm-up runs every flow of its mix to the end and never touches the application's route. */
class WarmupTest {

    @Test
    void everyFlowOfTheMixCompletes() {
        Warmup.Result r = Warmup.run(SipCodec.create(), Duration.ofMillis(1000));
        assertThat(r.rounds()).isPositive();
        assertThat(r.responses()).isEqualTo(r.rounds() * Warmup.RESPONSES_PER_ROUND);
    }

    @Test
    void theApplicationRouteIsNotRunAndItsListenersOpenAfterwards() {
        AtomicInteger routed = new AtomicInteger();
        InMemoryNetwork net = new InMemoryNetwork();
        try (SipProxy proxy = SipProxy.builder().listen(net.transport(TransportType.UDP, "127.0.0.1", 5060))
                .warmup(Duration.ofMillis(200))
                .requestRoute(ctx -> {
                    routed.incrementAndGet();
                    return ctx.reply(200, "OK");
                }).build()) {
            proxy.start();
            assertThat(routed).hasValue(0);
            assertThat(proxy.stats().received()).isZero();
            assertThat(proxy.transactions().serverTransactionCount()).isZero();
        }
    }

    @Test
    void zeroMeansNone() {
        assertThat(Warmup.run(SipCodec.create(), Duration.ZERO).rounds()).isZero();
    }
}
