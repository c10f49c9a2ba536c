package io.siprelay.benchmarks;

import io.siprelay.core.SipProxy;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.concurrent.InlineExecutor;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
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
 * The peer benchmark's REGISTER scenario ({@link BenchProxy#register}: {@code www_authorize}, {@code www_challenge},
 * {@code save}) through the whole core on a capturing transport, one thread, inline executor, virtual clock: one
 * operation is REGISTER → 401, then REGISTER with MD5 digest credentials → 200, for one of 1,000 users in turn (as
 * SIPp's users.csv), each with a new Call-ID. The client side (building both requests, the MD5 answer) is harness
 * work inside the operation, as SIPp's is inside the peer benchmark. Run with {@code -prof gc} for the bytes
 * allocated per registration.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RegisterBenchmark {

    static final String REALM = "bench.test";
    static final int USERS = 1000;
    static final InetSocketAddress UA = new InetSocketAddress("127.0.0.2", 5061);

    private StatefulCallBenchmark.Network net;
    private VirtualClock clock;
    private SipProxy proxy;
    private long n;
    private MessageDigest md5;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path users = Files.createTempFile("register-bench", ".csv");
        StringBuilder csv = new StringBuilder("SEQUENTIAL\n");
        for (int i = 0; i < USERS; i++) {
            csv.append("user").append(i).append(";pw").append(i).append(";\n");
        }
        Files.writeString(users, csv);
        clock = new VirtualClock();
        net = new StatefulCallBenchmark.Network();
        proxy = SipProxy.builder().listen(net).clock(clock).executor(new InlineExecutor())
                .requestRoute(BenchProxy.register(clock, REALM, users)).build().start();
        Files.delete(users);
        md5 = MessageDigest.getInstance("MD5");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        proxy.close();
    }

    @Benchmark
    public byte[] register() {
        long i = n++;
        int u = (int) (i % USERS);
        String user = "user" + u;
        String callId = "reg-" + i + "@127.0.0.2";
        net.deliver(UA, request(user, callId, i, 1, null));
        byte[] challenge = net.expect(UA, "SIP/2.0 401");
        String nonce = param(challenge, "nonce=\"");
        String ha1 = hex(user + ":" + REALM + ":pw" + u);
        String ha2 = hex("REGISTER:sip:" + REALM);
        String response = hex(ha1 + ":" + nonce + ":" + ha2);
        String auth = "Authorization: Digest username=\"" + user + "\", realm=\"" + REALM + "\", nonce=\"" + nonce
                + "\", uri=\"sip:" + REALM + "\", response=\"" + response + "\", algorithm=MD5\r\n";
        net.deliver(UA, request(user, callId, i, 2, auth));
        byte[] ok = net.expect(UA, "SIP/2.0 200");
        clock.advance(java.time.Duration.ofMillis(10)); // 100 registrations a virtual second: tables age as live
        return ok;
    }

    private static byte[] request(String user, String callId, long i, int cseq, String auth) {
        String m = "REGISTER sip:" + REALM + " SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.2:5061;branch=z9hG4bK-" + i + "-" + cseq + "\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: <sip:" + user + "@" + REALM + ">;tag=" + i + "\r\n"
                + "To: <sip:" + user + "@" + REALM + ">\r\n"
                + "Call-ID: " + callId + "\r\n"
                + "CSeq: " + cseq + " REGISTER\r\n"
                + "Contact: <sip:" + user + "@127.0.0.2:5061>\r\n"
                + (auth == null ? "" : auth)
                + "Expires: 3600\r\n"
                + "Content-Length: 0\r\n\r\n";
        return m.getBytes(StandardCharsets.US_ASCII);
    }

    private static String param(byte[] message, String prefix) {
        String s = new String(message, StandardCharsets.US_ASCII);
        int a = s.indexOf(prefix) + prefix.length();
        return s.substring(a, s.indexOf('"', a));
    }

    private String hex(String s) {
        return HexFormat.of().formatHex(md5.digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
