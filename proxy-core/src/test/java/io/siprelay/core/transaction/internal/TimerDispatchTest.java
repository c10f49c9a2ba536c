package io.siprelay.core.transaction.internal;

import io.siprelay.core.transaction.TimerSettings;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.concurrent.KeyedExecutor;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.TransportType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Timer handlers go through the keyed executor on the call's lane, and survive a full lane. */
class TimerDispatchTest {

    /** Runs inline, records keys and admissions, refuses the first {@code refuse} tasks. */
    static final class RecordingExecutor implements KeyedExecutor {
        final List<String> keys = new ArrayList<>();
        final List<Admission> admissions = new ArrayList<>();
        int refuse;
        long rejected;

        @Override
        public boolean execute(String key, Admission admission, Runnable task) {
            if (refuse > 0) {
                refuse--;
                rejected++;
                return false;
            }
            keys.add(key);
            admissions.add(admission);
            task.run();
            return true;
        }

        @Override
        public long rejected() {
            return rejected;
        }

        @Override
        public void close() {
        }
    }

    private final VirtualClock clock = new VirtualClock();
    private final RecordingExecutor executor = new RecordingExecutor();
    private final TransactionLayer layer =
            new TransactionLayer(SipCodec.create(), clock, executor, TimerSettings.defaults());
    private final FakeTransport transport = new FakeTransport(TransportType.UDP, clock);
    private final Flow flow = new Flow(transport, TxFixture.PEER);
    private final TxFixture messages = new TxFixture(TransportType.UDP);

    @Test
    void timers_run_on_the_call_id_lane_as_in_progress_work() {
        SipMessage invite = messages.invite("z9hG4bK-lane");
        layer.sendRequest(invite, flow, new TxFixture.Recorder(clock));
        clock.advanceMillis(1_500);
        assertThat(executor.keys).containsExactly("call-1@192.0.2.10", "call-1@192.0.2.10");
        assertThat(executor.admissions).containsOnly(KeyedExecutor.Admission.IN_PROGRESS);
    }

    @Test
    void a_refused_timer_task_is_retried_so_the_transaction_still_ends() {
        SipMessage options = messages.options("z9hG4bK-full");
        TxFixture.Recorder rec = new TxFixture.Recorder(clock);
        layer.sendRequest(options, flow, rec);
        clock.advanceMillis(31_999);
        executor.refuse = 2;
        clock.advanceMillis(1); // Timer F refused at 32.0 s, retried at 32.5 s, refused, then runs at 33.0 s
        assertThat(rec.timeouts).isZero();
        clock.advanceMillis(1_000);
        assertThat(rec.timeoutAt).isEqualTo(33_000);
        assertThat(layer.clientTransactionCount()).isZero();
        assertThat(clock.pendingTimers()).isZero();
    }
}
