package io.siprelay.core.concurrent;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fixed set of worker lanes, each one thread with a bounded queue. A key always maps to the same lane, so its
 * tasks run in order. Routes may block (a database lookup): size the lanes for that. A lane whose queue is
 * {@code newWorkLimit} full refuses new work; in-progress work is refused only when the queue is completely full.
 */
public final class LaneExecutor implements KeyedExecutor {

    private static final Logger LOG = LoggerFactory.getLogger(LaneExecutor.class);

    private final Lane[] lanes;
    private final int newWorkLimit;
    private final AtomicLong rejected = new AtomicLong();

    /**
     * @param lanes         number of worker threads
     * @param queueCapacity tasks waiting per lane at most
     */
    public LaneExecutor(int lanes, int queueCapacity) {
        if (lanes < 1 || queueCapacity < 2) {
            throw new IllegalArgumentException("need at least 1 lane and a queue of 2, got " + lanes + " and "
                    + queueCapacity);
        }
        this.lanes = new Lane[lanes];
        this.newWorkLimit = Math.max(1, queueCapacity * 3 / 4);
        for (int i = 0; i < lanes; i++) {
            this.lanes[i] = new Lane("siprelay-worker-" + i, queueCapacity);
            this.lanes[i].start();
        }
    }

    @Override
    public boolean execute(String key, Admission admission, Runnable task) {
        int h = key == null ? 0 : key.hashCode();
        h ^= h >>> 16;
        Lane lane = lanes[Math.floorMod(h, lanes.length)];
        if (admission == Admission.NEW_WORK && lane.queue.size() >= newWorkLimit) {
            rejected.incrementAndGet();
            return false;
        }
        if (!lane.queue.offer(task)) {
            rejected.incrementAndGet();
            return false;
        }
        return true;
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

    private static final class Lane extends Thread {
        final ArrayBlockingQueue<Runnable> queue;

        Lane(String name, int capacity) {
            super(name);
            setDaemon(true);
            queue = new ArrayBlockingQueue<>(capacity);
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                Runnable task;
                try {
                    task = queue.take();
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    task.run();
                } catch (Throwable t) {
                    // a task must never kill its lane: every later message of these calls would be stuck
                    LOG.error("task failed on {}", getName(), t);
                }
            }
        }
    }
}
