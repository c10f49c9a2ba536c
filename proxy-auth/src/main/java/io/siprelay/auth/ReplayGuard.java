package io.siprelay.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.siprelay.core.clock.SipClock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Nonce-count tracking (RFC 7616 §3.4): for each nonce that authenticated a request, the highest nc seen and a
 * 64-wide window below it, so requests may arrive out of order but no nc is accepted twice. Entries are created only
 * after a valid response (an attacker without the password cannot fill the cache), live as long as a nonce, and the
 * cache is bounded. A nonce whose entry is gone (evicted, or used first on another instance) with nc &gt; 1 is
 * answered as stale, which makes the client fetch a fresh nonce.
 */
final class ReplayGuard {

    enum Verdict { FRESH, REUSED, UNKNOWN }

    private static final int WINDOW = 64;

    private final Cache<Long, Window> windows;

    ReplayGuard(long maxNonces, Duration lifetime, SipClock clock) {
        Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
        this.windows = Caffeine.newBuilder()
                .maximumSize(maxNonces)
                .expireAfterWrite(lifetime)
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /** Records nonce-count {@code nc} of nonce {@code id}. */
    Verdict count(long id, long nc) {
        Window w = windows.getIfPresent(id);
        if (w == null) {
            if (nc != 1) {
                return Verdict.UNKNOWN;
            }
            Window fresh = new Window();
            w = windows.asMap().putIfAbsent(id, fresh);
            if (w == null) {
                w = fresh;
            }
        }
        synchronized (w) {
            return w.accept(nc) ? Verdict.FRESH : Verdict.REUSED;
        }
    }

    /** One-time nonces: the first use wins, every later one is a reuse. */
    Verdict once(long id) {
        Window fresh = new Window();
        return windows.asMap().putIfAbsent(id, fresh) == null ? Verdict.FRESH : Verdict.REUSED;
    }

    long size() {
        windows.cleanUp();
        return windows.estimatedSize();
    }

    private static final class Window {
        long highest; // 0 = none yet
        long seen;    // bit i: highest - i was seen

        boolean accept(long nc) {
            if (nc <= 0) {
                return false;
            }
            if (nc > highest) {
                long shift = nc - highest;
                seen = shift >= WINDOW ? 0 : seen << shift;
                seen |= 1;
                highest = nc;
                return true;
            }
            long back = highest - nc;
            if (back >= WINDOW) {
                return false;
            }
            long bit = 1L << back;
            if ((seen & bit) != 0) {
                return false;
            }
            seen |= bit;
            return true;
        }
    }
}
