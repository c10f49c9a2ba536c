package io.siprelay.core.concurrent;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed set of worker lanes, each one thread with a bounded queue. A key always maps to the same lane, so its
 * tasks run in order. Routes may block (a database lookup): size the lanes for that.
 *
 * <p>Admission (overload control): a lane refuses new work when its queue is three quarters full, or, for work
 * whose client retransmits (UDP), when the oldest task in its queue has waited longer than {@code maxQueueDelay}
 * (measured on the queued tasks' timestamps, so a GC pause, which stops the producers too, does not read as
 * overload). A request that waits longer than SIP's T1 (500 ms) has been retransmitted by its client before it is
 * served, so serving it doubles the work and the backlog grows until nothing is answered in time (congestion
 * collapse); refusing it at once (the proxy answers 503 with Retry-After) keeps the queue short and the proxy serving
 * at its capacity. Work that continues a registration or call already started may wait twice as long, and
 * in-progress work (responses, ACK, CANCEL, timers) is refused only when the queue is completely full.
 *
 * <p>Start-up grace: for the first {@code startGrace} after the first task arrives, the delay bound is at least
 * {@link #START_GRACE_DELAY} (two T1s). A JVM that has just started still compiles its code on the cores that serve
 * the first traffic, so it is briefly slower than it will be seconds later; refusing with 503 + Retry-After then sends
 * a phone fleet re-registering after a restart away for good, while holding a request through one retransmission lets
 * the compiled code catch up (bench, cold start, two cores, 5,000 REGISTER/s at once: 211 of 50,000 refused with the
 * plain 200 ms bound, none with 1 s). The queue-length limits hold throughout, so memory stays bounded.
 *
 * <p>A task submitted from a {@link DispatchThread} (a UDP reader, the timer) while its lane is idle runs at once on
 * that thread (no queue, no wake-up of the lane's thread); tasks for a busy lane are queued behind the running one.
 */
public final class LaneExecutor implements KeyedExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(LaneExecutor.class);

    /** Default bound on the queueing delay of a new request: well under T1, so clients rarely retransmit. */
    public static final Duration DEFAULT_MAX_QUEUE_DELAY = Duration.ofMillis(200);

    /** How long after the first task the start-up grace lasts (see the class comment). */
    public static final Duration DEFAULT_START_GRACE = Duration.ofSeconds(10);

    /** The delay bound during the start-up grace: a request held this long has been retransmitted once (2 × T1). */
    public static final Duration START_GRACE_DELAY = Duration.ofSeconds(1);
    private static final long GRACE_DELAY_NANOS = START_GRACE_DELAY.toNanos();

    /** {@code -Dsiprelay.noInline=true} hands every task to the lane's thread, as before dispatch threads (A/B runs). */
    static final boolean INLINE = !Boolean.getBoolean("siprelay.noInline");

    private final Lane[] lanes;
    private final int newWorkLimit;
    private final long maxQueueDelayNanos;
    private final long startGraceNanos;
    /** When the start-up grace ends; 0 until the first task arrives (a racy first write is harmless). */
    private long graceEndsAt;
    private final AtomicLong rejected = new AtomicLong();

    /**
     * @param lanes         number of worker threads
     * @param queueCapacity tasks waiting per lane at most
     */
    public LaneExecutor(int lanes, int queueCapacity) {
        this(lanes, queueCapacity, DEFAULT_MAX_QUEUE_DELAY);
    }

    /**
     * @param lanes         number of worker threads
     * @param queueCapacity tasks waiting per lane at most
     * @param maxQueueDelay new work is refused when the expected wait in its lane is longer (zero: no delay bound,
     *                      only the queue length)
     */
    public LaneExecutor(int lanes, int queueCapacity, Duration maxQueueDelay) {
        this(lanes, queueCapacity, maxQueueDelay, DEFAULT_START_GRACE);
    }

    /**
     * @param lanes         number of worker threads
     * @param queueCapacity tasks waiting per lane at most
     * @param maxQueueDelay new work is refused when the expected wait in its lane is longer (zero: no delay bound,
     *                      only the queue length)
     * @param startGrace    how long after the first task the delay bound is at least {@link #START_GRACE_DELAY}
     *                      (zero: no grace)
     */
    public LaneExecutor(int lanes, int queueCapacity, Duration maxQueueDelay, Duration startGrace) {
        if (startGrace.isNegative()) {
            throw new IllegalArgumentException("startGrace must not be negative, got " + startGrace);
        }
        this.startGraceNanos = startGrace.toNanos();
        if (lanes < 1 || queueCapacity < 2) {
            throw new IllegalArgumentException("need at least 1 lane and a queue of 2, got " + lanes + " and "
                    + queueCapacity);
        }
        if (maxQueueDelay.isNegative()) {
            throw new IllegalArgumentException("maxQueueDelay must not be negative, got " + maxQueueDelay);
        }
        this.maxQueueDelayNanos = maxQueueDelay.isZero() ? Long.MAX_VALUE : maxQueueDelay.toNanos();
        this.lanes = new Lane[lanes];
        this.newWorkLimit = Math.max(1, queueCapacity * 3 / 4);
        for (int i = 0; i < lanes; i++) {
            this.lanes[i] = new Lane("siprelay-worker-" + i, queueCapacity);
            this.lanes[i].start();
        }
    }

    @Override
    public boolean execute(String key, Admission admission, Runnable task) {
        if (graceEndsAt == 0) {
            graceEndsAt = (System.nanoTime() + startGraceNanos) | 1; // never 0 again
        }
        int h = key == null ? 0 : key.hashCode();
        h ^= h >>> 16;
        Lane lane = lanes[Math.floorMod(h, lanes.length)];
        if (INLINE && Thread.currentThread() instanceof DispatchThread dispatcher && !dispatcher.runningTask
                && lane.work.compareAndSet(0, 1)) {
            // idle lane: nothing queued or running, so running it here keeps the key's order
            dispatcher.runningTask = true;
            try {
                lane.runHeld(task);
            } finally {
                dispatcher.runningTask = false;
            }
            return true;
        }
        if (admission != Admission.IN_PROGRESS) {
            boolean refuse = switch (admission) {
                case NEW_WORK -> lane.pending.get() >= newWorkLimit || waitedTooLong(lane.headWaitNanos());
                case NEW_STREAM_WORK -> lane.pending.get() >= newWorkLimit;
                default -> waitedTooLong(lane.headWaitNanos() / 2); // continuing: twice the wait
            };
            if (refuse) {
                rejected.incrementAndGet();
                return false;
            }
        }
        lane.work.incrementAndGet(); // before the offer: an idle-looking lane must not run a later task inline first
        lane.pending.incrementAndGet(); // before the offer, so a spinning lane never misses a task it could take
        if (!lane.queue.offer(new Queued(task, System.nanoTime()))) {
            lane.pending.decrementAndGet();
            lane.work.decrementAndGet();
            rejected.incrementAndGet();
            return false;
        }
        return true;
    }

    /** Whether a lane whose oldest task waited {@code waitNanos} is over the delay bound (or the grace's). */
    private boolean waitedTooLong(long waitNanos) {
        if (waitNanos <= maxQueueDelayNanos) {
            return false;
        }
        return waitNanos > GRACE_DELAY_NANOS || System.nanoTime() - graceEndsAt >= 0;
    }

    @Override
    public long rejected() {
        return rejected.get();
    }

    @Override
    public void close() {
        for (Lane lane : lanes) {
            lane.interrupt();
        }
    }

    /** A task and when it was queued: the age of the oldest one is the lane's queueing delay. */
    private record Queued(Runnable task, long queuedAt) {
    }

    /**
     * How long an idle lane polls its queue before it parks, when the JVM has more than one CPU: a parked lane costs
     * the producer a futex wake-up and, on a VM, an inter-processor interrupt for every message that finds it asleep,
     * and at tens of thousands of messages a second those wake-ups, not CPU, became the limit (two-core bench: p95
     * over 200 ms at 64 % CPU). On one CPU a spinning lane would only keep the producer off the core, so it parks at
     * once.
     */
    static final long SPIN_NANOS = Runtime.getRuntime().availableProcessors() > 1 ? 50_000 : 0;

    private static final class Lane extends Thread {
        final ArrayBlockingQueue<Queued> queue;
        /** Tasks offered and not yet taken, read without the queue's lock (admission, spinning). */
        final AtomicInteger pending = new AtomicInteger();
        /** Tasks accepted and not finished (queued or running, here or on a reader thread): 0 means idle. */
        final AtomicInteger work = new AtomicInteger();
        /** Held while one of the lane's tasks runs, on whichever thread. */
        private final ReentrantLock running = new ReentrantLock();

        Lane(String name, int capacity) {
            super(name);
            setDaemon(true);
            queue = new ArrayBlockingQueue<>(capacity);
        }

        /**
         * How long the oldest waiting task has waited: a new task waits at least as long. Measured, not estimated,
         * so a GC pause (which stops the producers too) does not read as overload.
         */
        long headWaitNanos() {
            if (pending.get() <= 0) {
                return 0; // nothing waiting: no need for the queue's lock
            }
            Queued head = queue.peek();
            return head == null ? 0 : System.nanoTime() - head.queuedAt();
        }

        /** The next task if one arrives within {@link #SPIN_NANOS}, else null (then the lane parks). */
        private Queued spinPoll() {
            Queued q = queue.poll();
            if (q != null) {
                return q;
            }
            long end = System.nanoTime() + SPIN_NANOS;
            do {
                Thread.onSpinWait();
                if (pending.get() > 0) { // the lock-free count first: poll() takes the queue's lock
                    q = queue.poll();
                    if (q != null) {
                        return q;
                    }
                }
            } while (System.nanoTime() - end < 0);
            return null;
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                Queued q = SPIN_NANOS > 0 ? spinPoll() : null;
                if (q == null) {
                    try {
                        q = queue.take();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                pending.decrementAndGet();
                runHeld(q.task());
            }
        }

        /**
         * Runs one of the lane's tasks under its lock (a task queued behind one a reader thread runs waits here for
         * it), then counts it finished: unlocked before {@code work} drops, so an idle lane is never locked.
         */
        void runHeld(Runnable task) {
            running.lock();
            try {
                task.run();
            } catch (Throwable t) {
                // a task must never kill its lane: every later message of these calls would be stuck
                LOG.error("task failed on lane {} (thread {})", getName(), Thread.currentThread().getName(), t);
            } finally {
                running.unlock();
                work.decrementAndGet();
            }
        }
    }
}
