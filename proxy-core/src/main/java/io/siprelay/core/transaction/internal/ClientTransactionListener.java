package io.siprelay.core.transaction.internal;

import io.siprelay.core.codec.SipMessage;
import java.io.IOException;

/** What a client transaction reports to its user. Called on the call's worker lane. */
public interface ClientTransactionListener {

    /**
     * A response: every provisional, the final non-2xx once (its retransmissions are absorbed and re-ACKed), and every
     * 2xx including retransmissions while in Accepted (RFC 6026), since a proxy forwards each one.
     */
    void onResponse(ClientTransaction transaction, SipMessage response);

    /** Timer B or F fired: no final response in time. */
    void onTimeout(ClientTransaction transaction);

    /** The request (or a retransmission) could not be sent. */
    void onTransportError(ClientTransaction transaction, IOException error);

    /** The transaction left the table. */
    default void onTerminated(ClientTransaction transaction) {
    }
}
