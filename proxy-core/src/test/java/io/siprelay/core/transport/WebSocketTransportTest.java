package io.siprelay.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.SipProxy;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * SIP over WebSocket on real sockets: the JDK's WebSocket client (as a browser would) and raw frames written by the
 * test for the cases a well-behaved client never sends.
 */
class WebSocketTransportTest {

    private SipProxy proxy;
    private WebSocketTransport ws;
    private int port;

    @BeforeEach
    void start() {
        ws = new WebSocketTransport(new InetSocketAddress("127.0.0.1", 0),
                TransportOptions.builder().maxMessageBytes(8192).maxHeaderBytes(4096).build(), "/");
        proxy = SipProxy.builder().listen(ws)
                .requestRoute(ctx -> ctx.isMethod("OPTIONS") ? ctx.reply(200, "OK") : ctx.reply(501, "Not Implemented"))
                .build().start();
        port = ws.localAddress().getPort();
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    private static String options(String branch, boolean withContentLength) {
        return "OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK" + branch
                + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=a" + branch
                + "\r\nTo: <sip:127.0.0.1>\r\nCall-ID: " + branch + "@ws.test\r\nCSeq: 1 OPTIONS\r\n"
                + (withContentLength ? "Content-Length: 0\r\n" : "") + "\r\n";
    }

    /** A JDK WebSocket client collecting text messages. */
    private static final class Client implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        String next() throws InterruptedException {
            String m = messages.poll(5, TimeUnit.SECONDS);
            assertThat(m).as("a message within 5 s").isNotNull();
            return m;
        }
    }

    private WebSocket connect(Client client, String... protocols) throws Exception {
        WebSocket.Builder b = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
        if (protocols.length > 0) {
            b.subprotocols(protocols[0], java.util.Arrays.copyOfRange(protocols, 1, protocols.length));
        }
        return b.buildAsync(URI.create("ws://127.0.0.1:" + port + "/"), client).get(5, TimeUnit.SECONDS);
    }

    @Test
    void aBrowserLikeClientUpgradesWithSipAndGetsAnswersInFrames() throws Exception {
        Client client = new Client();
        WebSocket socket = connect(client, "sip");
        assertThat(socket.getSubprotocol()).isEqualTo("sip");
        socket.sendText(options("ws1", true), true).get(5, TimeUnit.SECONDS);
        String reply = client.next();
        assertThat(reply).startsWith("SIP/2.0 200 OK\r\n").contains("Via: SIP/2.0/WS df7jal23ls0d.invalid");
        socket.sendText(options("ws2", false), true).get(5, TimeUnit.SECONDS);
        assertThat(client.next()).as("RFC 7118: Content-Length is optional").startsWith("SIP/2.0 200 OK");
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
    }

    @Test
    void anUpgradeWithoutTheSipSubprotocolIsRefused() {
        assertThatThrownBy(() -> connect(new Client(), "chat")).isInstanceOf(ExecutionException.class);
        assertThatThrownBy(() -> connect(new Client())).isInstanceOf(ExecutionException.class);
    }

    @Test
    void plainHttpGetsA400AndTheConnectionCloses() throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 400 Bad Request").contains("not a WebSocket upgrade");
        }
    }

    @Test
    void aBadKeyAndAWrongVersionAreRefused() throws Exception {
        assertThat(handshake("Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13")).startsWith("HTTP/1.1 400");
        assertThat(handshake("Sec-WebSocket-Key: " + key() + "\r\nSec-WebSocket-Version: 8"))
                .startsWith("HTTP/1.1 426").contains("Sec-WebSocket-Version: 13");
    }

    private String handshake(String keyAndVersion) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + keyAndVersion + "\r\nSec-WebSocket-Protocol: sip\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    private static String key() {
        return Base64.getEncoder().encodeToString("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    }

    // ------------------------------------------------------------------------------------------ raw frames

    /** A raw client: upgrades, then writes frames the test builds. */
    private final class Raw implements AutoCloseable {
        final Socket socket = new Socket("127.0.0.1", port);
        final OutputStream out = socket.getOutputStream();
        final DataInputStream in = new DataInputStream(socket.getInputStream());

        Raw() throws IOException {
            socket.setSoTimeout(5000);
            String k = key();
            out.write(("GET /sip HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade"
                    + "\r\nSec-WebSocket-Key: " + k + "\r\nSec-WebSocket-Version: 13\r\n"
                    + "Sec-WebSocket-Protocol: foo, sip\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                head.write(in.readUnsignedByte());
            }
            String h = head.toString(StandardCharsets.US_ASCII);
            assertThat(h).startsWith("HTTP/1.1 101").contains("Sec-WebSocket-Protocol: sip")
                    .contains("Sec-WebSocket-Accept: " + WebSocketCodec.acceptFor(k));
        }

        void frame(boolean fin, int opcode, byte[] payload, boolean mask) throws IOException {
            ByteArrayOutputStream f = new ByteArrayOutputStream();
            f.write((fin ? 0x80 : 0) | opcode);
            int n = payload.length;
            int m = mask ? 0x80 : 0;
            if (n < 126) {
                f.write(m | n);
            } else if (n < 65536) {
                f.write(m | 126);
                f.write(n >> 8);
                f.write(n);
            } else {
                f.write(m | 127);
                for (int i = 7; i >= 0; i--) {
                    f.write((int) ((long) n >> (8 * i)));
                }
            }
            byte[] key = {0x11, 0x22, 0x33, 0x44};
            if (mask) {
                f.write(key);
            }
            for (int i = 0; i < n; i++) {
                f.write(mask ? payload[i] ^ key[i & 3] : payload[i]);
            }
            out.write(f.toByteArray());
            out.flush();
        }

        /** The next frame from the server: opcode and payload. */
        Object[] read() throws IOException {
            int b0 = in.readUnsignedByte();
            int b1 = in.readUnsignedByte();
            assertThat(b1 & 0x80).as("server frames are not masked").isZero();
            long n = b1 & 0x7f;
            if (n == 126) {
                n = in.readUnsignedShort();
            } else if (n == 127) {
                n = in.readLong();
            }
            byte[] p = new byte[(int) n];
            in.readFully(p);
            return new Object[] {b0 & 0x0f, p};
        }

        String readText() throws IOException {
            Object[] f = read();
            assertThat(f[0]).isEqualTo(1);
            return new String((byte[]) f[1], StandardCharsets.UTF_8);
        }

        int closeCode() throws IOException {
            Object[] f = read();
            assertThat(f[0]).as("a close frame").isEqualTo(8);
            byte[] p = (byte[]) f[1];
            return ((p[0] & 0xff) << 8) | (p[1] & 0xff);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void fragmentsAreJoinedPingIsAnsweredAndCloseIsEchoed() throws Exception {
        try (Raw raw = new Raw()) {
            byte[] m = options("frag", true).getBytes(StandardCharsets.UTF_8);
            raw.frame(false, 1, java.util.Arrays.copyOfRange(m, 0, 40), true);
            raw.frame(true, 9, "are you there".getBytes(StandardCharsets.US_ASCII), true); // ping between fragments
            raw.frame(false, 0, java.util.Arrays.copyOfRange(m, 40, 100), true);
            raw.frame(true, 0, java.util.Arrays.copyOfRange(m, 100, m.length), true);
            Object[] pong = raw.read();
            assertThat(pong[0]).isEqualTo(10);
            assertThat(new String((byte[]) pong[1], StandardCharsets.US_ASCII)).isEqualTo("are you there");
            assertThat(raw.readText()).startsWith("SIP/2.0 200 OK");
            raw.frame(true, 2, options("binary", true).getBytes(StandardCharsets.UTF_8), true);
            assertThat(raw.readText()).as("a binary frame is a SIP message too").startsWith("SIP/2.0 200 OK");
            raw.frame(true, 8, new byte[] {0x03, (byte) 0xe8}, true);
            assertThat(raw.closeCode()).isEqualTo(1000);
        }
    }

    @Test
    void anUnmaskedClientFrameClosesWith1002() throws Exception {
        try (Raw raw = new Raw()) {
            raw.frame(true, 1, options("unmasked", true).getBytes(StandardCharsets.UTF_8), false);
            assertThat(raw.closeCode()).isEqualTo(1002);
        }
    }

    @Test
    void aMessageOverTheLimitClosesWith1009AndOtherConnectionsGoOn() throws Exception {
        Client other = new Client();
        WebSocket socket = connect(other, "sip");
        try (Raw raw = new Raw()) {
            raw.frame(true, 1, new byte[9000], true);
            assertThat(raw.closeCode()).isEqualTo(1009);
        }
        socket.sendText(options("still", true), true).get(5, TimeUnit.SECONDS);
        assertThat(other.next()).startsWith("SIP/2.0 200 OK");
    }

    @Test
    void manyConnectionsEachGetTheirOwnAnswers() throws Exception {
        List<Client> clients = new ArrayList<>();
        List<WebSocket> sockets = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Client c = new Client();
            clients.add(c);
            sockets.add(connect(c, "sip"));
        }
        for (int i = 0; i < 40; i++) {
            sockets.get(i).sendText(options("many" + i, true), true);
        }
        for (int i = 0; i < 40; i++) {
            assertThat(clients.get(i).next()).contains("Call-ID: many" + i + "@ws.test");
        }
        assertThat(ws.connectionCount()).isGreaterThanOrEqualTo(40);
    }

    @Test
    void sendingToAnAddressWithoutAConnectionFailsAtOnce() {
        assertThatThrownBy(() -> ws.send(new InetSocketAddress("127.0.0.1", 9), "x".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(IOException.class).hasMessageContaining("only over the connection it opened");
    }
}
