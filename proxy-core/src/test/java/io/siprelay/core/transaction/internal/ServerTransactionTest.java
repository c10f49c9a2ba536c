package io.siprelay.core.transaction.internal;

import io.siprelay.core.transaction.TimerSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.TransportType;
import java.net.InetSocketAddress;
import javax.sip.message.Request;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ServerTransactionTest {

    private static final String BRANCH = "z9hG4bK-server-1";

    @Nested
    class InviteOverUdp {
        final TxFixture f = new TxFixture(TransportType.UDP);
        final SipMessage invite = f.invite(BRANCH);

        @Test
        void retransmitted_invite_is_absorbed_and_last_provisional_resent() {
            assertThat(f.layer.absorb(invite, f.flow)).isFalse();
            ServerTransaction tx = f.layer.createServer(invite, f.flow);
            assertThat(tx.state()).isEqualTo(TransactionState.PROCEEDING);
            assertThat(tx.isInvite()).isTrue();
            assertThat(f.layer.serverTransactionCount()).isEqualTo(1);

            assertThat(f.layer.absorb(f.invite(BRANCH), f.flow)).as("no response yet: absorbed silently").isTrue();
            assertThat(f.transport.sent()).isEmpty();

            tx.respond(f.response(invite, 180, "uas-1"));
            assertThat(tx.state()).isEqualTo(TransactionState.PROCEEDING);
            assertThat(tx.lastStatus()).isEqualTo(180);
            assertThat(f.layer.absorb(f.invite(BRANCH), f.flow)).isTrue();
            assertThat(f.transport.sent()).hasSize(2);
            assertThat(f.transport.sent().get(1).bytes()).isEqualTo(f.transport.sent().get(0).bytes());
            assertThat(f.transport.last().destination()).isEqualTo(new InetSocketAddress("192.0.2.10", 5060));
            assertThat(f.transport.last().firstLine()).isEqualTo("SIP/2.0 180 Ringing");
        }

        @Test
        void non2xx_final_retransmitted_by_timerG_until_ack_then_confirmed_and_timerI() {
            ServerTransaction tx = f.layer.createServer(invite, f.flow);
            SipMessage busy = f.response(invite, 486);
            tx.respond(busy);
            assertThat(tx.state()).isEqualTo(TransactionState.COMPLETED);

            f.clock.advanceMillis(12_000);
            assertThat(f.transport.sendTimes()).containsExactly(0L, 500L, 1_500L, 3_500L, 7_500L, 11_500L);
            assertThat(f.transport.sent()).allSatisfy(s -> assertThat(s.firstLine()).isEqualTo("SIP/2.0 486 Busy here"));

            assertThat(f.layer.absorb(f.invite(BRANCH), f.flow)).as("INVITE retransmission").isTrue();
            assertThat(f.transport.sent()).hasSize(7);

            assertThat(f.layer.absorb(f.ackFor(invite, busy), f.flow)).isTrue();
            assertThat(tx.state()).isEqualTo(TransactionState.CONFIRMED);
            assertThat(f.layer.absorb(f.ackFor(invite, busy), f.flow)).as("ACK retransmission").isTrue();

            f.clock.advanceMillis(4_999);
            assertThat(f.transport.sent()).as("Timer G stopped by the ACK").hasSize(7);
            assertThat(tx.state()).isEqualTo(TransactionState.CONFIRMED);
            f.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.serverTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
            assertThat(f.layer.absorb(f.ackFor(invite, busy), f.flow)).isFalse();
        }

        @Test
        void timerH_terminates_without_ack() {
            ServerTransaction tx = f.layer.createServer(invite, f.flow);
            tx.respond(f.response(invite, 603));
            f.clock.advanceMillis(31_999);
            assertThat(f.transport.sendTimes()).containsExactly(0L, 500L, 1_500L, 3_500L, 7_500L, 11_500L, 15_500L,
                    19_500L, 23_500L, 27_500L, 31_500L);
            assertThat(tx.state()).isEqualTo(TransactionState.COMPLETED);
            f.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.serverTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
        }

        @Test
        void ok_moves_to_accepted_ack_is_not_absorbed_and_timerL_terminates() {
            ServerTransaction tx = f.layer.createServer(invite, f.flow);
            tx.respond(f.response(invite, 100, null));
            SipMessage ok = f.response(invite, 200);
            tx.respond(ok);
            assertThat(tx.state()).isEqualTo(TransactionState.ACCEPTED);
            f.clock.advanceMillis(1_000);
            assertThat(f.transport.sent()).as("no retransmission of 2xx by the transaction").hasSize(2);

            tx.respond(f.response(invite, 200)); // the UAS's retransmission, forwarded by the proxy
            assertThat(f.transport.sent()).hasSize(3);
            assertThat(f.layer.absorb(f.invite(BRANCH), f.flow)).as("INVITE retransmission absorbed").isTrue();
            assertThat(f.transport.sent()).hasSize(3);

            assertThat(f.layer.absorb(f.ackFor(invite, ok), f.flow)).as("2xx ACK goes end to end").isFalse();
            SipMessage ack2xx = f.request(Request.ACK, "z9hG4bK-ack-2xx", 1, "UDP", "192.0.2.10:5060", "", "uas-1");
            assertThat(f.layer.absorb(ack2xx, f.flow)).isFalse();
            assertThat(tx.state()).isEqualTo(TransactionState.ACCEPTED);

            assertThatThrownBy(() -> tx.respond(f.response(invite, 486))).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> tx.respond(f.response(invite, 180))).isInstanceOf(IllegalStateException.class);

            f.clock.advanceMillis(30_999); // Timer L armed at 0
            assertThat(tx.state()).isEqualTo(TransactionState.ACCEPTED);
            f.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.serverTransactionCount()).isZero();
            assertThatThrownBy(() -> tx.respond(f.response(invite, 200))).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void timerL_at_64_T1() {
            ServerTransaction tx = f.layer.createServer(invite, f.flow);
            tx.respond(f.response(invite, 200));
            f.clock.advanceMillis(31_999);
            assertThat(tx.state()).isEqualTo(TransactionState.ACCEPTED);
            f.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
        }

        @Test
        void second_final_is_refused() {
            ServerTransaction tx = f.layer.createServer(invite, f.flow);
            tx.respond(f.response(invite, 486));
            assertThatThrownBy(() -> tx.respond(f.response(invite, 200))).isInstanceOf(IllegalStateException.class);
        }

        @Test
        void honours_smaller_T1_and_T2_and_T4() {
            TxFixture g = new TxFixture(TransportType.UDP, new TimerSettings(100, 800, 1_000));
            SipMessage inv = g.invite(BRANCH);
            ServerTransaction tx = g.layer.createServer(inv, g.flow);
            SipMessage busy = g.response(inv, 486);
            tx.respond(busy);
            g.clock.advanceMillis(3_000);
            assertThat(g.transport.sendTimes()).containsExactly(0L, 100L, 300L, 700L, 1_500L, 2_300L);
            g.layer.absorb(g.ackFor(inv, busy), g.flow);
            g.clock.advanceMillis(999);
            assertThat(tx.state()).isEqualTo(TransactionState.CONFIRMED);
            g.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);

            SipMessage inv2 = g.invite("z9hG4bK-2");
            ServerTransaction tx2 = g.layer.createServer(inv2, g.flow);
            tx2.respond(g.response(inv2, 404));
            g.clock.advanceMillis(6_399);
            assertThat(tx2.state()).isEqualTo(TransactionState.COMPLETED);
            g.clock.advanceMillis(1);
            assertThat(tx2.state()).as("Timer H = 64*T1").isEqualTo(TransactionState.TERMINATED);
        }
    }

    @Nested
    class InviteOverTcp {
        final TxFixture f = new TxFixture(TransportType.TCP);
        final InetSocketAddress connection = new InetSocketAddress("198.51.100.7", 40_000);
        final Flow flow = new Flow(f.transport, connection);
        final SipMessage invite = f.invite(BRANCH);

        @Test
        void responses_go_back_on_the_connection_without_timerG_and_ack_terminates_at_once() {
            ServerTransaction tx = f.layer.createServer(invite, flow);
            SipMessage busy = f.response(invite, 486);
            tx.respond(busy);
            f.clock.advanceMillis(10_000);
            assertThat(f.transport.sendTimes()).containsExactly(0L);
            assertThat(f.transport.last().destination()).isEqualTo(connection);

            assertThat(f.layer.absorb(f.ackFor(invite, busy), flow)).isTrue();
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.serverTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
        }

        @Test
        void timerH_over_tcp() {
            ServerTransaction tx = f.layer.createServer(invite, flow);
            tx.respond(f.response(invite, 486));
            f.clock.advanceMillis(32_000);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.transport.sent()).hasSize(1);
        }
    }

    @Nested
    class NonInvite {
        @Test
        void udp_trying_proceeding_completed_and_timerJ() {
            TxFixture f = new TxFixture(TransportType.UDP);
            SipMessage options = f.options(BRANCH);
            ServerTransaction tx = f.layer.createServer(options, f.flow);
            assertThat(tx.state()).isEqualTo(TransactionState.TRYING);
            assertThat(tx.isInvite()).isFalse();
            assertThat(f.layer.absorb(f.options(BRANCH), f.flow)).isTrue();
            assertThat(f.transport.sent()).as("nothing to re-send in Trying").isEmpty();

            tx.respond(f.response(options, 100, null));
            assertThat(tx.state()).isEqualTo(TransactionState.PROCEEDING);
            assertThat(f.layer.absorb(f.options(BRANCH), f.flow)).isTrue();
            assertThat(f.transport.sent()).hasSize(2);

            tx.respond(f.response(options, 200));
            assertThat(tx.state()).isEqualTo(TransactionState.COMPLETED);
            f.clock.advanceMillis(10_000);
            assertThat(f.transport.sent()).as("no Timer G for non-INVITE").hasSize(3);
            assertThat(f.layer.absorb(f.options(BRANCH), f.flow)).isTrue();
            assertThat(f.transport.sent()).hasSize(4);
            assertThat(f.transport.last().firstLine()).isEqualTo("SIP/2.0 200 OK");
            assertThatThrownBy(() -> tx.respond(f.response(options, 500))).isInstanceOf(IllegalStateException.class);

            f.clock.advanceMillis(21_999);
            assertThat(tx.state()).isEqualTo(TransactionState.COMPLETED);
            f.clock.advanceMillis(1);
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.serverTransactionCount()).isZero();
            assertThat(f.layer.absorb(f.options(BRANCH), f.flow)).isFalse();
        }

        @Test
        void tcp_timerJ_is_zero() {
            TxFixture f = new TxFixture(TransportType.TCP);
            SipMessage options = f.options(BRANCH);
            ServerTransaction tx = f.layer.createServer(options, f.flow);
            tx.respond(f.response(options, 200));
            assertThat(tx.state()).isEqualTo(TransactionState.TERMINATED);
            assertThat(f.layer.serverTransactionCount()).isZero();
            assertThat(f.clock.pendingTimers()).isZero();
        }
    }

    @Test
    void ack_and_requests_matching_nothing_are_not_absorbed() {
        TxFixture f = new TxFixture(TransportType.UDP);
        SipMessage invite = f.invite(BRANCH);
        assertThat(f.layer.absorb(f.ackFor(invite, f.response(invite, 486)), f.flow)).isFalse();
        f.layer.createServer(invite, f.flow);
        assertThat(f.layer.absorb(f.request(Request.INVITE, "z9hG4bK-other", 1, "UDP"), f.flow)).isFalse();
        assertThat(f.layer.absorb(f.request(Request.INVITE, BRANCH, 1, "UDP", "192.0.2.99:5060", "", ""), f.flow))
                .as("same branch, other sent-by").isFalse();
        assertThat(f.layer.absorb(f.request(Request.OPTIONS, BRANCH, 1, "UDP"), f.flow))
                .as("same branch, other method").isFalse();
        assertThatThrownBy(() -> f.layer.createServer(f.ackFor(invite, f.response(invite, 486)), f.flow))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
