package io.siprelay.core.transaction.internal;

import io.siprelay.core.transaction.TimerSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import javax.sip.header.CSeqHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.RouteHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ClientTransactionTest {

    private static final String BRANCH = "z9hG4bK-client-1";

    @Nested
    class InviteOverUdp {
        final TxFixture f = new TxFixture(TransportType.UDP);
        final TxFixture.Recorder rec = new TxFixture.Recorder(f.clock);
        final SipMessage invite = f.invite(BRANCH);

        @Test
        void timerA_doubles_and_timerB_times_out_at_64_T1() {
            ClientTransaction tx = f.layer.sendRequest(invite, f.flow, rec);
            assertThat(tx.state()).isEqualTo(TransactionState.CALLING);
            assertThat(tx.isInvite()).isTrue();
            assertThat(tx.branch()).isEqualTo(BRANCH);
            assertThat(f.layer.clientTransactionCount()).isEqualTo(1);

            f.clock.advanceMillis(31_999);
            assertThat(f.transport.sendTimes()).containsExactly(0L, 500L, 1_500L, 3_500L, 7_500L, 15_500L, 31_500L);
            assertThat(f.transport.sent()).allSatisfy(s -> assertThat(s.destination()).isEqualTo(TxFixture.PEER));
            assertThat(f.transport.sent()).allSatisfy(s -> assertThat(s.bytes()).isEqualTo(f.transport.sent().get(0).bytes()));
            assertThat(rec.timeouts).isZero();

            f.clock.advanceMillis(1);
            assertThat(rec.timeouts).isEqualTo(1);
            assertThat(rec.timeoutAt).isEqualTo(32_000);
            assertThat(rec.terminated).isEqualTo(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.clientTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
        }

        @Test
        void provisional_stops_retransmissions_and_timerB() {
            ClientTransaction tx = f.layer.sendRequest(invite, f.flow, rec);
            f.clock.advanceMillis(600);
            assertThat(f.layer.onResponse(f.response(invite, 180), f.flow)).isTrue();
            assertThat(tx.state()).isEqualTo(TransactionState.PROCEEDING);
            assertThat(rec.codes()).containsExactly(180);

            f.clock.advanceMillis(120_000);
            assertThat(f.transport.sendTimes()).containsExactly(0L, 500L);
            assertThat(rec.timeouts).isZero();
            assertThat(tx.state()).isEqualTo(TransactionState.PROCEEDING);
            assertThat(f.clock.pendingTimers()).isZero();

            f.layer.onResponse(f.response(invite, 183), f.flow);
            assertThat(rec.codes()).containsExactly(180, 183);
        }

        @Test
        void non2xx_final_is_acked_once_passed_up_once_and_reacked_on_retransmission() throws Exception {
            ClientTransaction tx = f.layer.sendRequest(invite, f.flow, rec);
            f.layer.onResponse(f.response(invite, 180), f.flow);
            f.transport.clear();

            SipMessage busy = f.response(invite, 486);
            assertThat(f.layer.onResponse(busy, f.flow)).isTrue();
            assertThat(tx.state()).isEqualTo(TransactionState.COMPLETED);
            assertThat(rec.codes()).containsExactly(180, 486);
            assertThat(f.transport.sent()).hasSize(1);

            FakeTransport.Sent sentAck = f.transport.last();
            assertThat(sentAck.destination()).isEqualTo(TxFixture.PEER);
            Request ack = sentAck.parse().request();
            Request inv = invite.request();
            assertThat(ack.getMethod()).isEqualTo(Request.ACK);
            assertThat(ack.getRequestURI()).isEqualTo(inv.getRequestURI());
            List<Object> vias = new ArrayList<>();
            ack.getHeaders(ViaHeader.NAME).forEachRemaining(vias::add);
            assertThat(vias).hasSize(1);
            assertThat(((ViaHeader) vias.get(0)).getBranch()).isEqualTo(BRANCH);
            assertThat(((ViaHeader) vias.get(0)).getHost()).isEqualTo("192.0.2.10");
            assertThat(((FromHeader) ack.getHeader(FromHeader.NAME)).getTag()).isEqualTo("from-1");
            assertThat(((ToHeader) ack.getHeader(ToHeader.NAME)).getTag()).isEqualTo("uas-1");
            assertThat(sentAck.parse().callId()).isEqualTo(invite.callId());
            CSeqHeader cseq = (CSeqHeader) ack.getHeader(CSeqHeader.NAME);
            assertThat(cseq.getSeqNumber()).isEqualTo(1);
            assertThat(cseq.getMethod()).isEqualTo(Request.ACK);
            assertThat(((MaxForwardsHeader) ack.getHeader(MaxForwardsHeader.NAME)).getMaxForwards()).isEqualTo(70);
            List<String> routes = new ArrayList<>();
            ack.getHeaders(RouteHeader.NAME).forEachRemaining(
                    h -> routes.add(((RouteHeader) h).getAddress().getURI().toString()));
            assertThat(routes).containsExactly("sip:p1.example.com;lr", "sip:p2.example.com;lr");

            f.clock.advanceMillis(10_000);
            assertThat(f.layer.onResponse(f.response(invite, 486), f.flow)).isTrue();
            assertThat(rec.codes()).containsExactly(180, 486);
            assertThat(f.transport.sent()).hasSize(2);
            assertThat(f.transport.last().bytes()).isEqualTo(sentAck.bytes());

            f.clock.advanceMillis(21_999);
            assertThat(tx.state()).isEqualTo(TransactionState.COMPLETED);
            f.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.clientTransactionCount()).isZero();
            assertThat(rec.terminated).isEqualTo(1);
            assertThat(rec.timeouts).isZero();
            assertThat(f.layer.onResponse(f.response(invite, 486), f.flow)).isFalse();
        }

        @Test
        void ok_moves_to_accepted_passes_every_2xx_and_terminates_after_timerM() {
            ClientTransaction tx = f.layer.sendRequest(invite, f.flow, rec);
            f.clock.advanceMillis(700);
            f.transport.clear();

            f.layer.onResponse(f.response(invite, 200), f.flow);
            assertThat(tx.state()).isEqualTo(TransactionState.ACCEPTED);
            f.clock.advanceMillis(1_000);
            f.layer.onResponse(f.response(invite, 200), f.flow);
            f.layer.onResponse(f.response(invite, 200, "uas-2"), f.flow); // forked 2xx
            assertThat(rec.codes()).containsExactly(200, 200, 200);
            assertThat(f.transport.sent()).as("no ACK, no retransmission for 2xx").isEmpty();

            f.clock.advanceMillis(30_999); // Timer M started at 700 ms
            assertThat(tx.state()).isEqualTo(TransactionState.ACCEPTED);
            f.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.clientTransactionCount()).isZero();
            assertThat(rec.timeouts).isZero();
            assertThat(rec.terminated).isEqualTo(1);
            assertThat(f.transport.sent()).isEmpty();
        }

        @Test
        void response_matching_needs_branch_and_cseq_method() {
            f.layer.sendRequest(invite, f.flow, rec);
            SipMessage other = f.request(Request.INVITE, "z9hG4bK-other", 1, "UDP");
            assertThat(f.layer.onResponse(f.response(other, 180), f.flow)).isFalse();
            SipMessage cancel = f.request(Request.CANCEL, BRANCH, 1, "UDP");
            assertThat(f.layer.onResponse(f.response(cancel, 200), f.flow)).isFalse();
            assertThat(rec.responses).isEmpty();
        }

        @Test
        void transport_error_terminates() {
            f.transport.failWith(new IOException("unreachable"));
            ClientTransaction tx = f.layer.sendRequest(invite, f.flow, rec);
            assertThat(rec.errors).hasSize(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.clientTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
            assertThat(rec.terminated).isEqualTo(1);
        }

        @Test
        void transport_error_on_retransmission_terminates() {
            ClientTransaction tx = f.layer.sendRequest(invite, f.flow, rec);
            f.transport.failWith(new IOException("gone"));
            f.clock.advanceMillis(500);
            assertThat(rec.errors).hasSize(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            f.clock.advanceMillis(60_000);
            assertThat(rec.timeouts).isZero();
        }

        @Test
        void honours_a_smaller_T1() {
            TxFixture g = new TxFixture(TransportType.UDP, new TimerSettings(100, 4_000, 5_000));
            TxFixture.Recorder r = new TxFixture.Recorder(g.clock);
            g.layer.sendRequest(g.invite(BRANCH), g.flow, r);
            g.clock.advanceMillis(10_000);
            assertThat(g.transport.sendTimes()).containsExactly(0L, 100L, 300L, 700L, 1_500L, 3_100L, 6_300L);
            assertThat(r.timeoutAt).isEqualTo(6_400);
        }

        @Test
        void rejects_ack_duplicates_and_requests_without_a_3261_branch() {
            f.layer.sendRequest(invite, f.flow, rec);
            assertThatThrownBy(() -> f.layer.sendRequest(invite, f.flow, rec))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> f.layer.sendRequest(f.request(Request.ACK, "z9hG4bK-a", 1, "UDP"), f.flow, rec))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> f.layer.sendRequest(f.request(Request.INVITE, "old-style", 1, "UDP"), f.flow, rec))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Nested
    class InviteOverTcp {
        final TxFixture f = new TxFixture(TransportType.TCP);
        final TxFixture.Recorder rec = new TxFixture.Recorder(f.clock);
        final SipMessage invite = f.invite(BRANCH);

        @Test
        void no_retransmissions_and_timeout_at_32s() {
            f.layer.sendRequest(invite, f.flow, rec);
            f.clock.advanceMillis(31_999);
            assertThat(f.transport.sendTimes()).containsExactly(0L);
            assertThat(rec.timeouts).isZero();
            f.clock.advanceMillis(1);
            assertThat(rec.timeoutAt).isEqualTo(32_000);
            assertThat(f.layer.clientTransactionCount()).isZero();
        }

        @Test
        void non2xx_final_acked_and_terminated_at_once() {
            ClientTransaction tx = f.layer.sendRequest(invite, f.flow, rec);
            f.layer.onResponse(f.response(invite, 503), f.flow);
            assertThat(f.transport.sent()).hasSize(2);
            assertThat(f.transport.last().firstLine()).isEqualTo("ACK sip:bob@example.com SIP/2.0");
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.clientTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
            assertThat(rec.codes()).containsExactly(503);
        }
    }

    @Nested
    class NonInviteOverUdp {
        final TxFixture f = new TxFixture(TransportType.UDP);
        final TxFixture.Recorder rec = new TxFixture.Recorder(f.clock);
        final SipMessage options = f.options(BRANCH);

        @Test
        void timerE_doubles_up_to_T2_and_timerF_times_out() {
            ClientTransaction tx = f.layer.sendRequest(options, f.flow, rec);
            assertThat(tx.state()).isEqualTo(TransactionState.TRYING);
            assertThat(tx.isInvite()).isFalse();
            f.clock.advanceMillis(31_999);
            // intervals 0.5, 1, 2, 4, 4, 4 ...
            assertThat(f.transport.sendTimes()).containsExactly(0L, 500L, 1_500L, 3_500L, 7_500L, 11_500L, 15_500L,
                    19_500L, 23_500L, 27_500L, 31_500L);
            assertThat(rec.timeouts).isZero();
            f.clock.advanceMillis(1);
            assertThat(rec.timeoutAt).isEqualTo(32_000);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.clientTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
        }

        @Test
        void after_a_provisional_retransmits_every_T2_and_still_times_out() {
            ClientTransaction tx = f.layer.sendRequest(options, f.flow, rec);
            f.clock.advanceMillis(600);
            f.layer.onResponse(f.response(options, 100), f.flow);
            assertThat(tx.state()).isEqualTo(TransactionState.PROCEEDING);
            f.clock.advanceMillis(31_399);
            // E armed at 500 for 1 s fires at 1500, then every T2
            assertThat(f.transport.sendTimes()).containsExactly(0L, 500L, 1_500L, 5_500L, 9_500L, 13_500L, 17_500L,
                    21_500L, 25_500L, 29_500L);
            f.clock.advanceMillis(1);
            assertThat(rec.timeouts).isEqualTo(1);
            assertThat(rec.codes()).containsExactly(100);
        }

        @Test
        void final_response_completes_and_timerK_terminates_after_T4() {
            ClientTransaction tx = f.layer.sendRequest(options, f.flow, rec);
            f.clock.advanceMillis(700);
            f.layer.onResponse(f.response(options, 200), f.flow);
            assertThat(tx.state()).isEqualTo(TransactionState.COMPLETED);
            assertThat(f.layer.onResponse(f.response(options, 200), f.flow)).as("retransmission absorbed").isTrue();
            assertThat(rec.codes()).containsExactly(200);
            f.clock.advanceMillis(4_999);
            assertThat(tx.state()).isEqualTo(TransactionState.COMPLETED);
            assertThat(f.transport.sendTimes()).containsExactly(0L, 500L);
            f.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.clientTransactionCount()).isZero();
            assertThat(rec.terminated).isEqualTo(1);
            assertThat(rec.timeouts).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
        }

        @Test
        void honours_a_smaller_T2() {
            TxFixture g = new TxFixture(TransportType.UDP, new TimerSettings(500, 1_000, 5_000));
            g.layer.sendRequest(g.options(BRANCH), g.flow, new TxFixture.Recorder(g.clock));
            g.clock.advanceMillis(4_000);
            assertThat(g.transport.sendTimes()).containsExactly(0L, 500L, 1_500L, 2_500L, 3_500L);
        }
    }

    @Nested
    class NonInviteOverTcp {
        final TxFixture f = new TxFixture(TransportType.TCP);
        final TxFixture.Recorder rec = new TxFixture.Recorder(f.clock);
        final SipMessage options = f.options(BRANCH);

        @Test
        void no_retransmissions_timerF_and_timerK_zero() {
            ClientTransaction tx = f.layer.sendRequest(options, f.flow, rec);
            f.clock.advanceMillis(10_000);
            assertThat(f.transport.sendTimes()).containsExactly(0L);
            f.layer.onResponse(f.response(options, 404), f.flow);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.clientTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
            assertThat(rec.codes()).containsExactly(404);
        }

        @Test
        void timerF_over_tcp() {
            f.layer.sendRequest(options, f.flow, rec);
            f.clock.advanceMillis(32_000);
            assertThat(rec.timeoutAt).isEqualTo(32_000);
            assertThat(f.transport.sendTimes()).containsExactly(0L);
        }
    }

    @Test
    void close_cancels_timers_and_clears_tables() {
        TxFixture f = new TxFixture(TransportType.UDP);
        TxFixture.Recorder rec = new TxFixture.Recorder(f.clock);
        f.layer.sendRequest(f.invite(BRANCH), f.flow, rec);
        f.layer.sendRequest(f.options("z9hG4bK-opt"), f.flow, rec);
        SipMessage inbound = f.invite("z9hG4bK-in");
        f.layer.createServer(inbound, f.flow).respond(f.response(inbound, 486));
        assertThat(f.clock.pendingTimers()).isPositive();
        f.layer.close();
        assertThat(f.clock.pendingTimers()).isZero();
        assertThat(f.layer.clientTransactionCount()).isZero();
        assertThat(f.layer.serverTransactionCount()).isZero();
        f.clock.advanceMillis(60_000);
        assertThat(rec.timeouts).isZero();
        assertThatThrownBy(() -> f.layer.sendRequest(f.options("z9hG4bK-late"), f.flow, rec))
                .isInstanceOf(IllegalStateException.class);
    }
}
