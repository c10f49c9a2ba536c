package io.siprelay.core.transport;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static io.siprelay.core.transport.StreamTestSupport.await;
import static io.siprelay.core.transport.StreamTestSupport.read;
import static io.siprelay.core.transport.StreamTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TcpTransportTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    record Received(InetSocketAddress source, String text) {
    }

    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private TcpTransport transport;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        if (transport != null) {
            transport.close();
        }
    }

    private static String msg(String firstLine, String body) {
        return firstLine + "\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK-" + firstLine.length()
                + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    private void start(TransportOptions options) throws IOException {
        transport = new TcpTransport(new InetSocketAddress(LOOPBACK, 0), options);
        transport.start((t, source, message) -> received.add(new Received(source, new String(message, US_ASCII))));
    }

    private void start() throws IOException {
        start(TransportOptions.defaults());
    }

    private Socket client() throws IOException {
        Socket s = new Socket(LOOPBACK, transport.localAddress().getPort());
        s.setSoTimeout(5_000);
        s.setTcpNoDelay(true);
        cleanup.add(s);
        return s;
    }

    private Received next() throws InterruptedException {
        Received r = received.poll(5, TimeUnit.SECONDS);
        assertThat(r).as("message within 5 s").isNotNull();
        return r;
    }

    /** True when the peer closed the socket (EOF or reset) before sending anything more. */
    private static boolean closedByPeer(Socket s) throws IOException {
        try {
            return s.getInputStream().read() < 0;
        } catch (SocketException reset) {
            return true;
        }
    }

    @Test
    void bindsAnEphemeralPortAndNamesItsThread() throws Exception {
        start();
        assertThat(transport.type()).isEqualTo(TransportType.TCP);
        assertThat(transport.localAddress().getPort()).isPositive();
        String name = "siprelay-tcp-" + transport.localAddress().getPort();
        assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().equals(name));
    }

    @Test
    void framesTwoMessagesInOneWriteAndOneSplitInThree() throws Exception {
        start();
        Socket c = client();
        String m1 = msg("REGISTER sip:a SIP/2.0", "");
        String m2 = msg("MESSAGE sip:b SIP/2.0", "hello");
        String m3 = msg("INVITE sip:c SIP/2.0", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
        write(c, m1 + m2);
        write(c, m3.substring(0, 10));
        Thread.sleep(30);
        write(c, m3.substring(10, m3.length() - 5));
        Thread.sleep(30);
        write(c, m3.substring(m3.length() - 5));
        Received r1 = next();
        assertThat(r1.text()).isEqualTo(m1);
        assertThat(r1.source()).isEqualTo(c.getLocalSocketAddress());
        assertThat(next().text()).isEqualTo(m2);
        assertThat(next().text()).isEqualTo(m3);
        assertThat(received.poll(100, TimeUnit.MILLISECONDS)).isNull();
        assertThat(transport.connectionCount()).isEqualTo(1);
    }

    @Test
    void replyGoesBackOnTheSameConnection() throws Exception {
        start();
        Socket c = client();
        write(c, msg("OPTIONS sip:a SIP/2.0", ""));
        Received r = next();
        String reply = msg("SIP/2.0 200 OK", "body");
        transport.send(r.source(), reply.getBytes(US_ASCII));
        assertThat(read(c, reply.length())).isEqualTo(reply);
        assertThat(transport.connectionCount()).isEqualTo(1);
    }

    @Test
    void pingGetsAPong() throws Exception {
        start();
        Socket c = client();
        write(c, "\r\n\r\n");
        assertThat(read(c, 2)).isEqualTo("\r\n");
        write(c, msg("OPTIONS sip:a SIP/2.0", "") + "\r\n\r\n");
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:a SIP/2.0", ""));
        assertThat(read(c, 2)).isEqualTo("\r\n");
        assertThat(received).isEmpty();
    }

    @Test
    void negativeContentLengthClosesTheConnection() throws Exception {
        start();
        Socket good = client();
        Socket bad = client();
        await("two connections", () -> transport.connectionCount() == 2);
        write(bad, "OPTIONS sip:a SIP/2.0\r\nContent-Length: -5\r\n\r\n");
        assertThat(closedByPeer(bad)).isTrue();
        await("one connection", () -> transport.connectionCount() == 1);
        write(good, msg("OPTIONS sip:still SIP/2.0", ""));
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:still SIP/2.0", ""));
    }

    @Test
    void missingContentLengthClosesTheConnection() throws Exception {
        start();
        Socket c = client();
        write(c, "OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n");
        assertThat(closedByPeer(c)).isTrue();
        await("no connection", () -> transport.connectionCount() == 0);
        assertThat(received).isEmpty();
    }

    @Test
    void oversizeMessageClosesTheConnection() throws Exception {
        start(TransportOptions.builder().maxHeaderBytes(512).maxMessageBytes(1024).build());
        Socket c = client();
        write(c, msg("MESSAGE sip:a SIP/2.0", "x".repeat(2000)));
        assertThat(closedByPeer(c)).isTrue();
        Socket c2 = client();
        write(c2, "MESSAGE sip:a SIP/2.0\r\n" + "X-Long: y\r\n".repeat(100));
        assertThat(closedByPeer(c2)).isTrue();
        await("no connection", () -> transport.connectionCount() == 0);
        assertThat(received).isEmpty();
    }

    @Test
    void outboundConnectionIsOpenedAndReused() throws Exception {
        start();
        try (ServerSocket peer = new ServerSocket(0, 5, LOOPBACK)) {
            InetSocketAddress dest = new InetSocketAddress(LOOPBACK, peer.getLocalPort());
            String first = msg("OPTIONS sip:first SIP/2.0", "");
            String second = msg("OPTIONS sip:second SIP/2.0", "2");
            transport.send(dest, first.getBytes(US_ASCII));
            peer.setSoTimeout(5_000);
            Socket accepted = peer.accept();
            cleanup.add(accepted);
            accepted.setSoTimeout(5_000);
            assertThat(read(accepted, first.length())).isEqualTo(first);
            transport.send(dest, second.getBytes(US_ASCII));
            assertThat(read(accepted, second.length())).isEqualTo(second);
            assertThat(transport.connectionCount()).isEqualTo(1);

            String reply = msg("SIP/2.0 200 OK", "");
            write(accepted, reply);
            Received r = next();
            assertThat(r.text()).isEqualTo(reply);
            assertThat(r.source()).isEqualTo(dest);

            peer.setSoTimeout(200);
            assertThatThrownBy(peer::accept).as("no second connection").isInstanceOf(IOException.class);
        }
    }

    @Test
    void concurrentSendsToOneDestinationShareOneConnection() throws Exception {
        start();
        try (ServerSocket peer = new ServerSocket(0, 5, LOOPBACK)) {
            InetSocketAddress dest = new InetSocketAddress(LOOPBACK, peer.getLocalPort());
            String m = msg("OPTIONS sip:x SIP/2.0", "");
            int threads = 4;
            int each = 25;
            List<Thread> senders = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Thread t = new Thread(() -> {
                    for (int j = 0; j < each; j++) {
                        try {
                            transport.send(dest, m.getBytes(US_ASCII));
                        } catch (IOException e) {
                            throw new AssertionError(e);
                        }
                    }
                });
                senders.add(t);
                t.start();
            }
            peer.setSoTimeout(5_000);
            Socket accepted = peer.accept();
            cleanup.add(accepted);
            accepted.setSoTimeout(5_000);
            assertThat(read(accepted, m.length() * threads * each)).isEqualTo(m.repeat(threads * each));
            for (Thread t : senders) {
                t.join();
            }
            assertThat(transport.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void largeWritesArriveWhole() throws Exception {
        start();
        Socket c = client();
        write(c, msg("OPTIONS sip:a SIP/2.0", ""));
        InetSocketAddress source = next().source();
        String big = msg("SIP/2.0 200 OK", "z".repeat(60_000));
        int count = 15;
        for (int i = 0; i < count; i++) {
            transport.send(source, big.getBytes(US_ASCII));
        }
        for (int i = 0; i < count; i++) {
            assertThat(read(c, big.length())).isEqualTo(big);
        }
    }

    @Test
    void slowReaderFillsTheWriteQueueThenDrainsInOrder() throws Exception {
        start(TransportOptions.builder().maxHeaderBytes(512).maxMessageBytes(1024).maxWriteQueueBytes(4096).build());
        Socket c = new Socket();
        cleanup.add(c);
        c.setReceiveBufferSize(4096);
        c.connect(transport.localAddress(), 5_000);
        c.setSoTimeout(5_000);
        write(c, msg("OPTIONS sip:a SIP/2.0", ""));
        InetSocketAddress source = next().source();
        int sent = 0;
        IOException full = null;
        while (full == null && sent < 100_000) {
            String m = msg("SIP/2.0 200 OK", String.format("%06d", sent) + "p".repeat(900));
            try {
                transport.send(source, m.getBytes(US_ASCII));
                sent++;
            } catch (IOException e) {
                full = e;
            }
        }
        assertThat(full).as("write queue limit reached").isNotNull().hasMessageContaining("full");
        for (int i = 0; i < sent; i++) {
            String m = msg("SIP/2.0 200 OK", String.format("%06d", i) + "p".repeat(900));
            assertThat(read(c, m.length())).isEqualTo(m);
        }
        assertThat(transport.connectionCount()).isEqualTo(1);
    }

    @Test
    void worksOnIpv6LoopbackWhenAvailable() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        try (ServerSocket probe = new ServerSocket(0, 1, v6)) {
            assertThat(probe.getLocalPort()).isPositive();
        } catch (IOException e) {
            return; // no IPv6 on this host
        }
        transport = new TcpTransport(new InetSocketAddress(v6, 0));
        transport.start((t, source, message) -> received.add(new Received(source, new String(message, US_ASCII))));
        Socket c = new Socket(v6, transport.localAddress().getPort());
        cleanup.add(c);
        c.setSoTimeout(5_000);
        write(c, msg("OPTIONS sip:v6 SIP/2.0", ""));
        Received r = next();
        assertThat(r.source().getAddress()).isEqualTo(v6);
        transport.send(r.source(), "\r\n".getBytes(US_ASCII));
        assertThat(read(c, 2)).isEqualTo("\r\n");
    }

    @Test
    void connectFailureIsReportedOrDropped() throws Exception {
        start();
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            closedPort = s.getLocalPort();
        }
        InetSocketAddress dest = new InetSocketAddress(LOOPBACK, closedPort);
        try {
            transport.send(dest, msg("OPTIONS sip:a SIP/2.0", "").getBytes(US_ASCII));
        } catch (IOException refusedAtOnce) {
            assertThat(transport.connectionCount()).isZero();
        }
        await("failed connection dropped", () -> transport.connectionCount() == 0);
    }

    @Test
    void maxConnectionsIsEnforced() throws Exception {
        start(TransportOptions.builder().maxConnections(2).build());
        Socket a = client();
        Socket b = client();
        await("two connections", () -> transport.connectionCount() == 2);
        Socket third = client();
        assertThat(closedByPeer(third)).isTrue();
        assertThat(transport.connectionCount()).isEqualTo(2);
        write(a, msg("OPTIONS sip:a SIP/2.0", ""));
        write(b, msg("OPTIONS sip:b SIP/2.0", ""));
        assertThat(List.of(next().text(), next().text())).containsExactlyInAnyOrder(
                msg("OPTIONS sip:a SIP/2.0", ""), msg("OPTIONS sip:b SIP/2.0", ""));
        try (ServerSocket peer = new ServerSocket(0, 1, LOOPBACK)) {
            assertThatThrownBy(() -> transport.send(new InetSocketAddress(LOOPBACK, peer.getLocalPort()),
                    new byte[] {'x'})).isInstanceOf(IOException.class).hasMessageContaining("limit");
        }
        a.close();
        await("a slot frees up", () -> transport.connectionCount() == 1);
        Socket d = client();
        write(d, msg("OPTIONS sip:d SIP/2.0", ""));
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:d SIP/2.0", ""));
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        start(TransportOptions.builder().idleTimeout(Duration.ofMillis(300)).build());
        Socket c = client();
        write(c, msg("OPTIONS sip:a SIP/2.0", ""));
        next();
        assertThat(transport.connectionCount()).isEqualTo(1);
        long startedAt = System.nanoTime();
        await("idle close", () -> transport.connectionCount() == 0);
        assertThat(Duration.ofNanos(System.nanoTime() - startedAt)).isGreaterThan(Duration.ofMillis(150));
        assertThat(closedByPeer(c)).isTrue();
    }

    @Test
    void throwingHandlerDoesNotCloseTheConnection() throws Exception {
        transport = new TcpTransport(new InetSocketAddress(LOOPBACK, 0));
        transport.start((t, source, message) -> {
            String text = new String(message, US_ASCII);
            if (text.contains("boom")) {
                throw new IllegalStateException("handler exploded on purpose");
            }
            received.add(new Received(source, text));
        });
        Socket c = client();
        write(c, msg("OPTIONS sip:boom SIP/2.0", "") + msg("OPTIONS sip:ok SIP/2.0", ""));
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:ok SIP/2.0", ""));
        assertThat(transport.connectionCount()).isEqualTo(1);
    }

    @Test
    void closeClosesEverythingAndIsIdempotent() throws Exception {
        start();
        Socket c = client();
        await("connection", () -> transport.connectionCount() == 1);
        InetSocketAddress local = transport.localAddress();
        transport.close();
        transport.close();
        assertThat(closedByPeer(c)).isTrue();
        assertThat(transport.connectionCount()).isZero();
        assertThatThrownBy(() -> transport.send(local, new byte[] {'x'})).isInstanceOf(IOException.class);
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("siprelay-tcp-" + local.getPort()) && t.isAlive());
        assertThatThrownBy(() -> new Socket(LOOPBACK, local.getPort()).close()).isInstanceOf(IOException.class);
    }

    @Test
    void sendBeforeStartFails() {
        TcpTransport idle = new TcpTransport(new InetSocketAddress(LOOPBACK, 0));
        assertThatThrownBy(() -> idle.send(new InetSocketAddress(LOOPBACK, 9), new byte[1]))
                .isInstanceOf(IOException.class);
        idle.close();
    }
}
