package io.siprelay.core.concurrent;

/**
 * A thread that hands work to the lanes: a transport's receiving thread, the timer thread. A {@link LaneExecutor}
 * runs a task submitted from such a thread on that thread itself when the task's lane is idle (nothing queued,
 * nothing running), instead of waking the lane's thread: the hand-off costs a futex wake-up and a context switch per
 * message or timer, which at 1,000 calls a second on one core was a fifth of the proxy's CPU. Work for a busy lane
 * is still queued, so per-key order holds.
 *
 * <p>The price is Kamailio's: a route that blocks (a slow database) holds up the thread that ran it, so a UDP socket
 * has several readers ({@code TransportOptions.udpReaders}), and a failure route run by a timer holds up the other
 * timers as long as it blocks, as in Kamailio's timer process.
 */
public class DispatchThread extends Thread {

    /** True while this thread runs a task for a lane: a task it submits from there is queued, never nested. */
    boolean runningTask;

    public DispatchThread(Runnable body, String name) {
        super(body, name);
    }
}
