package io.siprelay.core.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.route.Route;
import io.siprelay.core.route.Step;
import io.siprelay.core.transport.TcpTransport;
import io.siprelay.core.transport.UdpTransport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kamailio 101 part 3 over real sockets on 127.0.0.1: the same route as on the in-memory network, a plain Java
 * socket client, and the exact reply headers.
 */
@Timeout(20)
class Kamailio101LoopbackTest {

    /** route[INVITE] { sl_reply("480", "Temporarily Unavailable"); exit; } */
    static final Route INVITE = Route.named("INVITE", ctx -> ctx.reply(480, "Temporarily Unavailable"));

    /** request_route { if (is_method("INVITE")) route(INVITE); sl_reply("501", "Not Implemented"); } */
    static final Route REQUEST = Route.named("request_route", ctx -> {
        if (ctx.isMethod("INVITE")) {
            Step s = ctx.route(INVITE);
            if (s.isDone()) {
                return s;
            }
        }
        return ctx.reply(501, "Not Implemented");
    });

    private SipProxy proxy;
    private InetSocketAddress udp;
    private InetSocketAddress tcp;

    @BeforeEach
    void start() {
        UdpTransport u = new UdpTransport(new InetSocketAddress("127.0.0.1", 0));
        TcpTransport t = new TcpTransport(new InetSocketAddress("127.0.0.1", 0));
        proxy = SipProxy.builder().listen(u).listen(t).requestRoute(REQUEST).build().start();
        udp = u.localAddress();
        tcp = t.localAddress();
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    @Test
    void udpInviteGets480WithExactHeaders() throws IOException {
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(5000);
            int port = client.getLocalPort();
            byte[] req = request("INVITE", "UDP", port).getBytes(StandardCharsets.UTF_8);
            client.send(new DatagramPacket(req, req.length, udp));
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            client.receive(p);
            String reply = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            assertExactReply(reply, "SIP/2.0 480 Temporarily Unavailable", "UDP", port, "INVITE");
        }
    }

    @Test
    void udpOptionsGets501() throws IOException {
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(5000);
            int port = client.getLocalPort();
            byte[] req = request("OPTIONS", "UDP", port).getBytes(StandardCharsets.UTF_8);
            client.send(new DatagramPacket(req, req.length, udp));
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            client.receive(p);
            String reply = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            assertExactReply(reply, "SIP/2.0 501 Not Implemented", "UDP", port, "OPTIONS");
        }
    }

    @Test
    void tcpInviteAndOptionsOnOneConnection() throws IOException {
        try (Socket client = new Socket()) {
            client.setSoTimeout(5000);
            client.connect(tcp);
            int port = client.getLocalPort();
            client.getOutputStream().write((request("INVITE", "TCP", port) + request("OPTIONS", "TCP", port))
                    .getBytes(StandardCharsets.UTF_8));
            InputStream in = client.getInputStream();
            // two calls run on their own worker lanes: the replies may come in either order
            String first = readOne(in);
            String second = readOne(in);
            String invite = first.contains("CSeq: 1 INVITE") ? first : second;
            String options = invite == first ? second : first;
            assertExactReply(invite, "SIP/2.0 480 Temporarily Unavailable", "TCP", port, "INVITE");
            assertExactReply(options, "SIP/2.0 501 Not Implemented", "TCP", port, "OPTIONS");
        }
    }

    @Test
    void garbageDatagramDoesNotStopTheListener() throws IOException {
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(5000);
            byte[] junk = "\u0000\u0001 not SIP at all \r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            client.send(new DatagramPacket(junk, junk.length, udp));
            byte[] req = request("OPTIONS", "UDP", client.getLocalPort()).getBytes(StandardCharsets.UTF_8);
            client.send(new DatagramPacket(req, req.length, udp));
            DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
            client.receive(p);
            assertThat(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                    .startsWith("SIP/2.0 501 Not Implemented\r\n");
        }
    }

    static String request(String method, String transport, int port) {
        return method + " sip:bob@127.0.0.1 SIP/2.0\r\n"
                + "Via: SIP/2.0/" + transport + " 127.0.0.1:" + port + ";branch=z9hG4bK-" + method + "-1;rport\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: \"Alice\" <sip:alice@127.0.0.1>;tag=a73kszlfl\r\n"
                + "To: <sip:bob@127.0.0.1>\r\n"
                + "Call-ID: 1j9FpLxk3uxtm8tn@127.0.0.1-" + method + "\r\n"
                + "CSeq: 1 " + method + "\r\n"
                + "Contact: <sip:alice@127.0.0.1:" + port + ">\r\n"
                + "Content-Length: 0\r\n"
                + "\r\n";
    }

    /** Status line, then exactly Via, From, To (with our tag), Call-ID, CSeq and Content-Length, in any order. */
    static void assertExactReply(String reply, String statusLine, String transport, int port, String method) {
        assertThat(reply).endsWith("\r\n\r\n");
        List<String> lines = List.of(reply.substring(0, reply.length() - 4).split("\r\n", -1));
        assertThat(lines.get(0)).isEqualTo(statusLine);
        List<String> headers = lines.subList(1, lines.size());
        assertThat(headers).hasSize(6);
        assertThat(headers).contains(
                "Via: SIP/2.0/" + transport + " 127.0.0.1:" + port + ";branch=z9hG4bK-" + method
                        + "-1;rport=" + port + ";received=127.0.0.1",
                "From: \"Alice\" <sip:alice@127.0.0.1>;tag=a73kszlfl",
                "Call-ID: 1j9FpLxk3uxtm8tn@127.0.0.1-" + method,
                "CSeq: 1 " + method,
                "Content-Length: 0");
        assertThat(headers).anySatisfy(h -> assertThat(h).matches("To: <sip:bob@127\\.0\\.0\\.1>;tag=sr[0-9a-f]{8}-[0-9a-f]+"));
    }

    static String readOne(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after " + buf);
            }
            buf.write(b);
            String s = buf.toString(StandardCharsets.UTF_8);
            if (s.endsWith("\r\n\r\n")) {
                return s; // our replies here carry no body (Content-Length: 0)
            }
        }
    }
}
