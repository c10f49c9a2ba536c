package io.siprelay.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.concurrent.KeyedExecutor.Admission;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A task submitted from a {@link DispatchThread} runs on that thread when its lane is idle, and is queued behind the
 * lane's work otherwise, so per-key order holds whichever thread runs a task.
 */
class LaneExecutorInlineTest {

    private final LaneExecutor lanes = new LaneExecutor(1, 100);

    @AfterEach
    void close() {
        lanes.close();
    }

    /** Runs {@code body} on a fresh dispatch thread and waits for it. */
    private static void onDispatchThread(Runnable body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        DispatchThread t = new DispatchThread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "test-dispatch");
        t.start();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
    }

    @Test
    @Timeout(30)
    void idleLaneRunsTheTaskOnTheDispatchThreadAndOtherThreadsQueueIt() throws Exception {
        AtomicReference<String> ranOn = new AtomicReference<>();
        onDispatchThread(() -> assertThat(lanes.execute("k", Admission.NEW_WORK,
                () -> ranOn.set(Thread.currentThread().getName()))).isTrue());
        assertThat(ranOn.get()).isEqualTo("test-dispatch");

        CountDownLatch done = new CountDownLatch(1);
        lanes.execute("k", Admission.NEW_WORK, () -> {
            ranOn.set(Thread.currentThread().getName());
            done.countDown();
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(ranOn.get()).as("a plain thread hands the task to the lane").startsWith("siprelay-worker-");
    }

    @Test
    @Timeout(30)
    void busyLaneQueuesTheDispatchThreadsTaskBehindItsWork() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        lanes.execute("k", Admission.IN_PROGRESS, () -> {
            started.countDown();
            await(release);
            order.add("first");
        });
        started.await();
        CountDownLatch second = new CountDownLatch(1);
        onDispatchThread(() -> lanes.execute("k", Admission.NEW_WORK, () -> {
            order.add("second on " + Thread.currentThread().getName());
            second.countDown();
        }));
        assertThat(order).as("queued, not run past the running task").isEmpty();
        release.countDown();
        assertThat(second.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(order).containsExactly("first", "second on siprelay-worker-0");
    }

    @Test
    @Timeout(30)
    void aTaskSubmittedFromAnInlineTaskIsQueuedNotNested() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch inner = new CountDownLatch(1);
        onDispatchThread(() -> lanes.execute("a", Admission.NEW_WORK, () -> {
            lanes.execute("b", Admission.IN_PROGRESS, () -> {
                order.add("inner");
                inner.countDown();
            });
            order.add("outer done");
        }));
        assertThat(inner.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(order).containsExactly("outer done", "inner");
    }

    @Test
    @Timeout(30)
    void aFailingInlineTaskLeavesTheLaneUsable() throws Exception {
        onDispatchThread(() -> lanes.execute("k", Admission.NEW_WORK, () -> {
            throw new IllegalStateException("route bug");
        }));
        CountDownLatch ran = new CountDownLatch(1);
        onDispatchThread(() -> lanes.execute("k", Admission.NEW_WORK, ran::countDown));
        assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
