package io.siprelay.core.transaction.internal;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transport.Flow;

/** A client transaction (RFC 3261 §17.1): retransmits its request over UDP and times out with Timer B/F. */
public interface ClientTransaction {

    Flow flow();

    /** Branch of the request's top Via: the transaction's identity. */
    String branch();

    boolean isInvite();

    TransactionState state();
}
