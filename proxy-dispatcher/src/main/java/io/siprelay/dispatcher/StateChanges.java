package io.siprelay.dispatcher;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The AP/TX/IP/DX rules in one place, so that probes, {@code ds_mark_dst} and the admin move states alike. */
final class StateChanges {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class); // log category unchanged

    private final int probingThreshold;
    private final int inactiveThreshold;
    private final int probingMode;
    private final List<Consumer<DispatcherEvent>> listeners = new CopyOnWriteArrayList<>();

    StateChanges(int probingThreshold, int inactiveThreshold, int probingMode,
                 List<Consumer<DispatcherEvent>> listeners) {
        this.probingThreshold = probingThreshold;
        this.inactiveThreshold = inactiveThreshold;
        this.probingMode = probingMode;
        this.listeners.addAll(listeners);
    }

    void addListener(Consumer<DispatcherEvent> listener) {
        listeners.add(listener);
    }

    /** Sets the state bits as given ({@code ds_mark_dst}, {@code dispatcher.set_state}); resets the counters. */
    void changeState(Destination d, int bits, DispatcherEvent.Cause cause) {
        Health h = d.health();
        int before;
        int after;
        synchronized (h) {
            before = h.flags();
            after = (before & ~(DsFlags.INACTIVE | DsFlags.TRYING | DsFlags.DISABLED | DsFlags.PROBING)) | bits;
            h.flags(after);
            h.failures = 0;
            h.successes = 0;
        }
        fire(d, before, after, cause);
    }

    /** Counts a probe result (or a mark "t") against the probing and inactive thresholds. */
    void recordResult(Destination d, boolean ok, DispatcherEvent.Cause cause) {
        Health h = d.health();
        int before;
        int after;
        synchronized (h) {
            before = h.flags();
            int f = before;
            if ((f & DsFlags.DISABLED) != 0) {
                return; // DX: only an administrator changes it
            }
            if (ok) {
                h.failures = 0;
                if ((f & DsFlags.INACTIVE) != 0) {
                    h.successes++;
                    if (h.successes >= inactiveThreshold) {
                        f &= ~(DsFlags.INACTIVE | DsFlags.TRYING);
                        h.successes = 0;
                        if (probingMode == 0) {
                            f &= ~DsFlags.PROBING;
                        }
                    }
                } else {
                    f &= ~DsFlags.TRYING;
                    if (probingMode == 0) {
                        f &= ~DsFlags.PROBING; // mode 0: one probe, then the flag is gone
                    }
                }
            } else {
                h.successes = 0;
                if ((f & DsFlags.INACTIVE) == 0) {
                    h.failures++;
                    if (h.failures >= probingThreshold) {
                        f = (f & ~DsFlags.TRYING) | DsFlags.INACTIVE | DsFlags.PROBING;
                        h.failures = 0;
                    } else {
                        f |= DsFlags.TRYING;
                    }
                }
            }
            h.flags(f);
            after = f;
        }
        fire(d, before, after, cause);
    }

    private void fire(Destination d, int before, int after, DispatcherEvent.Cause cause) {
        if (before == after) {
            return;
        }
        boolean wasUp = (before & (DsFlags.INACTIVE | DsFlags.DISABLED)) == 0;
        boolean isUp = (after & (DsFlags.INACTIVE | DsFlags.DISABLED)) == 0;
        String from = DsFlags.letters(before);
        String to = DsFlags.letters(after);
        if (wasUp == isUp) {
            LOG.debug("dispatcher set {} {}: {} -> {} ({})", d.setId(), d.uri(), from, to, cause);
            return;
        }
        DispatcherEvent e = new DispatcherEvent(isUp ? DispatcherEvent.Type.UP : DispatcherEvent.Type.DOWN,
                d.setId(), d.uri(), from, to, cause);
        LOG.info("dispatcher set {} {} is {}: {} -> {} ({})", d.setId(), d.uri(), isUp ? "up" : "down", from, to,
                cause);
        for (Consumer<DispatcherEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                LOG.warn("dispatcher event listener failed on {}", e, ex);
            }
        }
    }
}
