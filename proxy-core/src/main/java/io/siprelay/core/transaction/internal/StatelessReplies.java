package io.siprelay.core.transaction.internal;

import io.siprelay.core.transport.Transport;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The final replies a proxy sent statelessly over an unreliable transport, kept for 64×T1 as compact records (key,
 * bytes, destination) so that a retransmitted request gets the same reply again (RFC 3261 §17.2.2: a UAS answers a
 * retransmission with its last response) instead of running the route a second time: a second 401 with a new nonce
 * after the client has answered the first one makes it fail. This is what makes a REGISTER storm from a cold start
 * converge (issue #18).
 *
 * <p>A fixed, direct-mapped table: one slot per key hash, a newer record replaces an older one in its slot. Memory is
 * bounded by the slot count whatever the load; under a load that fills the table faster than 64×T1 the records live
 * shorter, which still covers the early retransmissions (T1, 2×T1, 4×T1) where nearly all of them fall. No lock and no
 * per-message timer: a record carries its expiry and is checked on lookup.
 */
final class StatelessReplies {

    /**
     * One sent reply. Immutable, so it is safely shared between the lanes through the array. The CSeq number is
     * checked too: a UA that wrongly reuses a branch for its next request must not get the old reply.
     */
    record Reply(String key, long cseq, byte[] bytes, Transport transport, InetSocketAddress destination,
                 long expiresAt) {
    }

    private final AtomicReferenceArray<Reply> slots;
    private final int mask;

    StatelessReplies(int capacity) {
        if (capacity < 1 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("capacity must be a power of two, got " + capacity);
        }
        this.slots = new AtomicReferenceArray<>(capacity);
        this.mask = capacity - 1;
    }

    void remember(Reply reply) {
        slots.lazySet(slot(reply.key()), reply);
    }

    /** The reply sent for this key, if it has not expired or been replaced. */
    Reply find(String key, long cseq, long now) {
        Reply r = slots.get(slot(key));
        if (r == null || r.expiresAt() - now <= 0 || r.cseq() != cseq || !r.key().equals(key)) {
            return null;
        }
        return r;
    }

    int capacity() {
        return mask + 1;
    }

    private int slot(String key) {
        int h = key.hashCode();
        return (h ^ (h >>> 16)) & mask;
    }
}
