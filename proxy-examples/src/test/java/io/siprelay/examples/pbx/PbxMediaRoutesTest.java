package io.siprelay.examples.pbx;

import static io.siprelay.testkit.SipAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.concurrent.InlineExecutor;
import io.siprelay.core.transport.TransportType;
import io.siprelay.examples.management.PbxMetrics;
import io.siprelay.examples.management.PbxRpc;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sip.InvalidArgumentException;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PBX's routes with the media relay on (issue #13), on the in-memory network with a scripted rtpengine: the same
 * {@link Pbx} as in production, its rtpengine replaced through {@link Pbx.Builder#ngClient}. What the tests look at
 * is what Kamailio's rtpengine_manage would do in the tutorial PBX: offer from the INVITE, answer from the 200, the
 * session deleted by the BYE or when the call fails, and in {@code nat} mode only for calls with a party behind NAT.
 */
class PbxMediaRoutesTest {

    private static final String DOMAIN = "pbx.test";
    private static final AtomicLong SEQ = new AtomicLong();

    @TempDir
    Path dir;

    private final SipTestKit kit = SipTestKit.create();
    private final ScriptedRtpEngine rtpengine = new ScriptedRtpEngine(kit.clock());
    private Pbx pbx;

    @AfterEach
    void close() {
        if (pbx != null) {
            pbx.close();
        }
        kit.close();
    }

    private void start(boolean media, Consumer<PbxConfig> tweak) {
        PbxConfig c = new PbxConfig();
        c.dataDir = dir.toString();
        c.domain = DOMAIN;
        c.mgmt = "off";
        c.probeInterval = 0;
        c.shutdownGrace = 0;
        c.natPingInterval = 0;
        tweak.accept(c);
        Pbx.Builder b = Pbx.builder(c)
                .transports(List.of(kit.network().transport(TransportType.UDP, "127.0.0.1", 5060),
                        kit.network().transport(TransportType.WS, "127.0.0.1", 8080)))
                .clock(kit.clock()).executor(new InlineExecutor()).codec(kit.codec()).management(false);
        if (media) {
            b.ngClient(rtpengine);
        }
        pbx = b.start();
        pbx.subscribers().add("1001", DOMAIN, "secret1001");
        pbx.subscribers().add("1002", DOMAIN, "secret1002");
    }

    private Peer peer(String host, int port) {
        return kit.peer(host, port).target("127.0.0.1", 5060);
    }

    // ------------------------------------------------------------------------------------------ tests

    /** A browser (JsSIP style: .invalid Via and Contact) over the PBX's WS listener. */
    private Peer browser() {
        return kit.peer(TransportType.WS, "127.0.0.50", 50123).target("127.0.0.1", 8080);
    }

    private void asBrowser(Request r, String user) {
        try {
            ((ViaHeader) r.getHeader(ViaHeader.NAME)).setHost("df7jal23ls0d.invalid");
            r.setHeader(kit.codec().headerFactory().createHeader("Contact", "<sip:" + user
                    + "@df7jal23ls0d.invalid;transport=ws>"));
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void browserCallsGetWebRtcMediaTowardTheBrowserAndPlainRtpTowardThePhone() {
        start(true, c -> { });
        Peer browser = browser();
        Peer phone = peer("127.0.0.3", 5060);
        register(browser, "1001", r -> asBrowser(r, "1001"));
        register(phone, "1002", r -> { });

        // browser → phone: the offer toward the phone is plain RTP, the answer toward the browser WebRTC
        Request invite = call(browser, "1001", "sip:1002@" + DOMAIN, r -> asBrowser(r, "1001"));
        Request atPhone = phone.takeRequest();
        assertThat(rtpengine.last("offer").command()).containsEntry("ICE", "remove")
                .containsEntry("transport-protocol", "RTP/AVP").containsEntry("rtcp-mux", List.of("demux"));
        phone.send(withSdp(phone.response(atPhone, 200), "127.0.0.3", 6000));
        assertThat(browser.takeResponse()).hasStatus(200);
        // no DTLS=passive in the answer: rtpengine took the active role at the offer (PbxRoutes.TO_BROWSER_ANSWER)
        assertThat(rtpengine.last("answer").command()).containsEntry("ICE", "force").doesNotContainKey("DTLS")
                .containsEntry("transport-protocol", "RTP/SAVPF").containsEntry("rtcp-mux", List.of("offer"))
                .containsEntry("SDES", List.of("off"));
        assertThat(invite).isNotNull();

        // phone → browser: reached over its WebSocket connection, offered WebRTC media
        Request toBrowser = call(phone, "1002", "sip:1001@" + DOMAIN, r -> { });
        Request atBrowser = browser.takeRequest();
        assertThat(atBrowser).isRequest("INVITE");
        assertThat(rtpengine.last("offer").command()).containsEntry("ICE", "force").containsEntry("DTLS", "passive")
                .containsEntry("transport-protocol", "RTP/SAVPF");
        browser.send(withSdp(browser.response(atBrowser, 200), "127.0.0.50", 7000));
        assertThat(phone.takeResponse()).hasStatus(200);
        assertThat(rtpengine.last("answer").command()).containsEntry("ICE", "remove")
                .containsEntry("transport-protocol", "RTP/AVP");
        assertThat(toBrowser).isNotNull();
    }

    @Test
    void aCallBetweenSubscribersHasItsSdpRewrittenBothWaysAndTheByeDeletes() {
        start(true, c -> { });
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5060);
        register(bob, "1002", r -> { });

        Request invite = call(alice, "1001", "sip:1002@" + DOMAIN, r -> { });
        Request atBob = bob.takeRequest();
        assertThat(atBob).isRequest("INVITE");
        assertThat(body(atBob)).contains("c=IN IP4 " + ScriptedRtpEngine.RELAY_IP).doesNotContain("127.0.0.2");
        ScriptedRtpEngine.Sent offer = rtpengine.last("offer");
        assertThat(offer.command()).containsEntry("call-id", callId(invite)).containsEntry("from-tag", tag(invite))
                .containsEntry("replace", List.of("origin", "session-connection")).doesNotContainKey("to-tag");

        bob.reply(atBob, 180);
        assertThat(alice.takeResponse()).hasStatus(180);
        Response ok = withSdp(bob.response(atBob, 200), "127.0.0.3", 6000);
        bob.send(ok);
        Response okAtAlice = alice.takeResponse();
        assertThat(okAtAlice).hasStatus(200);
        assertThat(body(okAtAlice)).contains("c=IN IP4 " + ScriptedRtpEngine.RELAY_IP).doesNotContain("127.0.0.3");
        assertThat(rtpengine.last("answer").command()).containsEntry("from-tag", tag(invite))
                .containsEntry("to-tag", ((ToHeader) ok.getHeader(ToHeader.NAME)).getTag());

        alice.send(alice.ack(invite, okAtAlice));
        assertThat(bob.takeRequest()).isRequest("ACK");
        kit.advance(Duration.ofSeconds(40));
        assertThat(rtpengine.ops()).as("the ACK passed rtpengine_manage: no ACK-timeout delete")
                .containsExactly("offer", "answer");

        alice.send(alice.inDialog("BYE", invite, okAtAlice, 3));
        Request bye = bob.takeRequest();
        assertThat(bye).isRequest("BYE");
        bob.reply(bye, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(rtpengine.ops()).containsExactly("offer", "answer", "delete");
        assertThat(rtpengine.last("delete").callId()).isEqualTo(callId(invite));

        assertThat(pbx.media().stats()).containsEntry("offers", 1L).containsEntry("answers", 1L)
                .containsEntry("deletes", 1L).containsEntry("failures", 0L);
        assertThat(PbxRpc.stats(pbx)).containsKey("rtpengine");
        assertThat(PbxMetrics.bind(pbx).scrape()).contains("siprelay_media_commands_total{command=\"offer\"} 1.0")
                .contains("siprelay_media_awaiting_ack 0.0");
        assertThat(pbx.banner()).contains("  media      rtpengine ScriptedRtpEngine, mode always, flags "
                + "replace-origin replace-session-connection");
    }

    @Test
    void aReInviteInTheDialogIsOfferedWithBothTags() {
        start(true, c -> { });
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5060);
        register(bob, "1002", r -> { });
        Request invite = call(alice, "1001", "sip:1002@" + DOMAIN, r -> { });
        Response ok = withSdp(bob.response(bob.takeRequest(), 200), "127.0.0.3", 6000);
        bob.send(ok);
        Response okAtAlice = alice.takeResponse();
        alice.send(alice.ack(invite, okAtAlice));
        bob.takeRequest();

        Request reinvite = withSdp(alice.inDialog("INVITE", invite, okAtAlice, 3), "127.0.0.2", 4010);
        alice.send(reinvite);
        assertThat(alice.takeResponse()).hasStatus(100);
        Request atBob = bob.takeRequest();
        assertThat(body(atBob)).contains(ScriptedRtpEngine.RELAY_IP).doesNotContain("4010");
        assertThat(rtpengine.last("offer").command()).containsEntry("from-tag", tag(invite))
                .containsEntry("to-tag", ((ToHeader) ok.getHeader(ToHeader.NAME)).getTag());
        bob.send(withSdp(bob.response(atBob, 200), "127.0.0.3", 6010));
        assertThat(body(alice.takeResponse())).contains(ScriptedRtpEngine.RELAY_IP).doesNotContain("6010");
        assertThat(rtpengine.ops()).containsExactly("offer", "answer", "offer", "answer");
    }

    @Test
    void aRejectedCallDeletesItsSession() {
        start(true, c -> { });
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5060);
        register(bob, "1002", r -> { });
        call(alice, "1001", "sip:1002@" + DOMAIN, r -> { });
        bob.reply(bob.takeRequest(), 486);
        assertThat(alice.takeResponse()).hasStatus(486);
        assertThat(rtpengine.ops()).containsExactly("offer", "delete");
    }

    @Test
    void aCancelledCallDeletesItsSession() {
        start(true, c -> { });
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5060);
        register(bob, "1002", r -> { });
        Request invite = call(alice, "1001", "sip:1002@" + DOMAIN, r -> { });
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 180);
        assertThat(alice.takeResponse()).hasStatus(180);
        alice.send(alice.cancel(invite));
        assertThat(alice.takeResponse()).hasStatus(200);
        bob.reply(bob.takeRequest(), 200);
        bob.reply(atBob, 487);
        assertThat(alice.takeResponse()).hasStatus(487);
        assertThat(rtpengine.ops()).containsExactly("offer", "delete");
    }

    @Test
    void aCancelThatMatchesNoTransactionPassesTheRelayBlock() {
        start(true, c -> { });
        Peer alice = peer("127.0.0.2", 5060);
        Request invite = as(alice, "INVITE", "sip:1002@" + DOMAIN, "1001");
        alice.send(alice.cancel(invite));
        assertThat(alice.takeResponse()).hasStatus(481);
        assertThat(rtpengine.ops()).containsExactly("delete");
        assertThat(rtpengine.last("delete").callId()).isEqualTo(callId(invite));
    }

    @Test
    void theFlagsOfTheConfigurationGoToRtpengine() {
        start(true, c -> c.rtpengineFlags = "trust-address ICE=remove replace-origin");
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5060);
        register(bob, "1002", r -> { });
        call(alice, "1001", "sip:1002@" + DOMAIN, r -> { });
        assertThat(rtpengine.last("offer").command()).containsEntry("flags", List.of("trust-address"))
                .containsEntry("ICE", "remove").containsEntry("replace", List.of("origin"));
    }

    @Test
    void withoutMediaTheSdpGoesThroughUntouched() {
        start(false, c -> { });
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5060);
        register(bob, "1002", r -> { });
        Request invite = call(alice, "1001", "sip:1002@" + DOMAIN, r -> { });
        Request atBob = bob.takeRequest();
        assertThat(body(atBob)).contains("c=IN IP4 127.0.0.2").contains("m=audio 4000");
        bob.send(withSdp(bob.response(atBob, 200), "127.0.0.3", 6000));
        Response okAtAlice = alice.takeResponse();
        assertThat(body(okAtAlice)).contains("c=IN IP4 127.0.0.3").contains("m=audio 6000");
        alice.send(alice.ack(invite, okAtAlice));
        assertThat(bob.takeRequest()).isRequest("ACK");
        alice.send(alice.inDialog("BYE", invite, okAtAlice, 3));
        bob.reply(bob.takeRequest(), 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(rtpengine.ops()).isEmpty();
        assertThat(pbx.media()).isNull();
        assertThat(pbx.rtpEngine()).isNull();
        assertThat(PbxRpc.stats(pbx)).doesNotContainKey("rtpengine");
        assertThat(pbx.banner()).contains("  media      none (signalling only)");
    }

    @Test
    void natModeLeavesCallsWithoutNatAlone() {
        start(true, c -> c.rtpengineMode = "nat");
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5060);
        register(bob, "1002", r -> { });
        Request invite = call(alice, "1001", "sip:1002@" + DOMAIN, r -> { });
        Request atBob = bob.takeRequest();
        assertThat(body(atBob)).contains("c=IN IP4 127.0.0.2");
        bob.send(withSdp(bob.response(atBob, 200), "127.0.0.3", 6000));
        Response okAtAlice = alice.takeResponse();
        assertThat(body(okAtAlice)).contains("c=IN IP4 127.0.0.3");
        alice.send(alice.ack(invite, okAtAlice));
        alice.send(alice.inDialog("BYE", invite, okAtAlice, 3));
        bob.takeRequest();
        bob.reply(bob.takeRequest(), 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(rtpengine.ops()).isEmpty();
        assertThat(pbx.banner()).contains("mode nat");
    }

    /** 1002's phone is behind NAT (Via and Contact 192.168.1.20:5060, packets from 127.0.0.3:5070): FLB_NATB. */
    @Test
    void natModeRelaysACallToACalleeBehindNat() throws Exception {
        start(true, c -> c.rtpengineMode = "nat");
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5070);
        register(bob, "1002", r -> natted(r, "1002", "192.168.1.20"));

        Request invite = call(alice, "1001", "sip:1002@" + DOMAIN, r -> { });
        Request atBob = bob.takeRequest();
        assertThat(body(atBob)).contains(ScriptedRtpEngine.RELAY_IP);
        Response ok = withSdp(bob.response(atBob, 200), "192.168.1.20", 6000);
        ok.setHeader(kit.codec().headerFactory().createHeader("Contact", "<sip:1002@192.168.1.20:5060>"));
        bob.send(ok);
        Response okAtAlice = alice.takeResponse();
        assertThat(body(okAtAlice)).contains(ScriptedRtpEngine.RELAY_IP).doesNotContain("192.168.1.20");

        alice.send(alice.ack(invite, okAtAlice));
        assertThat(bob.takeRequest()).isRequest("ACK");
        alice.send(alice.inDialog("BYE", invite, okAtAlice, 3));
        Request bye = bob.takeRequest();
        assertThat(bye).isRequest("BYE");
        bob.reply(bye, 200);
        assertThat(alice.takeResponse()).hasStatus(200);
        assertThat(rtpengine.ops()).as("the BYE to the aliased Contact passes rtpengine_manage")
                .containsExactly("offer", "answer", "delete");
    }

    /** 1001's phone is behind NAT (Via and Contact 192.168.1.10, packets from 127.0.0.2:5060): FLT_NATS. */
    @Test
    void natModeRelaysACallFromACallerBehindNat() {
        start(true, c -> c.rtpengineMode = "nat");
        Peer alice = peer("127.0.0.2", 5060);
        Peer bob = peer("127.0.0.3", 5060);
        register(bob, "1002", r -> { });

        Request invite = call(alice, "1001", "sip:1002@" + DOMAIN, r -> natted(r, "1001", "192.168.1.10"));
        Request atBob = bob.takeRequest();
        assertThat(body(atBob)).contains(ScriptedRtpEngine.RELAY_IP).doesNotContain("192.168.1.10");
        Response ok = withSdp(bob.response(atBob, 200), "127.0.0.3", 6000);
        bob.send(ok);
        Response okAtAlice = alice.takeResponse();
        assertThat(body(okAtAlice)).contains(ScriptedRtpEngine.RELAY_IP);
        alice.send(alice.ack(invite, okAtAlice)); // its Via is the public address: the NAT tests miss it
        assertThat(bob.takeRequest()).isRequest("ACK");
        kit.advance(Duration.ofSeconds(40));
        assertThat(rtpengine.ops()).as("every ACK ends the wait for it: no ACK-timeout delete")
                .containsExactly("offer", "answer");

        bob.send(bob.inDialogFromCallee("BYE", atBob, ok, 1));
        Request bye = alice.takeRequest();
        assertThat(bye).isRequest("BYE");
        alice.reply(bye, 200);
        assertThat(bob.takeResponse()).hasStatus(200);
        assertThat(rtpengine.ops()).as("the callee's BYE to the caller's aliased Contact passes rtpengine_manage")
                .containsExactly("offer", "answer", "delete");
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** A request from {@code peer} as {@code user@pbx.test}, to {@code ruri}. */
    private Request as(Peer peer, String method, String ruri, String user) {
        Request r = peer.request(method, ruri);
        try {
            r.setHeader(kit.codec().headerFactory().createFromHeader(
                    kit.codec().addressFactory().createAddress("sip:" + user + "@" + DOMAIN),
                    "f" + SEQ.incrementAndGet()));
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
        return r;
    }

    /** The request again as a new transaction (new branch, CSeq + 1) answering {@code challenge}. */
    private Request withCredentials(Request r, Response challenge, String user) {
        Request n = (Request) r.clone();
        boolean proxy = challenge.getStatusCode() == 407;
        List<String> values = new ArrayList<>();
        for (ListIterator<?> it = challenge.getHeaders(proxy ? "Proxy-Authenticate" : "WWW-Authenticate");
             it.hasNext(); ) {
            String h = it.next().toString();
            values.add(h.substring(h.indexOf(':') + 1).trim());
        }
        String value = Digests.answer(Digests.pick(values), user, "secret" + user, n.getMethod(),
                n.getRequestURI().toString());
        try {
            ((ViaHeader) n.getHeader(ViaHeader.NAME)).setBranch("z9hG4bKmedia" + SEQ.incrementAndGet());
            CSeqHeader cseq = (CSeqHeader) n.getHeader(CSeqHeader.NAME);
            cseq.setSeqNumber(cseq.getSeqNumber() + 1);
            n.setHeader(kit.codec().headerFactory().createHeader(proxy ? "Proxy-Authorization" : "Authorization",
                    value));
        } catch (ParseException | InvalidArgumentException e) {
            throw new IllegalStateException(e);
        }
        return n;
    }

    private void register(Peer peer, String user, Consumer<Request> edit) {
        Request reg = as(peer, "REGISTER", "sip:" + DOMAIN, user);
        try {
            reg.setHeader(kit.codec().headerFactory().createToHeader(
                    kit.codec().addressFactory().createAddress("sip:" + user + "@" + DOMAIN), null));
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
        edit.accept(reg);
        peer.send(reg);
        Response challenge = peer.takeResponse();
        assertThat(challenge).hasStatus(401);
        peer.send(withCredentials(reg, challenge, user));
        assertThat(peer.takeResponse()).hasStatus(200);
    }

    /** An authenticated INVITE with SDP (the caller's address, port 4000): 407, ACK, credentials, 100. */
    private Request call(Peer caller, String user, String ruri, Consumer<Request> edit) {
        Request invite = withSdp(as(caller, "INVITE", ruri, user), caller.host(), 4000);
        edit.accept(invite);
        caller.send(invite);
        Response challenge = caller.takeResponse();
        assertThat(challenge).hasStatus(407);
        caller.send(caller.ack(invite, challenge));
        Request again = withCredentials(invite, challenge, user);
        caller.send(again);
        assertThat(caller.takeResponse()).hasStatus(100);
        return again;
    }

    /** As a phone behind NAT sends it: Via and Contact with its private address, no rport. */
    private void natted(Request r, String user, String privateHost) {
        try {
            ViaHeader via = (ViaHeader) r.getHeader(ViaHeader.NAME);
            via.setHost(privateHost);
            via.setPort(5060);
            via.removeParameter("rport");
            r.setHeader(kit.codec().headerFactory().createHeader("Contact", "<sip:" + user + "@" + privateHost
                    + ":5060>"));
        } catch (ParseException | InvalidArgumentException e) {
            throw new IllegalStateException(e);
        }
    }

    private <M extends Message> M withSdp(M m, String ip, int port) {
        String sdp = "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " + port
                + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
        try {
            m.setContent(sdp.getBytes(StandardCharsets.UTF_8),
                    kit.codec().headerFactory().createContentTypeHeader("application", "sdp"));
        } catch (ParseException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    private static String body(Message m) {
        return m.getRawContent() == null ? "" : new String(m.getRawContent(), StandardCharsets.UTF_8);
    }

    private static String callId(Request r) {
        return ((CallIdHeader) r.getHeader(CallIdHeader.NAME)).getCallId();
    }

    private static String tag(Request r) {
        return ((FromHeader) r.getHeader(FromHeader.NAME)).getTag();
    }
}
