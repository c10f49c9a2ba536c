package io.siprelay.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.concurrent.KeyedExecutor.Admission;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Overload control by queueing delay: once a lane's tasks are known to take ~20 ms, new work that would wait more
 * than the bound is refused long before the queue is full; continuing work may wait twice as long; in-progress work
 * only needs room in the queue.
 */
class LaneExecutorAdmissionTest {

    private final LaneExecutor lanes = new LaneExecutor(1, 1000, Duration.ofMillis(100));

    @AfterEach
    void close() {
        lanes.close();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    @Timeout(30)
    void newWorkIsRefusedByExpectedDelayContinuingWorkLaterInProgressWorkOnlyWhenFull() throws Exception {
        // teach the lane its service time: 40 tasks of 20 ms (the average converges within 1/16 per task)
        CountDownLatch learned = new CountDownLatch(40);
        for (int i = 0; i < 40; i++) {
            assertThat(lanes.execute("k", Admission.IN_PROGRESS, () -> {
                sleep(20);
                learned.countDown();
            })).isTrue();
        }
        assertThat(learned.await(10, TimeUnit.SECONDS)).isTrue();

        CountDownLatch release = new CountDownLatch(1);
        lanes.execute("k", Admission.IN_PROGRESS, () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        sleep(50); // the blocker is running, the queue is empty
        int newWork = 0;
        while (newWork < 1000 && lanes.execute("k", Admission.NEW_WORK, () -> { })) {
            newWork++;
        }
        assertThat(lanes.execute("k", Admission.NEW_STREAM_WORK, () -> { }))
                .as("a TCP client does not retransmit: only the queue length limits").isTrue();
        int continuing = 1; // the stream task above
        while (continuing < 1000 && lanes.execute("k", Admission.CONTINUING, () -> { })) {
            continuing++;
        }
        int inProgress = 0;
        while (inProgress < 1000 && lanes.execute("k", Admission.IN_PROGRESS, () -> { })) {
            inProgress++;
        }
        assertThat(lanes.execute("k", Admission.NEW_STREAM_WORK, () -> { })).as("the queue is full now").isFalse();
        release.countDown();

        // ~20 ms a task, 100 ms bound: about 5 new tasks, 5 more continuing ones (10 × 20 ms = 200 ms), the rest of
        // the 1000 slots for in-progress work; the 3/4 mark (750) never came into play
        assertThat(newWork).isBetween(2, 8);
        assertThat(newWork + continuing).isBetween(2 * newWork - 2, 2 * newWork + 2);
        assertThat(newWork + continuing + inProgress).isEqualTo(1000);
        assertThat(lanes.rejected()).isEqualTo(4);
    }

    @Test
    void zeroDelayBoundLeavesOnlyTheQueueLengthLimit() {
        LaneExecutor unbounded = new LaneExecutor(1, 8, Duration.ZERO);
        try {
            CountDownLatch release = new CountDownLatch(1);
            unbounded.execute("k", Admission.IN_PROGRESS, () -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            sleep(50);
            int n = 0;
            while (n < 100 && unbounded.execute("k", Admission.NEW_WORK, () -> { })) {
                n++;
            }
            release.countDown();
            assertThat(n).isEqualTo(6); // 3/4 of 8
        } finally {
            unbounded.close();
        }
    }
}
