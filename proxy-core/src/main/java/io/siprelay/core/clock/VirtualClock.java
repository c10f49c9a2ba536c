package io.siprelay.core.clock;

import java.time.Duration;
import java.util.PriorityQueue;

/**
 * Time that moves only when a test says so. Timers fire in order of due time (then of scheduling) on the thread
 * that calls {@link #advance}. Not thread-safe by design: tests drive it from one thread.
 */
public final class VirtualClock implements SipClock {

    private final PriorityQueue<Task> queue = new PriorityQueue<>();
    private long now;
    private long wallOffset;
    private long sequence;
    private Runnable afterEachTask = () -> { };

    public VirtualClock() {
        this(1_700_000_000_000L);
    }

    public VirtualClock(long wallMillisAtStart) {
        this.wallOffset = wallMillisAtStart;
    }

    @Override
    public long millis() {
        return now;
    }

    @Override
    public long wallMillis() {
        return wallOffset + now;
    }

    @Override
    public synchronized Timer schedule(long delayMillis, Runnable task) {
        Task t = new Task(now + Math.max(0, delayMillis), sequence++, task);
        queue.add(t);
        return t;
    }

    /** Something to run after every fired timer, e.g. delivering the packets it caused on an in-memory network. */
    public void afterEachTask(Runnable hook) {
        this.afterEachTask = hook;
    }

    /** Moves time forward by {@code d}, firing every timer that falls due on the way, at its due time. */
    public void advance(Duration d) {
        advanceMillis(d.toMillis());
    }

    public void advanceMillis(long millis) {
        if (millis < 0) {
            throw new IllegalArgumentException("time cannot go backwards: " + millis);
        }
        long target = now + millis;
        while (true) {
            Task next;
            synchronized (this) {
                next = queue.peek();
                if (next == null || next.due > target) {
                    break;
                }
                queue.poll();
            }
            now = Math.max(now, next.due);
            if (!next.cancelled) {
                next.task.run();
                afterEachTask.run();
            }
        }
        now = target;
    }

    /** Runs timers that are due now (delay 0) without moving time. */
    public void runDue() {
        advanceMillis(0);
    }

    /** Number of armed, not cancelled timers. */
    public synchronized int pendingTimers() {
        int n = 0;
        for (Task t : queue) {
            if (!t.cancelled) {
                n++;
            }
        }
        return n;
    }

    private static final class Task implements Timer, Comparable<Task> {
        final long due;
        final long seq;
        final Runnable task;
        volatile boolean cancelled;

        Task(long due, long seq, Runnable task) {
            this.due = due;
            this.seq = seq;
            this.task = task;
        }

        @Override
        public boolean cancel() {
            boolean was = cancelled;
            cancelled = true;
            return !was;
        }

        @Override
        public int compareTo(Task o) {
            int c = Long.compare(due, o.due);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }
}
