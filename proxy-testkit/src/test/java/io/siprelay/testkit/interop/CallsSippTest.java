package io.siprelay.testkit.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.TestCertificates;
import io.siprelay.core.transport.TcpTransport;
import io.siprelay.core.transport.TlsSettings;
import io.siprelay.core.transport.TlsTransport;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.UdpTransport;
import io.siprelay.testkit.Sipp;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Basic calls through the stateful relay: SIPp caller ({@code uac_rr.xml}) → record-routing proxy → SIPp callee
 * ({@code uas_rr.xml}), INVITE/100/180/200, ACK and BYE/200 along the route set. 2,000 calls at 200 calls/s with at
 * most 200 at a time; both SIPp instances must end with every call successful and the proxy with no relay left.
 * Runs only in the {@code interop} profile ({@code -Pinterop} or {@code SIPRELAY_INTEROP}).
 */
@Tag("interop")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class CallsSippTest {

    /** Overridable for load runs: {@code -Dsiprelay.calls=10000 -Dsiprelay.calls.rate=1000 -Dsiprelay.calls.limit=500}. */
    static final int CALLS = Integer.getInteger("siprelay.calls", 2000);
    static final int RATE = Integer.getInteger("siprelay.calls.rate", 200);
    static final int LIMIT = Integer.getInteger("siprelay.calls.limit", 200);
    /**
     * With {@code -Dsiprelay.calls.drain=true} the test also waits (up to 40 s: Timer L/M are 32 s) for the proxy's
     * transaction tables to empty. Off by default: it adds half a minute per transport.
     */
    static final boolean DRAIN_TRANSACTIONS = Boolean.getBoolean("siprelay.calls.drain");
    /**
     * {@code -buff_size} for both SIPp instances: under load on a busy machine SIPp's UDP receive buffer overflows and
     * ACKs (never retransmitted) are lost, which the callee then reports as an unexpected BYE. 4 MB (the usual
     * {@code net.core.rmem_max}); the kernel caps it silently.
     */
    static final String SIPP_BUFFER = System.getProperty("siprelay.calls.buffer", "4194304");
    /** Longer than the last call's life: 2,000 calls at 200/s take 10 s; the callee lingers 2 s after each BYE. */
    static final Duration SIPP_TIMEOUT = Duration.ofSeconds(Math.max(60, 3L * CALLS / RATE + 30));
    /** Server INVITE transactions end at once or after Timer L (32 s) at the latest: relays must be gone by then. */
    static final Duration RELAYS_DRAIN = Duration.ofSeconds(40);

    @TempDir
    Path tmp;

    private SipProxy proxy;

    @BeforeEach
    void requireSipp() {
        Sipp.assumeInstalled();
    }

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void twoThousandCallsOverUdp() throws Exception {
        UdpTransport udp = new UdpTransport(new InetSocketAddress("127.0.0.1", 0));
        TcpTransport tcp = new TcpTransport(new InetSocketAddress("127.0.0.1", 0));
        int uasPort = Sipp.freeLocalPort();
        proxy = SipProxy.builder().listen(udp).listen(tcp).requestRoute(relayTo("sip:127.0.0.1:" + uasPort)).build()
                .start();
        calls("UDP", Sipp.Transport.UDP, udp, uasPort);
    }

    @Test
    void twoThousandCallsOverTcp() throws Exception {
        UdpTransport udp = new UdpTransport(new InetSocketAddress("127.0.0.1", 0));
        TcpTransport tcp = new TcpTransport(new InetSocketAddress("127.0.0.1", 0));
        int uasPort = Sipp.freeLocalPort();
        proxy = SipProxy.builder().listen(udp).listen(tcp)
                .requestRoute(relayTo("sip:127.0.0.1:" + uasPort + ";transport=tcp")).build().start();
        Calls c = calls("TCP", Sipp.Transport.TCP, tcp, uasPort);
        assertThat(c.uac.retransmissions()).as("SIPp does not retransmit over TCP").isZero();
        assertThat(c.uas.retransmissions()).as("SIPp does not retransmit over TCP").isZero();
    }

    /**
     * Both legs over TLS. Skipped (with the reason) when this SIPp is built without OpenSSL, as Debian's
     * sip-tester 3.6.1 is.
     */
    @Test
    void twoThousandCallsOverTls() throws Exception {
        Optional<String> noTls = Sipp.tlsUnsupportedReason();
        Assumptions.assumeTrue(noTls.isEmpty(), () -> "TLS variant skipped: " + noTls.orElse(""));

        char[] password = TestCertificates.PASSWORD;
        Path p12 = TestCertificates.selfSigned(tmp);
        // SIPp wants PEM: the same key and certificate (it does not verify the proxy's certificate)
        Path cert = tmp.resolve("cacert.pem");
        Path key = tmp.resolve("cakey.pem");
        exec("openssl", "pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(password), "-nokeys",
                "-out", cert.toString());
        exec("openssl", "pkcs12", "-in", p12.toString(), "-passin", "pass:" + new String(password), "-nocerts",
                "-nodes", "-out", key.toString());

        TlsSettings settings = TlsSettings.fromKeyStore(p12, password)
                .trustStore(TlsSettings.load(p12, password))
                .build();
        TlsTransport tls = new TlsTransport(new InetSocketAddress("127.0.0.1", 0), settings);
        int uasPort = Sipp.freeLocalPort();
        proxy = SipProxy.builder().listen(tls)
                .requestRoute(relayTo("sip:127.0.0.1:" + uasPort + ";transport=tls")).build().start();
        calls("TLS", Sipp.Transport.TLS, tls, uasPort, "-tls_cert", cert.toString(), "-tls_key", key.toString());
    }

    /** The route of the issue: in-dialog requests follow Route, new ones are record-routed to the callee. */
    static Route relayTo(String callee) {
        return Route.named("request_route", ctx -> {
            if (ctx.hasToTag()) {
                if (ctx.looseRoute()) {
                    return ctx.relay();
                }
                return ctx.isMethod("ACK") ? ctx.drop() : ctx.reply(404, "Not here");
            }
            ctx.recordRoute();
            ctx.setDestination(callee);
            return ctx.relay();
        });
    }

    record Calls(Sipp.Result uac, Sipp.Result uas) {
    }

    private Calls calls(String label, Sipp.Transport transport, Transport listener, int uasPort, String... tlsArgs)
            throws Exception {
        String[] extra = new String[tlsArgs.length + 2];
        extra[0] = "-buff_size";
        extra[1] = SIPP_BUFFER;
        System.arraycopy(tlsArgs, 0, extra, 2, tlsArgs.length);
        InetSocketAddress proxyAddress = listener.localAddress();
        Sipp.Running uas = Sipp.scenario("/sipp/uas_rr.xml")
                .transport(transport)
                .target(proxyAddress)
                .localPort(uasPort)
                .calls(CALLS)
                .limit(CALLS) // the callee holds each call 2 s after the BYE: never refuse one for the limit
                .globalTimeout(SIPP_TIMEOUT)
                .recvTimeout(Duration.ofSeconds(10))
                .wallClockLimit(SIPP_TIMEOUT.plusSeconds(15))
                .extraArgs(extra)
                .start();
        Sipp.Result uac;
        Sipp.Result uasResult;
        try {
            uas.awaitListening(Duration.ofSeconds(10));
            uac = Sipp.scenario("/sipp/uac_rr.xml")
                    .transport(transport)
                    .target(proxyAddress)
                    .calls(CALLS)
                    .rate(RATE)
                    .limit(LIMIT)
                    .globalTimeout(SIPP_TIMEOUT)
                    .recvTimeout(Duration.ofSeconds(10))
                    .wallClockLimit(SIPP_TIMEOUT.plusSeconds(15))
                    .extraArgs(extra)
                    .run();
        } finally {
            // -m bounds the callee: it ends once its 2,000th call is over (2 s timewait); else it is stopped here
            uasResult = uas.stop(Duration.ofSeconds(15));
        }
        long drained = waitForNoRelays();
        System.out.println(uac.summary(label + " UAC") + " proxy=" + proxy.stats().snapshot());
        System.out.println(uasResult.summary(label + " UAS") + " unexpected=" + uasResult.unexpectedMessages()
                + " outOfCall=" + uasResult.outOfCallMessages() + " deadCall=" + uasResult.deadCallMessages());
        System.out.println("proxy " + label + ": activeRelays=" + proxy.activeRelays() + " (0 after " + drained
                + " ms) serverTx=" + proxy.transactions().serverTransactionCount() + " clientTx="
                + proxy.transactions().clientTransactionCount());

        String why = "UAC:\n" + uac.diagnostics() + "\nUAS:\n" + uasResult.diagnostics() + "\nproxy: "
                + proxy.stats().snapshot();
        assertThat(uac.timedOut()).as(why).isFalse();
        assertThat(uac.exitCode()).as(why).isZero();
        assertThat(uac.successfulCalls()).as(why).isEqualTo(CALLS);
        assertThat(uac.failedCalls()).as(why).isZero();
        assertThat(uac.unexpectedMessages()).as(why).isZero();
        assertThat(uasResult.timedOut()).as("UAS ended by itself after -m %d calls%n%s", CALLS, why).isFalse();
        assertThat(uasResult.exitCode()).as(why).isZero();
        assertThat(uasResult.successfulCalls()).as(why).isEqualTo(CALLS);
        assertThat(uasResult.failedCalls()).as(why).isZero();
        assertThat(uasResult.unexpectedMessages()).as(why).isZero();
        assertThat(proxy.stats().parseErrors()).as(why).isZero();
        assertThat(proxy.activeRelays()).as("relays left %s ms after the last call%n%s", RELAYS_DRAIN.toMillis(), why)
                .isZero();
        if (DRAIN_TRANSACTIONS) {
            long ms = waitUntil(() -> proxy.transactions().serverTransactionCount() == 0
                    && proxy.transactions().clientTransactionCount() == 0, Duration.ofSeconds(40));
            System.out.println("proxy " + label + ": transaction tables " + (ms >= 0 ? "empty after " + ms + " ms"
                    : "NOT empty after 40 s") + " serverTx=" + proxy.transactions().serverTransactionCount()
                    + " clientTx=" + proxy.transactions().clientTransactionCount());
            assertThat(ms).as("transaction tables empty within 40 s").isNotNegative();
        }
        return new Calls(uac, uasResult);
    }

    /** Milliseconds until {@code activeRelays()} is 0, bounded by {@link #RELAYS_DRAIN}; -1 when it is not. */
    private long waitForNoRelays() throws InterruptedException {
        return waitUntil(() -> proxy.activeRelays() == 0, RELAYS_DRAIN);
    }

    /** Milliseconds until the condition holds, bounded by {@code limit}; -1 when it does not. */
    private static long waitUntil(java.util.function.BooleanSupplier condition, Duration limit)
            throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return -1;
            }
            Thread.sleep(50);
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    private static void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).as(String.join(" ", cmd)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
    }
}
