package io.siprelay.core.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.Route;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A browser's WebSocket connection dies in the middle of a call (real sockets): the phone's BYE toward it is answered
 * by the proxy with an error instead of hanging, nothing else breaks, and the next browser connection is served.
 */
class WebSocketConnectionLossTest {

    private SipProxy proxy;
    private WebSocketTransport ws;
    private UdpTransport udp;
    private DatagramSocket phone;
    /** Where the browser's INVITE came from: the proxy's way back to it (its connection). */
    private final AtomicReference<InetSocketAddress> browserSource = new AtomicReference<>();

    @BeforeEach
    void start() throws IOException {
        phone = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        phone.setSoTimeout(5000);
        ws = new WebSocketTransport(new InetSocketAddress("127.0.0.1", 0));
        udp = new UdpTransport(new InetSocketAddress("127.0.0.1", 0));
        Route route = ctx -> {
            if (ctx.isMethod("OPTIONS")) {
                return ctx.reply(200, "OK");
            }
            if (ctx.protocol() == TransportType.WS) {
                browserSource.set(new InetSocketAddress(ctx.sourceIp(), ctx.sourcePort()));
                ctx.setDestination("sip:127.0.0.1:" + phone.getLocalPort());
            } else {
                InetSocketAddress b = browserSource.get();
                ctx.setDestination("sip:" + b.getHostString() + ":" + b.getPort() + ";transport=ws");
            }
            return ctx.relay();
        };
        proxy = SipProxy.builder().listen(udp).listen(ws).requestRoute(route).build().start();
    }

    @AfterEach
    void stop() {
        proxy.close();
        phone.close();
    }

    private static final class Inbox implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            messages.add(data.toString());
            webSocket.request(1);
            return null;
        }
    }

    private WebSocket browser(Inbox inbox) throws Exception {
        return HttpClient.newHttpClient().newWebSocketBuilder().subprotocols("sip")
                .connectTimeout(Duration.ofSeconds(5))
                .buildAsync(URI.create("ws://127.0.0.1:" + ws.localAddress().getPort() + "/"), inbox)
                .get(5, TimeUnit.SECONDS);
    }

    private String receiveAtPhone() throws IOException {
        DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
        phone.receive(p);
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
    }

    private void sendFromPhone(String message) throws IOException {
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        phone.send(new DatagramPacket(b, b.length, udp.localAddress()));
    }

    @Test
    void theByeTowardADeadConnectionIsAnsweredAndTheProxyGoesOn() throws Exception {
        Inbox inbox = new Inbox();
        WebSocket socket = browser(inbox);
        socket.sendText("INVITE sip:phone@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS b.invalid;branch=z9hG4bKinv1\r\n"
                + "Max-Forwards: 70\r\nFrom: <sip:browser@example.com>;tag=br1\r\nTo: <sip:phone@127.0.0.1>\r\n"
                + "Call-ID: loss1@test\r\nCSeq: 1 INVITE\r\nContact: <sip:br@b.invalid;transport=ws>\r\n"
                + "Content-Length: 0\r\n\r\n", true).get(5, TimeUnit.SECONDS);
        assertThat(inbox.messages.poll(5, TimeUnit.SECONDS)).startsWith("SIP/2.0 100");
        String invite = receiveAtPhone();
        assertThat(invite).startsWith("INVITE ");
        assertThat(ws.connectionCount()).isEqualTo(1);

        socket.abort(); // the browser tab is closed: the TCP connection goes away without a close frame
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (ws.connectionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(ws.connectionCount()).as("the proxy noticed the connection is gone").isZero();

        sendFromPhone("BYE sip:br@b.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:"
                + phone.getLocalPort() + ";branch=z9hG4bKbye1;rport\r\nMax-Forwards: 70\r\n"
                + "From: <sip:phone@127.0.0.1>;tag=ph1\r\nTo: <sip:browser@example.com>;tag=br1\r\n"
                + "Call-ID: loss1@test\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n");
        String answer = receiveAtPhone();
        while (answer.startsWith("INVITE ")) { // the INVITE's retransmissions, unanswered by this test's phone
            answer = receiveAtPhone();
        }
        assertThat(answer).as("an error for the BYE, not silence").startsWith("SIP/2.0 5");

        Inbox next = new Inbox();
        WebSocket again = browser(next);
        again.sendText("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WS c.invalid;branch=z9hG4bKopt2\r\n"
                + "Max-Forwards: 70\r\nFrom: <sip:browser@example.com>;tag=br2\r\nTo: <sip:127.0.0.1>\r\n"
                + "Call-ID: loss2@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", true).get(5, TimeUnit.SECONDS);
        assertThat(next.messages.poll(5, TimeUnit.SECONDS)).startsWith("SIP/2.0 200 OK");
    }
}
