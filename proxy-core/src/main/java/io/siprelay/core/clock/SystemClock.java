package io.siprelay.core.clock;

import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import io.siprelay.core.concurrent.DispatchThread;
import java.util.concurrent.TimeUnit;

/**
 * Real time: one hashed timer wheel (Netty's {@link HashedWheelTimer}, 10 ms ticks) and its daemon thread for all
 * timers of one proxy.
 *
 * <p>Why a wheel: a busy proxy holds hundreds of thousands of timers (every finished transaction lingers up to
 * 64×T1), and almost all of them are cancelled before they fire. A wheel arms and cancels in O(1) with one small
 * object per timer; a {@code ScheduledThreadPoolExecutor} pays a heap operation under a lock and four objects for
 * each, which showed up as GC pause time in the calls benchmark. SIP timers (T1 = 500 ms) do not need better than
 * the 10 ms tick.
 */
public final class SystemClock implements SipClock, AutoCloseable {

    private static final long TICK_MILLIS = 10;

    private final HashedWheelTimer wheel;

    public SystemClock() {
        wheel = new HashedWheelTimer(r -> {
            // a DispatchThread: a timer whose call's lane is idle runs right here, without waking the lane
            Thread t = new DispatchThread(r, "siprelay-timer");
            t.setDaemon(true);
            return t;
        }, TICK_MILLIS, TimeUnit.MILLISECONDS, 1024);
    }

    @Override
    public long millis() {
        return System.nanoTime() / 1_000_000L;
    }

    @Override
    public long wallMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public Timer schedule(long delayMillis, Runnable task) {
        Timeout t = wheel.newTimeout(timeout -> task.run(), Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
        return t::cancel;
    }

    @Override
    public void close() {
        wheel.stop();
    }
}
