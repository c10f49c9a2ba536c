package io.siprelay.testkit.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.transport.TcpTransport;
import io.siprelay.core.transport.UdpTransport;
import io.siprelay.testkit.Sipp;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue acceptance: SIPp sends 1,000 OPTIONS to a proxy answering 200 statelessly, with 0 failures, over UDP and
 * over one TCP connection. Runs only in the {@code interop} profile ({@code -Pinterop} or {@code SIPRELAY_INTEROP}).
 */
@Tag("interop")
@Timeout(120)
class OptionsSippTest {

    static final int CALLS = 1000;
    static final int RATE = 500;
    static final int LIMIT = 200;

    private SipProxy proxy;
    private InetSocketAddress udp;
    private InetSocketAddress tcp;

    @BeforeEach
    void start() {
        Sipp.assumeInstalled();
        UdpTransport u = new UdpTransport(new InetSocketAddress("127.0.0.1", 0));
        TcpTransport t = new TcpTransport(new InetSocketAddress("127.0.0.1", 0));
        proxy = SipProxy.builder().listen(u).listen(t).requestRoute(ctx -> ctx.reply(200, "OK")).build().start();
        udp = u.localAddress();
        tcp = t.localAddress();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void thousandOptionsOverUdp() throws Exception {
        check("UDP", run(Sipp.Transport.UDP, udp));
    }

    @Test
    void thousandOptionsOverOneTcpConnection() throws Exception {
        Sipp.Result r = run(Sipp.Transport.TCP, tcp);
        check("TCP", r);
        assertThat(r.retransmissions()).as("SIPp does not retransmit over TCP").isZero();
    }

    private static Sipp.Result run(Sipp.Transport transport, InetSocketAddress target) throws Exception {
        return Sipp.scenario("/sipp/options.xml")
                .transport(transport)
                .target(target)
                .calls(CALLS)
                .rate(RATE)
                .limit(LIMIT)
                .globalTimeout(Duration.ofSeconds(60))
                .recvTimeout(Duration.ofMillis(5000))
                .wallClockLimit(Duration.ofSeconds(90))
                .run();
    }

    private void check(String label, Sipp.Result r) {
        System.out.println(r.summary(label) + " proxy=" + proxy.stats().snapshot());
        String why = r.diagnostics();
        assertThat(r.timedOut()).as(why).isFalse();
        assertThat(r.exitCode()).as(why).isZero();
        assertThat(r.successfulCalls()).as(why).isEqualTo(CALLS);
        assertThat(r.failedCalls()).as(why).isZero();
        assertThat(proxy.stats().statelessReplies()).as(why).isGreaterThanOrEqualTo(CALLS);
        assertThat(proxy.stats().parseErrors()).as(why).isZero();
    }
}
