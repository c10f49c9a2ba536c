package io.siprelay.core.transport;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 15, unit = TimeUnit.SECONDS)
class UdpTransportTest {

    record Received(Transport transport, InetSocketAddress source, String text) {
    }

    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private UdpTransport transport;
    private DatagramSocket peer;

    @AfterEach
    void tearDown() {
        if (transport != null) {
            transport.close();
        }
        if (peer != null) {
            peer.close();
        }
    }

    private void startCollecting() throws IOException {
        transport = new UdpTransport(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        transport.start((t, source, message) -> received.add(new Received(t, source, new String(message, US_ASCII))));
        peer = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        peer.setSoTimeout(5_000);
    }

    private void peerSends(String text) throws IOException {
        byte[] bytes = text.getBytes(US_ASCII);
        peer.send(new DatagramPacket(bytes, bytes.length, transport.localAddress()));
    }

    private Received next() throws InterruptedException {
        Received r = received.poll(5, TimeUnit.SECONDS);
        assertThat(r).as("datagram within 5 s").isNotNull();
        return r;
    }

    @Test
    void bindsAnEphemeralPortAndReportsIt() throws Exception {
        startCollecting();
        assertThat(transport.type()).isEqualTo(TransportType.UDP);
        assertThat(transport.localAddress().getPort()).isPositive();
        assertThat(transport.localAddress().getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void receivesAndSendsRoundTrip() throws Exception {
        startCollecting();
        peerSends("OPTIONS sip:a SIP/2.0\r\n\r\n");
        Received r = next();
        assertThat(r.text()).isEqualTo("OPTIONS sip:a SIP/2.0\r\n\r\n");
        assertThat(r.transport()).isSameAs(transport);
        assertThat(r.source()).isEqualTo(peer.getLocalSocketAddress());

        transport.send(r.source(), "SIP/2.0 200 OK\r\n\r\n".getBytes(US_ASCII));
        DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
        peer.receive(reply);
        assertThat(new String(reply.getData(), 0, reply.getLength(), US_ASCII)).isEqualTo("SIP/2.0 200 OK\r\n\r\n");
        assertThat(reply.getSocketAddress()).isEqualTo(transport.localAddress());
    }

    @Test
    void eachDatagramIsOneExactlySizedMessage() throws Exception {
        startCollecting();
        String big = "B".repeat(60_000);
        peerSends("short");
        peerSends(big);
        peerSends("x");
        assertThat(next().text()).isEqualTo("short");
        assertThat(next().text()).isEqualTo(big);
        assertThat(next().text()).isEqualTo("x");
    }

    @Test
    void garbageAndAThrowingHandlerDoNotStopTheListener() throws Exception {
        transport = new UdpTransport(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        transport.start((t, source, message) -> {
            String text = new String(message, US_ASCII);
            if (text.startsWith("boom")) {
                throw new IllegalStateException("handler exploded on purpose");
            }
            if (text.startsWith("error")) {
                throw new StackOverflowError("simulated");
            }
            received.add(new Received(t, source, text));
        });
        peer = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        byte[] garbage = {0, (byte) 0xff, (byte) 0xfe, 1, 2, 3, '\r', '\n'};
        peer.send(new DatagramPacket(garbage, garbage.length, transport.localAddress()));
        peerSends("boom 1");
        peerSends("error 2");
        peerSends("boom 3");
        peerSends("still alive");
        assertThat(next().text()).isEqualTo(new String(garbage, US_ASCII));
        assertThat(next().text()).isEqualTo("still alive");
    }

    @Test
    void keepAliveDatagramsAreDropped() throws Exception {
        startCollecting();
        peerSends("\r\n\r\n");
        peerSends("\r\n");
        peer.send(new DatagramPacket(new byte[0], 0, transport.localAddress()));
        peerSends("after");
        assertThat(next().text()).isEqualTo("after");
        assertThat(received).isEmpty();
    }

    @Test
    void sendFromManyThreads() throws Exception {
        startCollecting();
        int threads = 4;
        int each = 20; // stays well inside the default loopback receive buffer
        Thread[] senders = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            int id = i;
            senders[i] = new Thread(() -> {
                for (int j = 0; j < each; j++) {
                    try {
                        transport.send((InetSocketAddress) peer.getLocalSocketAddress(),
                                ("m" + id + "-" + j).getBytes(US_ASCII));
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            senders[i].start();
        }
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        int count = 0;
        for (; count < threads * each; count++) {
            peer.receive(p);
        }
        for (Thread t : senders) {
            t.join();
        }
        assertThat(count).isEqualTo(threads * each);
    }

    @Test
    void sendRejectsOversizeAndUnstarted() throws Exception {
        UdpTransport idle = new UdpTransport(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        InetSocketAddress somewhere = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9);
        assertThatThrownBy(() -> idle.send(somewhere, new byte[1])).isInstanceOf(IOException.class);
        idle.close();
        startCollecting();
        assertThatThrownBy(() -> transport.send(somewhere, new byte[70_000])).isInstanceOf(IOException.class);
    }

    @Test
    void closeIsIdempotentStopsTheReaderAndRejectsSends() throws Exception {
        startCollecting();
        InetSocketAddress local = transport.localAddress();
        transport.close();
        transport.close();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.getName().equals("siprelay-udp-" + local.getPort()) && t.isAlive());
        assertThatThrownBy(() -> transport.send(local, new byte[1])).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> transport.start((t, s, m) -> { })).isInstanceOf(IOException.class);
    }

    @Test
    void readerThreadIsNamedAfterThePort() throws Exception {
        startCollecting();
        String name = "siprelay-udp-" + transport.localAddress().getPort();
        assertThat(Thread.getAllStackTraces().keySet()).anyMatch(t -> t.getName().equals(name));
    }

    @Test
    void worksOnIpv6LoopbackWhenAvailable() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        DatagramSocket v6peer;
        try {
            v6peer = new DatagramSocket(new InetSocketAddress(v6, 0));
        } catch (IOException e) {
            return; // no IPv6 on this host
        }
        peer = v6peer;
        transport = new UdpTransport(new InetSocketAddress(v6, 0));
        transport.start((t, source, message) -> received.add(new Received(t, source, new String(message, US_ASCII))));
        byte[] bytes = "v6".getBytes(US_ASCII);
        peer.send(new DatagramPacket(bytes, bytes.length, transport.localAddress()));
        Received r = next();
        assertThat(r.text()).isEqualTo("v6");
        assertThat(r.source().getAddress()).isEqualTo(v6);
    }

    /**
     * A handler stuck on one datagram (a route waiting on a database) holds up only the reader that runs it: another
     * reader takes over the socket after 10 ms, up to {@code udpReaders} stuck at once; with one reader the socket
     * waits.
     */
    @Test
    void anotherReaderTakesOverWhileOneIsStuck() throws Exception {
        for (int readers : new int[] {1, 2}) {
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            BlockingQueue<String> handled = new LinkedBlockingQueue<>();
            UdpTransport t = new UdpTransport(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    TransportOptions.builder().udpReaders(readers).build());
            try (DatagramSocket p = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                t.start((tr, source, message) -> {
                    String text = new String(message, US_ASCII);
                    if (text.equals("stuck")) {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    handled.add(text + " on " + Thread.currentThread().getName());
                });
                for (String text : new String[] {"stuck", "next"}) {
                    byte[] bytes = text.getBytes(US_ASCII);
                    p.send(new DatagramPacket(bytes, bytes.length, t.localAddress()));
                }
                String port = Integer.toString(t.localAddress().getPort());
                if (readers == 1) {
                    assertThat(handled.poll(300, TimeUnit.MILLISECONDS)).as("one reader: the socket waits").isNull();
                    release.countDown();
                    assertThat(handled.poll(5, TimeUnit.SECONDS)).isEqualTo("stuck on siprelay-udp-" + port);
                    assertThat(handled.poll(5, TimeUnit.SECONDS)).isEqualTo("next on siprelay-udp-" + port);
                } else {
                    assertThat(handled.poll(5, TimeUnit.SECONDS)).as("the second reader took over")
                            .isEqualTo("next on siprelay-udp-" + port + "-1");
                    release.countDown();
                    assertThat(handled.poll(5, TimeUnit.SECONDS)).isEqualTo("stuck on siprelay-udp-" + port);
                    byte[] bytes = "later".getBytes(US_ASCII); // the old leader stepped down: no datagram is lost
                    p.send(new DatagramPacket(bytes, bytes.length, t.localAddress()));
                    assertThat(handled.poll(5, TimeUnit.SECONDS)).startsWith("later on siprelay-udp-" + port);
                }
            } finally {
                release.countDown();
                t.close();
            }
        }
    }
}
