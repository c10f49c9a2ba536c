package io.siprelay.core.concurrent;

/**
 * Runs tasks so that all tasks with the same key run one after another, in submission order, while tasks with
 * other keys may run in parallel. The proxy keys by Call-ID, so every message and timer of one call is handled
 * in order without a global lock.
 */
public interface KeyedExecutor extends AutoCloseable {

    /**
     * Queues a task. {@code admission} says how much room it needs: {@link Admission#NEW_WORK} tasks (a new
     * request) are refused earlier than {@link Admission#IN_PROGRESS} ones (responses, ACK, CANCEL, timers), so an
     * overloaded proxy still finishes what it started.
     *
     * @return false when the task was refused because the queue is full
     */
    boolean execute(String key, Admission admission, Runnable task);

    /** Tasks refused so far. */
    long rejected();

    @Override
    void close();

    /**
     * How much a task may be refused under load: {@code NEW_WORK} first (a new request over UDP, refused once it
     * would wait long enough for its client to retransmit), then {@code NEW_STREAM_WORK} (a new request over TCP or
     * TLS, whose client does not retransmit, so waiting does not multiply the work: refused only by queue length),
     * {@code CONTINUING} (a request that continues work already taken on: the answer to a challenge, a request
     * within a dialog), and {@code IN_PROGRESS} (responses, ACK, CANCEL, timers) only when nothing else can be done.
     */
    enum Admission { NEW_WORK, NEW_STREAM_WORK, CONTINUING, IN_PROGRESS }
}
