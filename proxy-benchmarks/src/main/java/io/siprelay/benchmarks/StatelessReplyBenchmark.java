package io.siprelay.benchmarks;

import io.siprelay.core.SipProxy;
import io.siprelay.core.concurrent.InlineExecutor;
import io.siprelay.core.transport.InboundHandler;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportType;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One OPTIONS through the whole pipeline to a stateless 200: lane hand-off skipped (inline executor), everything
 * else as in production (Call-ID scan, parse and validation, transaction lookup, route, reply built, encoded, sent).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StatelessReplyBenchmark {

    private CapturingTransport transport;
    private SipProxy proxy;
    private final InetSocketAddress source = new InetSocketAddress("127.0.0.1", 5180);

    @Setup(Level.Trial)
    public void setUp() {
        transport = new CapturingTransport();
        proxy = SipProxy.builder()
                .listen(transport)
                .executor(new InlineExecutor())
                .requestRoute(ctx -> ctx.reply(200, "OK"))
                .build()
                .start();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        proxy.close();
    }

    @Benchmark
    public byte[] optionsTo200() {
        transport.handler.onMessage(transport, source, Messages.OPTIONS);
        byte[] reply = transport.last;
        if (reply == null) {
            throw new IllegalStateException("no reply");
        }
        transport.last = null;
        return reply;
    }

    /** A transport whose "network" is a field: the benchmark measures the proxy, not the kernel. */
    static final class CapturingTransport implements Transport {
        InboundHandler handler;
        byte[] last;

        @Override
        public TransportType type() {
            return TransportType.UDP;
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress("127.0.0.1", 5060);
        }

        @Override
        public void start(InboundHandler handler) {
            this.handler = handler;
        }

        @Override
        public void send(InetSocketAddress destination, byte[] message) {
            last = message;
        }

        @Override
        public void close() {
        }
    }
}
