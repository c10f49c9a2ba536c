package io.siprelay.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.blocks.Dialogs;
import io.siprelay.core.route.Route;
import io.siprelay.testkit.Peer;
import io.siprelay.testkit.SipTestKit;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.sip.header.CallIdHeader;
import javax.sip.header.ContentTypeHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.ToHeader;
import javax.sip.message.Message;
import javax.sip.message.Request;
import javax.sip.message.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * MediaRelay in routes on the in-memory network, with a scripted rtpengine: the ng commands Kamailio's
 * rtpengine_manage would send for each step of a call, the SDP rewritten both ways, and the session deleted however the
 * call ends.
 */
class MediaRelayRouteTest {

    private static final MediaFlags FLAGS = MediaFlags.parse("replace-origin replace-session-connection ICE=remove");

    private final SipTestKit kit = SipTestKit.create();
    private final ScriptedNgClient rtpengine = new ScriptedNgClient(kit.clock());
    private final MediaRelay media = MediaRelay.on(rtpengine);
    private final AtomicReference<Throwable> failureSeenByThen = new AtomicReference<>();
    private Peer alice;
    private Peer bob;

    @BeforeEach
    void start() {
        Route relay = ctx -> media.manage(ctx, FLAGS, c -> {
            failureSeenByThen.set(c.get(MediaRelay.FAILURE));
            if (c.isMethod("INVITE")) {
                c.onReply(reply -> media.manage(reply, FLAGS));
            }
            return c.relay();
        });
        kit.proxy(b -> b.requestRoute(Route.seq(Dialogs.withinDialog(relay), ctx -> {
            ctx.recordRoute();
            ctx.setRequestUri("sip:bob@127.0.0.11:5060");
            return ctx.route(relay);
        })));
        alice = kit.peer("127.0.0.2", 5060);
        bob = kit.peer("127.0.0.11", 5060);
    }

    @AfterEach
    void close() {
        kit.close();
    }

    private static String sdp(String ip, int port) {
        return "v=0\r\no=- 1 1 IN IP4 " + ip + "\r\ns=-\r\nc=IN IP4 " + ip + "\r\nt=0 0\r\nm=audio " + port
                + " RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    }

    private void withSdp(Message m, String sdp) throws Exception {
        ContentTypeHeader type = kit.codec().headerFactory().createContentTypeHeader("application", "sdp");
        m.setContent(sdp.getBytes(StandardCharsets.UTF_8), type);
    }

    private static String body(Message m) {
        return m.getRawContent() == null ? null : new String(m.getRawContent(), StandardCharsets.UTF_8);
    }

    private Request inviteWithSdp() throws Exception {
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        withSdp(invite, sdp("127.0.0.2", 4000));
        alice.send(invite);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        return invite;
    }

    private static String tag(Message m, boolean from) {
        return from ? ((FromHeader) m.getHeader(FromHeader.NAME)).getTag()
                : ((ToHeader) m.getHeader(ToHeader.NAME)).getTag();
    }

    @Test
    void aCallOffersAnswersAndDeletesWithTheSdpRewrittenBothWays() throws Exception {
        Request invite = inviteWithSdp();
        Request atBob = bob.takeRequest();
        ScriptedNgClient.Sent offer = rtpengine.last("offer");
        assertThat(offer.command())
                .containsEntry("call-id", ((CallIdHeader) invite.getHeader(CallIdHeader.NAME)).getCallId())
                .containsEntry("from-tag", tag(invite, true))
                .containsEntry("received-from", List.of("IP4", "127.0.0.2"))
                .containsEntry("ICE", "remove")
                .containsEntry("replace", List.of("origin", "session-connection"))
                .doesNotContainKey("to-tag");
        assertThat(body(atBob)).contains("c=IN IP4 203.0.113.7").contains("m=audio 30500").doesNotContain("127.0.0.2");
        assertThat(atBob.getContentLength().getContentLength()).isEqualTo(atBob.getRawContent().length);

        bob.reply(atBob, 180);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(180);
        assertThat(rtpengine.ops()).as("a 180 without SDP needs no answer").containsExactly("offer");

        Response ok = bob.response(atBob, 200);
        withSdp(ok, sdp("127.0.0.11", 5000));
        bob.send(ok);
        Response okAtAlice = alice.takeResponse();
        ScriptedNgClient.Sent answer = rtpengine.last("answer");
        assertThat(answer.command()).containsEntry("from-tag", tag(invite, true))
                .containsEntry("to-tag", tag(ok, false))
                .containsEntry("received-from", List.of("IP4", "127.0.0.11"));
        assertThat(body(okAtAlice)).contains("c=IN IP4 203.0.113.7").contains("m=audio 30600");

        alice.send(alice.ack(invite, okAtAlice));
        assertThat(bob.takeRequest().getMethod()).isEqualTo("ACK");
        kit.advance(Duration.ofSeconds(40));
        assertThat(rtpengine.ops()).as("the ACK came: no ACK-timeout delete").containsExactly("offer", "answer");

        alice.send(alice.inDialog("BYE", invite, okAtAlice, 2));
        Request bye = bob.takeRequest();
        assertThat(bye.getMethod()).isEqualTo("BYE");
        assertThat(rtpengine.last("delete").command()).containsEntry("call-id", offer.command().get("call-id"));
        bob.reply(bye, 200);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        assertThat(media.stats()).containsEntry("offers", 1L).containsEntry("answers", 1L)
                .containsEntry("deletes", 1L).containsEntry("failures", 0L);
    }

    @Test
    void aRejectedCallDeletesItsSession() throws Exception {
        inviteWithSdp();
        bob.reply(bob.takeRequest(), 486);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(486);
        assertThat(rtpengine.ops()).containsExactly("offer", "delete");
    }

    @Test
    void aCancelledCallDeletesItsSession() throws Exception {
        Request invite = inviteWithSdp();
        Request atBob = bob.takeRequest();
        bob.reply(atBob, 180);
        alice.takeResponse();
        alice.send(alice.cancel(invite));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(200);
        bob.reply(bob.takeRequest(), 200); // the CANCEL
        bob.reply(atBob, 487);
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(487);
        assertThat(rtpengine.ops()).containsExactly("offer", "delete");
    }

    @Test
    void aCallNobodyAnswersDeletesItsSessionOnTheLocal408() throws Exception {
        inviteWithSdp();
        bob.takeRequest();
        kit.advance(Duration.ofSeconds(40));
        assertThat(rtpengine.ops()).containsExactly("offer", "delete");
    }

    @Test
    void anAnsweredCallThatIsNeverAcknowledgedIsDeletedAfter32Seconds() throws Exception {
        inviteWithSdp();
        Request atBob = bob.takeRequest();
        Response ok = bob.response(atBob, 200);
        withSdp(ok, sdp("127.0.0.11", 5000));
        bob.send(ok);
        alice.takeResponse();
        kit.advance(Duration.ofSeconds(31));
        assertThat(rtpengine.ops()).containsExactly("offer", "answer");
        kit.advance(Duration.ofSeconds(2));
        assertThat(rtpengine.ops()).containsExactly("offer", "answer", "delete");
        assertThat(media.stats()).containsEntry("ack_timeouts", 1L).containsEntry("awaiting_ack", 0L);
    }

    @Test
    void whenRtpengineFailsTheCallGoesOnWithItsOwnSdp() throws Exception {
        rtpengine.failWith = new NgException(NgException.Kind.TIMEOUT, "rtpengine udp:127.0.0.1:2223 timed out");
        inviteWithSdp();
        Request atBob = bob.takeRequest();
        assertThat(body(atBob)).contains("c=IN IP4 127.0.0.2");
        assertThat(failureSeenByThen.get()).isInstanceOf(NgException.class);
        assertThat(media.stats()).containsEntry("failures", 1L);
    }

    @Test
    void theInviteWaitsForRtpengineWithoutAnsweringAndItsRetransmissionIsAbsorbed() throws Exception {
        rtpengine.answerAtOnce = false;
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        withSdp(invite, sdp("127.0.0.2", 4000));
        alice.send(invite);
        alice.send(invite);
        assertThat(alice.inboxEmpty()).isTrue();
        assertThat(bob.inboxEmpty()).isTrue();
        assertThat(rtpengine.ops()).as("one offer despite the retransmission").containsExactly("offer");
        ScriptedNgClient.Sent offer = rtpengine.last("offer");
        offer.reply().complete(ScriptedNgClient.answerFor(offer));
        assertThat(alice.takeResponse().getStatusCode()).isEqualTo(100);
        assertThat(body(bob.takeRequest())).contains("203.0.113.7");
    }

    @Test
    void aLateOfferIsOfferedFromTheOkAndAnsweredFromTheAck() throws Exception {
        Request invite = alice.request("INVITE", "sip:bob@example.com");
        alice.send(invite);
        alice.takeResponse();
        Request atBob = bob.takeRequest();
        assertThat(rtpengine.ops()).isEmpty();
        Response ok = bob.response(atBob, 200);
        withSdp(ok, sdp("127.0.0.11", 5000));
        bob.send(ok);
        Response okAtAlice = alice.takeResponse();
        ScriptedNgClient.Sent offer = rtpengine.last("offer");
        assertThat(offer.command()).as("the callee offers: its tag is the from-tag")
                .containsEntry("from-tag", tag(ok, false)).containsEntry("to-tag", tag(invite, true));
        assertThat(body(okAtAlice)).contains("203.0.113.7");

        Request ack = alice.ack(invite, okAtAlice);
        withSdp(ack, sdp("127.0.0.2", 4000));
        alice.send(ack);
        Request ackAtBob = bob.takeRequest();
        ScriptedNgClient.Sent answer = rtpengine.last("answer");
        assertThat(answer.command()).containsEntry("from-tag", tag(ok, false)).containsEntry("to-tag",
                tag(invite, true));
        assertThat(body(ackAtBob)).contains("203.0.113.7");
        kit.advance(Duration.ofSeconds(40));
        assertThat(rtpengine.ops()).containsExactly("offer", "answer");
    }

    @Test
    void flagsParseLikeKamailiosString() {
        MediaFlags f = MediaFlags.parse("trust-address replace-origin replace-session-connection ICE=force "
                + "DTLS=passive RTP/SAVPF direction=internal direction=external record-call=yes rtcp-mux-offer "
                + "SDES-off my-flag label=caller");
        assertThat(f.entries()).containsEntry("flags", List.of("trust-address", "my-flag"))
                .containsEntry("replace", List.of("origin", "session-connection"))
                .containsEntry("ICE", "force").containsEntry("DTLS", "passive")
                .containsEntry("transport-protocol", "RTP/SAVPF")
                .containsEntry("direction", List.of("internal", "external"))
                .containsEntry("record call", "yes")
                .containsEntry("rtcp-mux", List.of("offer"))
                .containsEntry("SDES", List.of("off"))
                .containsEntry("label", "caller");
        assertThat(f.has("trust-address")).isTrue();
        MediaFlags built = MediaFlags.builder().trustAddress().replaceOrigin().replaceSessionConnection()
                .ice(MediaFlags.Ice.FORCE).dtls(MediaFlags.Dtls.PASSIVE).rtpSavpf().direction("internal", "external")
                .recordCall().raw("rtcp-mux-offer").raw("SDES-off").raw("my-flag").raw("label=caller").build();
        assertThat(built).isEqualTo(f);
        assertThat(built.toString()).isEqualTo(f.toString());
        assertThat(MediaFlags.parse("  ").entries()).isEmpty();
    }

    @Test
    void badFlagsAreRefusedWithTheirText() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MediaFlags.parse("ICE="))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ICE=");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MediaFlags.builder().raw("a\r\nb"))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> MediaFlags.builder().transport("TCP"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
