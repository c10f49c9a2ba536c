package io.siprelay.benchmarks;

import io.siprelay.core.SipProxy;
import io.siprelay.core.transport.TcpTransport;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.WebSocketTransport;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One OPTIONS → 200 round trip over an open connection on loopback, plain TCP against WebSocket (RFC 7118: the
 * upgrade done once, then a masked frame each way), through a proxy that answers statelessly. Both run on the same
 * NIO stream base, so the difference is what the WebSocket framing costs per message.
 *
 * <pre>java -jar proxy-benchmarks/target/benchmarks.jar WebSocketBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WebSocketBenchmark {

    @Param({"tcp", "ws"})
    public String transport;

    private SipProxy proxy;
    private Socket socket;
    private OutputStream out;
    private DataInputStream in;
    private byte[] request;
    private final byte[] reply = new byte[4096];
    private long n;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Transport t = transport.equals("ws") ? new WebSocketTransport(new InetSocketAddress("127.0.0.1", 0))
                : new TcpTransport(new InetSocketAddress("127.0.0.1", 0));
        proxy = SipProxy.builder().listen(t).requestRoute(ctx -> ctx.reply(200, "OK"))
                .warmup(java.time.Duration.ZERO).build().start();
        socket = new Socket("127.0.0.1", t.localAddress().getPort());
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
        String sip = "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/" + transport.toUpperCase()
                + " 127.0.0.1:5099;branch=z9hG4bKbench\r\nMax-Forwards: 70\r\nFrom: <sip:b@example.com>;tag=1\r\n"
                + "To: <sip:127.0.0.1>\r\nCall-ID: bench@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        byte[] payload = sip.getBytes(StandardCharsets.US_ASCII);
        if (transport.equals("ws")) {
            upgrade();
            request = maskedFrame(payload);
        } else {
            request = payload;
        }
    }

    private void upgrade() throws IOException {
        String key = Base64.getEncoder().encodeToString("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        out.write(("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            head.write(in.readUnsignedByte());
        }
        if (!head.toString(StandardCharsets.US_ASCII).startsWith("HTTP/1.1 101")) {
            throw new IOException("upgrade refused: " + head);
        }
    }

    private static byte[] maskedFrame(byte[] payload) {
        int len = payload.length;
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x81);
        if (len < 126) {
            f.write(0x80 | len);
        } else {
            f.write(0x80 | 126);
            f.write(len >> 8);
            f.write(len);
        }
        byte[] mask = {1, 2, 3, 4};
        f.write(mask, 0, 4);
        for (int i = 0; i < len; i++) {
            f.write(payload[i] ^ mask[i & 3]);
        }
        return f.toByteArray();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        socket.close();
        proxy.close();
    }

    /** Sends one request and reads its reply (by Content-Length for TCP, one frame for WebSocket). */
    @Benchmark
    public int optionsRoundTrip() throws IOException {
        out.write(request);
        n++;
        if (transport.equals("ws")) {
            in.readUnsignedByte();
            int len = in.readUnsignedByte() & 0x7f;
            if (len == 126) {
                len = in.readUnsignedShort();
            }
            in.readFully(reply, 0, len);
            return len;
        }
        int got = 0;
        while (true) {
            reply[got++] = in.readByte();
            if (got >= 4 && reply[got - 1] == '\n' && reply[got - 2] == '\r' && reply[got - 3] == '\n'
                    && reply[got - 4] == '\r') {
                return got; // the 200 has Content-Length: 0
            }
        }
    }
}
