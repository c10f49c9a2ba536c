package io.siprelay.examples.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.testkit.Sipp;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #13 against the real daemons: the PBX process with its README defaults plus {@code --rtpengine}, a real
 * rtpengine, and two phones (1001, 1002; {@link MediaPhone}) that register with digest auth and send RTP from their own
 * sockets. A call carries 50 packets each way through rtpengine; the SDP each phone gets names rtpengine; rtpengine's
 * {@code query} counts packets on both legs; after the BYE, a CANCEL or a 486 no session is left in {@code list}.
 * Skipped when {@code /usr/bin/rtpengine} is missing; only with the interop tests.
 */
@Tag("interop")
@Timeout(180)
class PbxRtpEngineInteropTest {

    private static final int PACKETS = 50;

    @TempDir
    static Path tmp;
    private static RtpEngineDaemon rtpengine;
    private static PbxProcess pbx;
    private static MediaPhone phone1001;
    private static MediaPhone phone1002;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(RtpEngineDaemon.installed(), "rtpengine not installed ("
                + io.siprelay.testkit.RtpEngineProcess.BINARY + ")");
        rtpengine = RtpEngineDaemon.start(Path.of("target", "pbx-runs"));
        int sipPort = Sipp.freeLocalPort();
        pbx = PbxProcess.create("rtpengine", tmp.resolve("data"), sipPort, Sipp.freeLocalPort(), "--rtpengine",
                rtpengine.ngSpec()).start(Duration.ofSeconds(60));
        assertThat(pbx.output()).contains("  media      rtpengine " + rtpengine.ngSpec()
                + " (weight 1), mode always, flags replace-origin replace-session-connection");
        pbx.ctl("user", "add", "1001@127.0.0.1", "secret1001").require();
        pbx.ctl("user", "add", "1002@127.0.0.1", "secret1002").require();
        String domain = "127.0.0.1:" + sipPort;
        phone1001 = new MediaPhone("1001", "secret1001", domain, pbx.sip());
        phone1002 = new MediaPhone("1002", "secret1002", domain, pbx.sip());
        assertThat(MediaPhone.status(phone1001.register())).isEqualTo(200);
        assertThat(MediaPhone.status(phone1002.register())).isEqualTo(200);
    }

    @AfterAll
    static void stop() throws Exception {
        if (phone1001 != null) {
            phone1001.close();
            phone1002.close();
        }
        try {
            if (pbx != null) {
                pbx.ctl("rtpengine", "show");
                pbx.close();
                assertThat(pbx.output()).doesNotContain("does not answer ping");
            }
        } finally {
            if (rtpengine != null) {
                rtpengine.close();
            }
        }
    }

    @BeforeEach
    void drain() {
        phone1001.drain();
        phone1002.drain();
    }

    @Test
    void aCallCarriesRtpBothWaysThroughRtpengine() throws Exception {
        MediaPhone.Call call = phone1001.invite("1002");
        MediaPhone.Received invite = phone1002.request("INVITE", call.callId);
        String offered = MediaPhone.body(invite.text());
        int toCallee = requireRelayed("the INVITE's SDP at 1002", offered, phone1001.rtpPort());

        phone1002.respond(invite, 180, "Ringing", false);
        phone1002.respond(invite, 200, "OK", true);
        String ok = phone1001.answer(call, s -> s >= 200);
        assertThat(MediaPhone.status(ok)).as(ok).isEqualTo(200);
        int toCaller = requireRelayed("the 200's SDP at 1001", call.remoteSdp, phone1002.rtpPort());
        phone1001.ack(call, ok);
        phone1002.request("ACK", call.callId);
        assertThat(rtpengine.calls()).as("rtpengine holds the call").contains(call.callId);

        InetSocketAddress relayForCaller = new InetSocketAddress("127.0.0.1", toCaller);
        InetSocketAddress relayForCallee = new InetSocketAddress("127.0.0.1", toCallee);
        CompletableFuture<Void> fromCaller = CompletableFuture.runAsync(() -> rtp(phone1001, relayForCaller));
        CompletableFuture<Void> fromCallee = CompletableFuture.runAsync(() -> rtp(phone1002, relayForCallee));
        CompletableFuture.allOf(fromCaller, fromCallee).get();
        awaitPackets(Duration.ofSeconds(2));
        int at1002 = phone1002.rtpReceived();
        int at1001 = phone1001.rtpReceived();
        System.out.println("RTP 1001 -> 1002: " + PACKETS + " sent, " + at1002 + " received");
        System.out.println("RTP 1002 -> 1001: " + PACKETS + " sent, " + at1001 + " received");
        Map<String, Long> perLeg = packetsPerLeg(rtpengine.query(call.callId));
        System.out.println("rtpengine query " + call.callId + ": RTP packets received per leg (from-tag "
                + call.fromTag + " = 1001) " + perLeg);
        assertThat(at1002).as("RTP from 1001 arriving at 1002").isGreaterThanOrEqualTo(45);
        assertThat(at1001).as("RTP from 1002 arriving at 1001").isGreaterThanOrEqualTo(45);
        assertThat(perLeg).hasSize(2);
        assertThat(perLeg.values()).as("packets counted on both legs").allMatch(n -> n > 0);
        assertThat(perLeg.get(call.fromTag)).as("the caller's leg").isGreaterThanOrEqualTo(45L);

        String byeOk = phoneBye(call);
        assertThat(MediaPhone.status(byeOk)).isEqualTo(200);
        awaitGone(call.callId, "after the BYE");
    }

    @Test
    void aCancelledCallLeavesNoSession() throws Exception {
        MediaPhone.Call call = phone1001.invite("1002");
        MediaPhone.Received invite = phone1002.request("INVITE", call.callId);
        requireRelayed("the INVITE's SDP at 1002", MediaPhone.body(invite.text()), phone1001.rtpPort());
        phone1002.respond(invite, 180, "Ringing", false);
        phone1001.answer(call, s -> s == 180);
        assertThat(rtpengine.calls()).contains(call.callId);

        assertThat(MediaPhone.status(phone1001.cancel(call))).isEqualTo(200);
        phone1002.respond(phone1002.request("CANCEL", call.callId), 200, "OK", false);
        phone1002.respond(invite, 487, "Request Terminated", false);
        String terminated = phone1001.answer(call, s -> s >= 300);
        assertThat(MediaPhone.status(terminated)).isEqualTo(487);
        phone1001.ack(call, terminated);
        awaitGone(call.callId, "after the CANCEL");
    }

    @Test
    void aRejectedCallLeavesNoSession() throws Exception {
        MediaPhone.Call call = phone1001.invite("1002");
        MediaPhone.Received invite = phone1002.request("INVITE", call.callId);
        requireRelayed("the INVITE's SDP at 1002", MediaPhone.body(invite.text()), phone1001.rtpPort());
        assertThat(rtpengine.calls()).contains(call.callId);
        phone1002.respond(invite, 486, "Busy Here", false);
        String busy = phone1001.answer(call, s -> s >= 300);
        assertThat(MediaPhone.status(busy)).isEqualTo(486);
        phone1001.ack(call, busy);
        awaitGone(call.callId, "after the 486");
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** The SDP names rtpengine: 127.0.0.1 and a port of its range, not the other phone's own port; the port. */
    private static int requireRelayed(String what, String sdp, int endpointPort) {
        int port = MediaPhone.audioPort(sdp);
        System.out.println(what + ": c=" + MediaPhone.connection(sdp) + " m=audio " + port + " (the sender's own RTP "
                + "port is " + endpointPort + ", rtpengine's range " + rtpengine.portMin() + "-" + rtpengine.portMax()
                + ")");
        assertThat(MediaPhone.connection(sdp)).as(what).isEqualTo("127.0.0.1");
        assertThat(port).as(what).isBetween(rtpengine.portMin(), rtpengine.portMax()).isNotEqualTo(endpointPort);
        return port;
    }

    private static void rtp(MediaPhone phone, InetSocketAddress to) {
        try {
            phone.sendRtp(to, PACKETS, 20);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until both phones got every packet, or {@code limit} passed. */
    private static void awaitPackets(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while ((phone1001.rtpReceived() < PACKETS || phone1002.rtpReceived() < PACKETS)
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private static String phoneBye(MediaPhone.Call call) throws Exception {
        CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
            try {
                return phone1001.bye(call);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        phone1002.respond(phone1002.request("BYE", call.callId), 200, "OK", false);
        return answer.get();
    }

    /** The RTP packets rtpengine received from each leg (by tag), from a {@code query} answer. */
    @SuppressWarnings("unchecked")
    private static Map<String, Long> packetsPerLeg(Map<String, Object> query) {
        Map<String, Long> out = new LinkedHashMap<>();
        Map<String, Object> tags = (Map<String, Object>) query.getOrDefault("tags", Map.of());
        tags.forEach((tag, v) -> {
            long packets = 0;
            for (Object media : (List<Object>) ((Map<String, Object>) v).getOrDefault("medias", List.of())) {
                for (Object s : (List<Object>) ((Map<String, Object>) media).getOrDefault("streams", List.of())) {
                    Map<String, Object> stream = (Map<String, Object>) s;
                    Map<String, Object> stats = (Map<String, Object>) stream.getOrDefault("stats", Map.of());
                    if (((List<Object>) stream.getOrDefault("flags", List.of())).contains("RTP")) {
                        packets += ((Number) stats.getOrDefault("packets", 0L)).longValue();
                    }
                }
            }
            out.put(tag, packets);
        });
        return out;
    }

    /** The PBX deletes without waiting for rtpengine: allow it a moment before {@code list} must not show the call. */
    private static void awaitGone(String callId, String when) throws Exception {
        List<Object> calls = new ArrayList<>(rtpengine.calls());
        for (int i = 0; i < 50 && calls.contains(callId); i++) {
            Thread.sleep(50);
            calls = rtpengine.calls();
        }
        System.out.println("rtpengine list " + when + ": " + calls);
        assertThat(calls).as("rtpengine sessions " + when).doesNotContain(callId);
        assertThat(Files.readString(pbx.log())).doesNotContain("rtpengine delete of " + callId + " failed");
    }
}
