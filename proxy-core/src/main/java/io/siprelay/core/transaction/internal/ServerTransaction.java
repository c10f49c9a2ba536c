package io.siprelay.core.transaction.internal;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transport.Flow;

/** A server transaction (RFC 3261 §17.2): absorbs retransmissions of its request and re-sends its last response. */
public interface ServerTransaction {

    /** Where the request came from; responses go back through it (same connection for TCP/TLS). */
    Flow flow();

    boolean isInvite();

    TransactionState state();

    /**
     * Sends a response and advances the state machine (INVITE: 1xx → Proceeding, 2xx → Accepted (RFC 6026),
     * 300-699 → Completed with Timer G/H; non-INVITE: 1xx → Proceeding, final → Completed with Timer J).
     *
     * @throws IllegalStateException when a final response was already sent (except 2xx retransmissions of an INVITE
     *                               in Accepted) or the transaction has terminated
     */
    void respond(SipMessage response);

    /**
     * Status code of the last response sent, 0 before the first. After a final response the transaction keeps only
     * its wire bytes (to re-send on a retransmitted request), not the parsed messages.
     */
    int lastStatus();
}
