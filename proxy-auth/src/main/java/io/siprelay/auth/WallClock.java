package io.siprelay.auth;

import io.siprelay.core.clock.SipClock;

/** System time without a timer thread: the default clock of components that only read time. */
final class WallClock implements SipClock {

    static final WallClock INSTANCE = new WallClock();

    private WallClock() {
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
        throw new UnsupportedOperationException("this clock only tells time; give the component the proxy's clock");
    }
}
