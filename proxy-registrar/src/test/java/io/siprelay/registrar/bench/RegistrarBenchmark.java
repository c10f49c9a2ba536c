package io.siprelay.registrar.bench;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.TransportType;
import io.siprelay.core.transport.memory.InMemoryNetwork;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.registrar.LookupResult;
import io.siprelay.registrar.Registrar;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.sip.address.AddressFactory;
import javax.sip.header.CSeqHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.message.Request;
import javax.sip.message.Response;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * save (a REGISTER refresh, reply with its Contact and Date built) and lookup (Request-URI and $du set) on the
 * in-memory store with 100,000 registered AoRs, one thread: operations per second per core. The request is parsed
 * once up front; only the registrar's work is measured (no transport, no transaction layer).
 *
 * <pre>
 * java -cp proxy-registrar/target/test-classes:proxy-registrar/target/classes:$(cat proxy-registrar/target/cp.txt) \
 *     io.siprelay.registrar.bench.RegistrarBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@Threads(1)
public class RegistrarBenchmark {

    private static final int AORS = 100_000;

    private Registrar registrar;
    private SipCodec codec;
    private Flow flow;
    private Request[] registers;
    private long[] cseqs;
    private Ctx[] invites;
    private String[] aors;
    private int next;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        VirtualClock clock = new VirtualClock();
        registrar = Registrar.builder().clock(clock).purgeIntervalSeconds(0).build();
        codec = SipCodec.create();
        InMemoryNetwork net = new InMemoryNetwork();
        flow = new Flow(net.transport(TransportType.UDP, "127.0.0.1", 5060),
                new InetSocketAddress("127.0.0.2", 5060));
        registers = new Request[AORS];
        cseqs = new long[AORS];
        invites = new Ctx[AORS];
        aors = new String[AORS];
        for (int i = 0; i < AORS; i++) {
            String user = "user" + i;
            String ip = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
            registers[i] = parse("REGISTER sip:example.com SIP/2.0\r\n"
                    + "Via: SIP/2.0/UDP " + ip + ":5060;branch=z9hG4bK" + i + ";rport\r\n"
                    + "Max-Forwards: 70\r\nFrom: <sip:" + user + "@example.com>;tag=" + i + "\r\n"
                    + "To: <sip:" + user + "@example.com>\r\nCall-ID: reg" + i + "@" + ip + "\r\n"
                    + "CSeq: 1 REGISTER\r\nContact: <sip:" + user + "@" + ip + ":5060>;expires=3600\r\n"
                    + "User-Agent: Linphone/5.2.0\r\nContent-Length: 0\r\n\r\n");
            cseqs[i] = 1;
            new Ctx(registers[i]).save();
            invites[i] = new Ctx(parse("INVITE sip:" + user + "@example.com SIP/2.0\r\n"
                    + "Via: SIP/2.0/UDP 127.0.0.9:5060;branch=z9hG4bKinv" + i + "\r\n"
                    + "Max-Forwards: 70\r\nFrom: <sip:caller@example.com>;tag=c" + i + "\r\n"
                    + "To: <sip:" + user + "@example.com>\r\nCall-ID: inv" + i + "@127.0.0.9\r\n"
                    + "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"));
            aors[i] = user + "@example.com";
        }
    }

    private Request parse(String text) throws Exception {
        return codec.parse(text.getBytes(StandardCharsets.UTF_8)).request();
    }

    @Benchmark
    public Object save() throws Exception {
        int i = next++ % AORS;
        Request r = registers[i];
        ((CSeqHeader) r.getHeader(CSeqHeader.NAME)).setSeqNumber(++cseqs[i]);
        Ctx ctx = new Ctx(r);
        return ctx.save();
    }

    @Benchmark
    public LookupResult lookup() {
        int i = next++ % AORS;
        return registrar.lookup(invites[i], aors[i]);
    }

    public static void main(String[] args) throws Exception {
        new Runner(new OptionsBuilder().include(RegistrarBenchmark.class.getSimpleName()).build()).run();
    }

    /** A request context without a proxy behind it: replies are built (headers and all) and dropped. */
    private final class Ctx extends RequestContext {
        private Response last;

        Ctx(Request request) {
            super(request, flow);
        }

        Object save() {
            registrar.save(this);
            return last;
        }

        @Override
        protected void doReply(int status, String reason, Consumer<Response> customizer) {
            try {
                Response r = codec.messageFactory().createResponse(status, request());
                customizer.accept(r);
                last = r;
            } catch (java.text.ParseException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected void doForward() {
        }

        @Override
        protected void doRelay() {
        }

        @Override
        protected boolean doLooseRoute() {
            return false;
        }

        @Override
        public HeaderFactory headerFactory() {
            return codec.headerFactory();
        }

        @Override
        public AddressFactory addressFactory() {
            return codec.addressFactory();
        }
    }
}
