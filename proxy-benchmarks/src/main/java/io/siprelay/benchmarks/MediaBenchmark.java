package io.siprelay.benchmarks;

import io.siprelay.media.Bencode;
import io.siprelay.media.RtpEngine;
import io.siprelay.testkit.RtpEngineProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * The rtpengine ng control path: the bencode work of one offer (encode the command, decode rtpengine's reply), and a
 * real round trip to a real daemon on loopback (started here with {@link RtpEngineProcess}; needs
 * {@code /usr/bin/rtpengine}): one {@code offer} and its {@code delete}, so the daemon's 100 ports never run out.
 *
 * <pre>java -jar proxy-benchmarks/target/benchmarks.jar MediaBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MediaBenchmark {

    private static final String SDP = "v=0\r\no=- 1545997027 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
            + "t=0 0\r\nm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            + "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n";

    private RtpEngineProcess daemon;
    private RtpEngine engine;
    private byte[] reply;
    private long call;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("result", "ok");
        r.put("sdp", SDP.replace("40000", "30000") + "a=rtcp:30001\r\n");
        reply = ("cookie_1 " + new String(Bencode.encode(r), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        if (RtpEngineProcess.isInstalled()) {
            daemon = RtpEngineProcess.start(Path.of("target"));
            engine = RtpEngine.builder().instance(daemon.ngSpec()).timeout(Duration.ofSeconds(1)).retries(2).build();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (engine != null) {
            engine.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    private static Map<String, Object> offer(String callId) {
        Map<String, Object> cmd = new LinkedHashMap<>();
        cmd.put("command", "offer");
        cmd.put("call-id", callId);
        cmd.put("from-tag", "caller-tag");
        cmd.put("received-from", List.of("IP4", "127.0.0.1"));
        cmd.put("replace", List.of("origin", "session-connection"));
        cmd.put("sdp", SDP);
        return cmd;
    }

    /** Encoding one offer and decoding one reply: the client's CPU per command, without the network. */
    @Benchmark
    public Object bencodeOfferAndReply() {
        byte[] out = Bencode.encode(offer("bench-call@127.0.0.1"));
        int space = 8;
        return out.length + ((Map<?, ?>) Bencode.decode(reply, space + 1, reply.length - space - 1)).size();
    }

    /** An offer to the real daemon and the delete of that call: two ng round trips. */
    @Benchmark
    public Object offerAndDeleteRoundTrips() throws Exception {
        if (engine == null) {
            throw new IllegalStateException("rtpengine is not installed (apt-get install rtpengine-daemon)");
        }
        String callId = "bench-" + (call++) + "@127.0.0.1";
        Map<String, Object> answered = engine.send(callId, offer(callId)).get(5, TimeUnit.SECONDS);
        Map<String, Object> delete = new LinkedHashMap<>();
        delete.put("command", "delete");
        delete.put("call-id", callId);
        engine.send(callId, delete).get(5, TimeUnit.SECONDS);
        return answered;
    }
}
