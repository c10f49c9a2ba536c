package io.siprelay.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.blocks.Dialogs;
import io.siprelay.core.route.Route;
import io.siprelay.core.transport.UdpTransport;
import io.siprelay.testkit.RtpEngineProcess;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A call through a proxy built with {@link MediaRelay} (real UDP sockets, the real worker lanes and clock) and a real
 * rtpengine daemon: both SDPs are rewritten to rtpengine's ports, RTP sent by each phone reaches the other through
 * the relay, {@code query} counts it on both legs, and the BYE (or a rejection) removes the session. The phones are
 * raw SIP over UDP sockets of the test. Only with the interop tests; skipped without {@code /usr/bin/rtpengine}.
 */
@Tag("interop")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MediaCallDaemonTest {

    private static final Pattern AUDIO_PORT = Pattern.compile("(?m)^m=audio (\\d+) ");
    private static final Pattern CONNECTION = Pattern.compile("(?m)^c=IN IP4 (\\S+)");
    private static final int PACKETS = 50;

    private static RtpEngineProcess daemon;
    private static RtpEngine rtpengine;
    private static MediaRelay media;
    private static SipProxy proxy;
    private static int proxyPort;
    private static Phone alice;
    private static Phone bob;

    @BeforeAll
    static void start() throws IOException {
        Assumptions.assumeTrue(RtpEngineProcess.isInstalled(), "rtpengine not installed");
        daemon = RtpEngineProcess.start(Path.of("target"));
        rtpengine = RtpEngine.builder().instance(daemon.ngSpec()).timeout(Duration.ofMillis(500)).retries(2).build();
        media = MediaRelay.on(rtpengine);
        MediaFlags flags = MediaFlags.parse("replace-origin replace-session-connection");
        alice = new Phone("alice");
        bob = new Phone("bob");
        Route relay = ctx -> media.manage(ctx, flags, c -> {
            if (c.isMethod("INVITE")) {
                c.onReply(reply -> media.manage(reply, flags));
            }
            return c.relay();
        });
        UdpTransport udp = new UdpTransport(new InetSocketAddress("127.0.0.1", 0));
        proxy = SipProxy.builder().listen(udp).requestRoute(Route.seq(Dialogs.withinDialog(relay), ctx -> {
            ctx.recordRoute();
            ctx.setRequestUri("sip:bob@127.0.0.1:" + bob.sip.getLocalPort());
            return ctx.route(relay);
        })).build().start();
        proxyPort = udp.localAddress().getPort();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {proxy, rtpengine, alice, bob, daemon}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("closing " + c + ": " + e);
            }
        }
    }

    @Test
    void rtpFlowsBothWaysThroughRtpengineAndTheByeEndsTheSession() throws Exception {
        String callId = "media-call-" + ThreadLocalRandom.current().nextLong(1L << 40) + "@127.0.0.1";
        alice.send(invite(callId));
        assertThat(alice.receive()).startsWith("SIP/2.0 100");
        String inviteAtBob = bob.receive();
        assertThat(inviteAtBob).startsWith("INVITE ");
        int towardAlice = mediaPortIn(inviteAtBob, "the INVITE at bob");

        bob.send(response(inviteAtBob, "180 Ringing", null));
        assertThat(alice.receive()).startsWith("SIP/2.0 180");
        bob.send(response(inviteAtBob, "200 OK", sdp("bob", bob.rtp.getLocalPort())));
        String ok = alice.receive();
        assertThat(ok).startsWith("SIP/2.0 200");
        int towardBob = mediaPortIn(ok, "the 200 at alice");
        assertThat(towardBob).isNotEqualTo(towardAlice);

        alice.send(inDialog("ACK", 1, callId, ok));
        assertThat(bob.receive()).startsWith("ACK ");

        int aliceGot;
        int bobGot;
        Thread bobSends = new Thread(() -> bob.sendRtp(towardAlice));
        bobSends.start();
        alice.sendRtp(towardBob);
        bobSends.join();
        aliceGot = alice.countRtp();
        bobGot = bob.countRtp();
        Map<String, Object> query = media.query(callId).get(5, TimeUnit.SECONDS);
        List<Long> legPackets = packetsPerLeg(query);
        System.out.printf("MediaCallDaemonTest: RTP alice->bob %d of %d arrived, bob->alice %d of %d; rtpengine query"
                + " packets per leg %s%n", bobGot, PACKETS, aliceGot, PACKETS, legPackets);
        assertThat(bobGot).as("RTP from alice reaching bob through rtpengine").isGreaterThanOrEqualTo(PACKETS - 5);
        assertThat(aliceGot).as("RTP from bob reaching alice through rtpengine").isGreaterThanOrEqualTo(PACKETS - 5);
        assertThat(legPackets).hasSize(2).allSatisfy(n -> assertThat(n).isPositive());

        alice.send(inDialog("BYE", 2, callId, ok));
        String bye = bob.receive();
        assertThat(bye).startsWith("BYE ");
        bob.send(response(bye, "200 OK", null));
        assertThat(alice.receive()).startsWith("SIP/2.0 200");
        awaitGone(callId);
    }

    @Test
    void aRejectedCallLeavesNoSession() throws Exception {
        String callId = "media-reject-" + ThreadLocalRandom.current().nextLong(1L << 40) + "@127.0.0.1";
        alice.send(invite(callId));
        assertThat(alice.receive()).startsWith("SIP/2.0 100");
        String at = bob.receive();
        assertThat(calls()).contains(callId);
        bob.send(response(at, "486 Busy Here", null));
        assertThat(bob.receive()).startsWith("ACK ");
        String busy = alice.receive();
        assertThat(busy).startsWith("SIP/2.0 486");
        alice.send(invite(callId).replaceFirst("INVITE sip:bob@example.com", "ACK sip:bob@example.com")
                .replace("CSeq: 1 INVITE", "CSeq: 1 ACK").replaceFirst("To: <sip:bob@example.com>",
                        "To: " + header(busy, "To")).replaceAll("Content-Type: .*\r\n", "")
                .replaceAll("(?s)Content-Length: .*", "Content-Length: 0\r\n\r\n"));
        awaitGone(callId);
    }

    private int mediaPortIn(String message, String what) {
        Matcher c = CONNECTION.matcher(message);
        assertThat(c.find()).as("c= in " + what).isTrue();
        assertThat(c.group(1)).isEqualTo("127.0.0.1");
        Matcher m = AUDIO_PORT.matcher(message);
        assertThat(m.find()).as("m=audio in " + what).isTrue();
        int port = Integer.parseInt(m.group(1));
        assertThat(port).as("the port in " + what + " is rtpengine's").isBetween(daemon.portMin(), daemon.portMax());
        return port;
    }

    /** Packets rtpengine counted on each leg (monologue) of the call. */
    @SuppressWarnings("unchecked")
    private static List<Long> packetsPerLeg(Map<String, Object> query) {
        List<Long> out = new ArrayList<>();
        Map<String, Object> tags = (Map<String, Object>) query.get("tags");
        assertThat(tags).as("query of a call: " + query).isNotNull();
        for (Object tag : tags.values()) {
            long packets = 0;
            for (Object media : (List<Object>) ((Map<String, Object>) tag).getOrDefault("medias", List.of())) {
                for (Object stream : (List<Object>) ((Map<String, Object>) media).getOrDefault("streams", List.of())) {
                    Map<String, Object> stats = (Map<String, Object>) ((Map<String, Object>) stream).get("stats");
                    if (stats != null && stats.get("packets") instanceof Long n) {
                        packets += n;
                    }
                }
            }
            out.add(packets);
        }
        return out;
    }

    private static List<Object> calls() throws Exception {
        Map<String, Object> list = rtpengine.send("list", Map.of("command", "list")).get(5, TimeUnit.SECONDS);
        @SuppressWarnings("unchecked")
        List<Object> calls = (List<Object>) list.get("calls");
        return calls == null ? List.of() : calls;
    }

    /** The delete is sent without waiting: poll rtpengine's list for a while. */
    private static void awaitGone(String callId) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (calls().contains(callId)) {
            assertThat(System.nanoTime()).as(callId + " still in rtpengine's list").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    // ------------------------------------------------------------------------------------------ raw SIP phones

    private static String invite(String callId) {
        String body = sdp("alice", alice.rtp.getLocalPort());
        return "INVITE sip:bob@example.com SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:" + alice.sip.getLocalPort() + ";branch=z9hG4bK" + callId.hashCode()
                + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=alice1\r\nTo: <sip:bob@example.com>\r\n"
                + "Call-ID: " + callId + "\r\nCSeq: 1 INVITE\r\n"
                + "Contact: <sip:alice@127.0.0.1:" + alice.sip.getLocalPort() + ">\r\n"
                + "Content-Type: application/sdp\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    /** A request within the dialog from alice: to bob's Contact, by the Record-Route of the 200. */
    private static String inDialog(String method, int cseq, String callId, String ok) {
        String toTag = header(ok, "To");
        String contact = header(ok, "Contact").replaceAll("^<|>.*$", "");
        return method + " " + contact + " SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:" + alice.sip.getLocalPort() + ";branch=z9hG4bK" + method + cseq
                + callId.hashCode() + "\r\nMax-Forwards: 70\r\nFrom: <sip:alice@example.com>;tag=alice1\r\n"
                + "To: " + toTag + "\r\nCall-ID: " + callId + "\r\nCSeq: " + (method.equals("ACK") ? 1 : cseq) + " "
                + method + "\r\nRoute: " + header(ok, "Record-Route") + "\r\nContent-Length: 0\r\n\r\n";
    }

    /** bob's answer to a request it received: its Vias, From, To (with bob's tag), Call-ID, CSeq, Record-Route. */
    private static String response(String request, String status, String body) {
        StringBuilder b = new StringBuilder("SIP/2.0 ").append(status).append("\r\n");
        for (String line : request.split("\r\n")) {
            String name = line.contains(":") ? line.substring(0, line.indexOf(':')).trim() : "";
            switch (name.toLowerCase(java.util.Locale.ROOT)) {
                case "via", "from", "call-id", "cseq", "record-route" -> b.append(line).append("\r\n");
                case "to" -> b.append(line.contains("tag=") ? line : line + ";tag=bob1").append("\r\n");
                default -> { }
            }
        }
        b.append("Contact: <sip:bob@127.0.0.1:").append(bob.sip.getLocalPort()).append(">\r\n");
        if (body != null) {
            b.append("Content-Type: application/sdp\r\n");
        }
        String content = body == null ? "" : body;
        return b.append("Content-Length: ").append(content.length()).append("\r\n\r\n").append(content).toString();
    }

    private static String header(String message, String name) {
        for (String line : message.split("\r\n")) {
            if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
                return line.substring(name.length() + 1).trim();
            }
        }
        throw new AssertionError("no " + name + " in " + message);
    }

    private static String sdp(String user, int rtpPort) {
        return "v=0\r\no=" + user + " 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                + "m=audio " + rtpPort + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";
    }

    /** A SIP socket and an RTP socket on 127.0.0.1. */
    private static final class Phone implements AutoCloseable {
        final String name;
        final DatagramSocket sip;
        final DatagramSocket rtp;
        final java.util.Set<String> seen = new java.util.HashSet<>();

        Phone(String name) throws IOException {
            this.name = name;
            this.sip = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            this.rtp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            sip.setSoTimeout(5000);
        }

        void send(String message) {
            byte[] b = message.getBytes(StandardCharsets.UTF_8);
            try {
                sip.send(new DatagramPacket(b, b.length, InetAddress.getLoopbackAddress(), proxyPort));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        /** The next SIP message that is not a retransmission of one already received. */
        String receive() throws IOException {
            while (true) {
                DatagramPacket p = new DatagramPacket(new byte[65535], 65535);
                sip.receive(p);
                String m = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                if (seen.add(m)) {
                    return m;
                }
            }
        }

        /** 50 RTP packets (12-byte header, 160 bytes of PCMU), 10 ms apart, to rtpengine's port for the other side. */
        void sendRtp(int port) {
            byte[] packet = new byte[172];
            int ssrc = name.hashCode();
            try {
                for (int seq = 0; seq < PACKETS; seq++) {
                    packet[0] = (byte) 0x80;
                    packet[1] = 0; // PCMU
                    packet[2] = (byte) (seq >> 8);
                    packet[3] = (byte) seq;
                    int ts = seq * 160;
                    packet[4] = (byte) (ts >> 24);
                    packet[5] = (byte) (ts >> 16);
                    packet[6] = (byte) (ts >> 8);
                    packet[7] = (byte) ts;
                    packet[8] = (byte) (ssrc >> 24);
                    packet[9] = (byte) (ssrc >> 16);
                    packet[10] = (byte) (ssrc >> 8);
                    packet[11] = (byte) ssrc;
                    rtp.send(new DatagramPacket(packet, packet.length, InetAddress.getLoopbackAddress(), port));
                    Thread.sleep(10);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** RTP packets of 172 bytes waiting on the RTP socket. */
        int countRtp() throws IOException {
            int n = 0;
            rtp.setSoTimeout(300);
            DatagramPacket p = new DatagramPacket(new byte[2048], 2048);
            while (true) {
                try {
                    rtp.receive(p);
                } catch (SocketTimeoutException e) {
                    return n;
                }
                if (p.getLength() == 172 && (p.getData()[0] & 0xc0) == 0x80) {
                    n++;
                }
            }
        }

        @Override
        public void close() {
            sip.close();
            rtp.close();
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
