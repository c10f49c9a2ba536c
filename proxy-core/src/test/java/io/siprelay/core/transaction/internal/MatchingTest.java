package io.siprelay.core.transaction.internal;

import io.siprelay.core.transaction.TimerSettings;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transport.TransportType;
import java.net.InetSocketAddress;
import javax.sip.message.Request;
import org.junit.jupiter.api.Test;

/** Server matching (§17.2.3, RFC 2543 fallback), CANCEL matching (§9.2) and response addressing (§18.2.2, RFC 3581). */
class MatchingTest {

    private final TxFixture f = new TxFixture(TransportType.UDP);

    @Test
    void cancel_is_its_own_transaction_and_finds_its_invite() {
        SipMessage invite = f.invite("z9hG4bK-inv");
        ServerTransaction inviteTx = f.layer.createServer(invite, f.flow);
        inviteTx.respond(f.response(invite, 180, "uas-1"));
        f.transport.clear();

        SipMessage cancel = f.request(Request.CANCEL, "z9hG4bK-inv", 1, "UDP");
        assertThat(f.layer.absorb(cancel, f.flow)).as("a new CANCEL is not absorbed").isFalse();
        assertThat(f.layer.findInviteServer(cancel)).isSameAs(inviteTx);
        ServerTransaction cancelTx = f.layer.createServer(cancel, f.flow);
        assertThat(cancelTx).isNotSameAs(inviteTx);
        assertThat(f.layer.serverTransactionCount()).isEqualTo(2);
        assertThat(f.transport.sent()).isEmpty();

        cancelTx.respond(f.response(cancel, 200));
        assertThat(f.layer.absorb(f.request(Request.CANCEL, "z9hG4bK-inv", 1, "UDP"), f.flow))
                .as("retransmitted CANCEL").isTrue();
        assertThat(f.transport.sent()).hasSize(2);
        assertThat(f.transport.last().parse().cseqMethod()).isEqualTo(Request.CANCEL);
        assertThat(inviteTx.state()).isEqualTo(TransactionState.PROCEEDING);
    }

    @Test
    void cancel_for_unknown_or_other_sent_by_finds_nothing() {
        f.layer.createServer(f.invite("z9hG4bK-inv"), f.flow);
        assertThat(f.layer.findInviteServer(f.request(Request.CANCEL, "z9hG4bK-nope", 1, "UDP"))).isNull();
        assertThat(f.layer.findInviteServer(
                f.request(Request.CANCEL, "z9hG4bK-inv", 1, "UDP", "192.0.2.99:5060", "", ""))).isNull();
    }

    @Test
    void sent_by_matching_uses_the_default_port_and_ignores_host_case() {
        SipMessage invite = f.request(Request.INVITE, "z9hG4bK-p", 1, "UDP", "UA.example.com", "", "");
        f.layer.createServer(invite, f.flow);
        assertThat(f.layer.absorb(f.request(Request.INVITE, "z9hG4bK-p", 1, "UDP", "ua.example.com:5060", "", ""),
                f.flow)).isTrue();
    }

    @Test
    void rfc2543_requests_match_on_uri_tags_call_id_cseq_and_via() {
        for (String branch : new String[] {null, "1234abcd"}) {
            TxFixture g = new TxFixture(TransportType.UDP);
            SipMessage invite = g.invite(branch);
            assertThat(g.layer.absorb(invite, g.flow)).isFalse();
            ServerTransaction tx = g.layer.createServer(invite, g.flow);
            SipMessage busy = g.response(invite, 486, "uas-9");
            tx.respond(busy);

            assertThat(g.layer.absorb(g.invite(branch), g.flow)).as("retransmission").isTrue();
            assertThat(g.transport.sent()).hasSize(2);
            assertThat(g.layer.absorb(g.request(Request.INVITE, branch, 2, "UDP"), g.flow)).as("other CSeq").isFalse();
            assertThat(g.layer.absorb(g.request(Request.INVITE, branch, 1, "UDP", "192.0.2.11:5060", "", ""), g.flow))
                    .as("other Via").isFalse();
            assertThat(g.layer.absorb(g.request(Request.INVITE, branch, 1, "UDP", "192.0.2.10:5060", "", "x"), g.flow))
                    .as("other To tag").isFalse();

            SipMessage cancel = g.request(Request.CANCEL, branch, 1, "UDP");
            assertThat(g.layer.findInviteServer(cancel)).isSameAs(tx);
            assertThat(g.layer.absorb(cancel, g.flow)).isFalse();

            SipMessage wrongAck = g.request(Request.ACK, branch, 1, "UDP", "192.0.2.10:5060", "", "someone-else");
            assertThat(g.layer.absorb(wrongAck, g.flow)).as("ACK To tag must be the response's").isFalse();
            SipMessage ack = g.request(Request.ACK, branch, 1, "UDP", "192.0.2.10:5060", "", "uas-9");
            assertThat(g.layer.absorb(ack, g.flow)).isTrue();
            assertThat(tx.state()).isEqualTo(TransactionState.CONFIRMED);
        }
    }

    @Test
    void rfc2543_and_rfc3261_transactions_do_not_mix() {
        f.layer.createServer(f.invite("z9hG4bK-x"), f.flow);
        assertThat(f.layer.absorb(f.invite(null), f.flow)).isFalse();
    }

    @Test
    void udp_responses_go_to_received_and_rport() {
        SipMessage invite = f.request(Request.INVITE, "z9hG4bK-nat", 1, "UDP", "10.0.0.5:5060", ";rport", "");
        InetSocketAddress source = new InetSocketAddress("203.0.113.5", 34_567);
        ViaAddressing.stampArrival(invite.topVia(), source);
        ServerTransaction tx = f.layer.createServer(invite, new io.siprelay.core.transport.Flow(f.transport, source));
        tx.respond(f.response(invite, 180));
        assertThat(f.transport.last().destination()).isEqualTo(source);
    }

    @Test
    void udp_responses_without_rport_go_to_received_and_via_port() {
        SipMessage invite = f.request(Request.INVITE, "z9hG4bK-rcv", 1, "UDP", "10.0.0.5:5070", "", "");
        InetSocketAddress source = new InetSocketAddress("203.0.113.5", 34_567);
        ViaAddressing.stampArrival(invite.topVia(), source);
        ServerTransaction tx = f.layer.createServer(invite, new io.siprelay.core.transport.Flow(f.transport, source));
        tx.respond(f.response(invite, 100, null));
        assertThat(f.transport.last().destination()).isEqualTo(new InetSocketAddress("203.0.113.5", 5070));
    }

    @Test
    void udp_responses_default_to_port_5060() {
        SipMessage options = f.request(Request.OPTIONS, "z9hG4bK-dp", 1, "UDP", "192.0.2.20", "", "");
        ServerTransaction tx = f.layer.createServer(options,
                new io.siprelay.core.transport.Flow(f.transport, new InetSocketAddress("192.0.2.20", 5060)));
        tx.respond(f.response(options, 200));
        assertThat(f.transport.last().destination()).isEqualTo(new InetSocketAddress("192.0.2.20", 5060));
    }

    @Test
    void layers_with_different_timers_run_side_by_side() {
        TxFixture slow = new TxFixture(TransportType.UDP, TimerSettings.defaults());
        TxFixture fast = new TxFixture(TransportType.UDP, new TimerSettings(100, 400, 500));
        TxFixture.Recorder a = new TxFixture.Recorder(slow.clock);
        TxFixture.Recorder b = new TxFixture.Recorder(fast.clock);
        slow.layer.sendRequest(slow.options("z9hG4bK-s"), slow.flow, a);
        fast.layer.sendRequest(fast.options("z9hG4bK-f"), fast.flow, b);
        slow.clock.advanceMillis(40_000);
        fast.clock.advanceMillis(40_000);
        assertThat(a.timeoutAt).isEqualTo(32_000);
        assertThat(b.timeoutAt).isEqualTo(6_400);
    }
}
