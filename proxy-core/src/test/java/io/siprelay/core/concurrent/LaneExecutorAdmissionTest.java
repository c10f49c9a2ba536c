package io.siprelay.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.concurrent.KeyedExecutor.Admission;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Overload control by queueing delay: once the oldest queued task has waited longer than the bound, new UDP work is
 * refused long before the queue is full; continuing work may wait twice as long; new stream work and in-progress
 * work only need room in the queue.
 */
class LaneExecutorAdmissionTest {

    private static final Duration BOUND = Duration.ofMillis(200);
    private final LaneExecutor lanes = new LaneExecutor(1, 100, BOUND, Duration.ZERO); // no start-up grace

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

    private static Runnable blocker(CountDownLatch release, CountDownLatch started) {
        return () -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Test
    @Timeout(30)
    void admissionFollowsTheAgeOfTheOldestQueuedTask() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        lanes.execute("k", Admission.IN_PROGRESS, blocker(release, started)); // a route stuck on a database
        started.await();
        try {
            assertThat(lanes.execute("k", Admission.NEW_WORK, () -> { })).as("nothing waits yet").isTrue();
            sleep(250); // the queued task is now older than the bound (sleep never returns early)
            assertThat(lanes.execute("k", Admission.NEW_WORK, () -> { })).isFalse();
            assertThat(lanes.execute("k", Admission.NEW_STREAM_WORK, () -> { }))
                    .as("a TCP client does not retransmit: only the queue length limits").isTrue();
            assertThat(lanes.execute("k", Admission.CONTINUING, () -> { })).as("under twice the bound").isTrue();
            sleep(200); // now older than twice the bound
            assertThat(lanes.execute("k", Admission.CONTINUING, () -> { })).isFalse();
            int inProgress = 0;
            while (inProgress < 200 && lanes.execute("k", Admission.IN_PROGRESS, () -> { })) {
                inProgress++;
            }
            assertThat(inProgress).as("responses and timers fill the queue up to its capacity").isEqualTo(100 - 3);
            assertThat(lanes.execute("k", Admission.NEW_STREAM_WORK, () -> { })).isFalse();
            assertThat(lanes.rejected()).isEqualTo(4);
        } finally {
            release.countDown();
        }
    }

    @Test
    @Timeout(30)
    void aShortQueueAdmitsEverythingAndTheQueueLengthStillLimitsNewWork() throws Exception {
        LaneExecutor unbounded = new LaneExecutor(1, 8, Duration.ZERO);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        try {
            unbounded.execute("k", Admission.IN_PROGRESS, blocker(release, started));
            started.await();
            sleep(50);
            int n = 0;
            while (n < 100 && unbounded.execute("k", Admission.NEW_WORK, () -> { })) {
                n++;
            }
            assertThat(n).isEqualTo(6); // 3/4 of 8; no delay bound
        } finally {
            release.countDown();
            unbounded.close();
        }
    }

    @Test
    @Timeout(30)
    void justAfterStartNewWorkMayWaitUpToTheGraceDelayThenThePlainBoundHolds() throws Exception {
        LaneExecutor starting = new LaneExecutor(1, 100, BOUND, Duration.ofMillis(600));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        try {
            starting.execute("k", Admission.IN_PROGRESS, blocker(release, started)); // the grace starts here
            started.await();
            assertThat(starting.execute("k", Admission.NEW_WORK, () -> { })).isTrue();
            sleep(250); // the queued task is older than the 200 ms bound, but the proxy has just started
            assertThat(starting.execute("k", Admission.NEW_WORK, () -> { }))
                    .as("within the start-up grace a wait under 1 s is admitted").isTrue();
            sleep(400); // the grace (600 ms) is over
            assertThat(starting.execute("k", Admission.NEW_WORK, () -> { })).as("the plain bound again").isFalse();
            assertThat(starting.rejected()).isEqualTo(1);
        } finally {
            release.countDown();
            starting.close();
        }
    }
}
