package io.siprelay.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.codec.CodecFuzzTest;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import io.siprelay.core.transport.TransportType;
import io.siprelay.core.transport.memory.InMemoryTransport;
import java.net.InetSocketAddress;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * Bounded fuzzing of the whole inbound pipeline (transport → lane → codec → transactions → route → stateless reply or
 * forward): whatever arrives, nothing escapes to the transport, the route never sees an exception from the core, and
 * the proxy still answers a good request afterwards.
 */
class PipelineFuzzTest {

    private SipTestKit kit;
    private SipProxy proxy;
    /** Raw senders: replies echo the fuzzed headers, so they are not parsed here. */
    private InMemoryTransport sender;
    private InMemoryTransport tcpSender;
    private final InetSocketAddress proxyAddress = new InetSocketAddress("127.0.0.1", 5060);

    @BeforeProperty
    void start() {
        kit = SipTestKit.create();
        proxy = kit.proxy(b -> b.requestRoute(ctx -> {
            if (ctx.isMethod("OPTIONS")) {
                return ctx.reply(200, "OK");
            }
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.forward();
        }));
        sender = kit.network().transport(TransportType.UDP, "127.0.0.2", 5060);
        tcpSender = kit.network().transport(TransportType.TCP, "127.0.0.2", 5061);
        sender.start((t, src, bytes) -> { });
        tcpSender.start((t, src, bytes) -> { });
        kit.network().transport(TransportType.UDP, "127.0.0.3", 5060).start((t, src, bytes) -> { });
    }

    @AfterProperty
    void stop() {
        kit.close();
    }

    @Property(tries = 600, shrinking = ShrinkingMode.BOUNDED)
    void mutatedTortureMessages(@ForAll("mutants") byte[] data) throws Exception {
        sender.send(proxyAddress, data);
        kit.runUntilIdle();
        tcpSender.send(proxyAddress, data);
        kit.runUntilIdle();
        assertStillServing();
    }

    @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED)
    void randomBytes(@ForAll("garbage") byte[] data) throws Exception {
        sender.send(proxyAddress, data);
        kit.runUntilIdle();
        assertStillServing();
    }

    private void assertStillServing() {
        assertThat(proxy.stats().routeErrors()).isZero();
        Peer probe = kit.peer("127.0.0.9", 5060);
        drain(probe);
        probe.send(probe.request("OPTIONS", "sip:127.0.0.1"));
        assertThat(probe.takeResponse().getStatusCode()).isEqualTo(200);
        probe.close();
    }

    private static void drain(Peer p) {
        while (!p.inboxEmpty()) {
            p.take();
        }
    }

    @Provide
    Arbitrary<byte[]> mutants() {
        return CodecFuzzTest.mutantsOfCorpus();
    }

    @Provide
    Arbitrary<byte[]> garbage() {
        return Arbitraries.bytes().array(byte[].class).ofMaxSize(2_000);
    }
}
