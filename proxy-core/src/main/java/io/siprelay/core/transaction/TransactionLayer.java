package io.siprelay.core.transaction;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.concurrent.KeyedExecutor;
import io.siprelay.core.transport.Flow;

/**
 * The RFC 3261 §17 transaction layer: tables of client and server transactions, matching (§17.1.3, §17.2.3 and the
 * RFC 2543 fallback), state machines and timers. Timers are armed on the {@link SipClock} and their handlers run on
 * the call's lane of the {@link KeyedExecutor} (key: Call-ID).
 */
public final class TransactionLayer implements AutoCloseable {

    public TransactionLayer(SipCodec codec, SipClock clock, KeyedExecutor executor, TimerSettings timers) {
        throw new UnsupportedOperationException("transaction layer lands in its own commit");
    }

    /**
     * Offers an inbound request to the existing server transactions. Returns true when it belonged to one and was
     * fully handled there: a retransmission (the last response is re-sent) or an ACK for a non-2xx final response.
     * A CANCEL is not absorbed unless it is a retransmission of a CANCEL already answered.
     */
    public boolean absorb(SipMessage request, Flow source) {
        throw new UnsupportedOperationException();
    }

    /** Creates and registers a server transaction for a new request (never for ACK). */
    public ServerTransaction createServer(SipMessage request, Flow source) {
        throw new UnsupportedOperationException();
    }

    /** The INVITE server transaction a CANCEL refers to (RFC 3261 §9.2), or null. */
    public ServerTransaction findInviteServer(SipMessage cancel) {
        throw new UnsupportedOperationException();
    }

    /**
     * Offers an inbound response to the client transactions. Returns true when one matched (the listener was told or
     * the response was absorbed as a retransmission); false means no transaction: a stateless proxy may forward it.
     */
    public boolean onResponse(SipMessage response, Flow source) {
        throw new UnsupportedOperationException();
    }

    /**
     * Sends a request in a new client transaction. The request must already carry this proxy's top Via with a unique
     * RFC 3261 branch. ACK is never sent this way.
     */
    public ClientTransaction sendRequest(SipMessage request, Flow destination, ClientTransactionListener listener) {
        throw new UnsupportedOperationException();
    }

    public int serverTransactionCount() {
        throw new UnsupportedOperationException();
    }

    public int clientTransactionCount() {
        throw new UnsupportedOperationException();
    }

    @Override
    public void close() {
    }
}
