package io.siprelay.core.transaction.internal;

import static io.siprelay.core.transaction.internal.TransactionLayer.TxTimer.cancel;

import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transaction.internal.TransactionLayer.TxTimer;
import io.siprelay.core.transport.Flow;
import java.io.IOException;
import java.net.InetSocketAddress;
import javax.sip.message.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INVITE and non-INVITE server transactions (RFC 3261 §17.2.1, §17.2.2, with RFC 6026's Accepted state).
 * State is guarded by the object's monitor; timer handlers arrive on the call's lane.
 */
final class ServerTx implements ServerTransaction {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTx.class);

    final String key;
    final boolean rfc2543;
    private final TransactionLayer layer;
    /** Dropped after the final response: a finished transaction lingers up to 64×T1 and must stay small. */
    private SipMessage request;
    private final String method;
    private final String requestToTag;
    private final Flow flow;
    private final boolean invite;
    private final boolean reliable;
    private final String callId;

    private TransactionState state;
    private int lastStatus;
    private byte[] lastResponseBytes;
    private String lastResponseToTag;
    private InetSocketAddress udpResponseAddress;

    private TxTimer timerG;
    private long intervalG;
    private TxTimer timerH;
    private TxTimer timerI;
    private TxTimer timerJ;
    private TxTimer timerL;

    ServerTx(TransactionLayer layer, String key, SipMessage request, Flow flow) {
        this.layer = layer;
        this.key = key;
        this.rfc2543 = key.startsWith("2543|");
        this.request = request;
        this.method = request.method();
        this.requestToTag = rfc2543 ? TransactionLayer.toTag(request) : null;
        this.flow = flow;
        this.invite = Request.INVITE.equals(method);
        this.reliable = flow.type().isReliable();
        this.callId = request.callId();
        // RFC 3261 §17.2.1: an INVITE server transaction starts in Proceeding; §17.2.2: a non-INVITE one in Trying
        this.state = invite ? TransactionState.PROCEEDING : TransactionState.TRYING;
    }

    @Override
    public Flow flow() {
        return flow;
    }

    @Override
    public boolean isInvite() {
        return invite;
    }

    @Override
    public synchronized TransactionState state() {
        return state;
    }

    @Override
    public synchronized int lastStatus() {
        return lastStatus;
    }

    /** The To tag of the request (RFC 2543 matching only; null for RFC 3261 transactions). */
    String requestToTag() {
        return requestToTag;
    }

    synchronized String lastResponseToTag() {
        return lastResponseToTag;
    }

    @Override
    public synchronized void respond(SipMessage response) {
        int code = response.statusCode();
        if (code < 100 || code > 699) {
            throw new IllegalArgumentException("not a response: " + code);
        }
        switch (state) {
            case TERMINATED -> throw new IllegalStateException("transaction terminated: " + key);
            case COMPLETED, CONFIRMED -> throw new IllegalStateException(
                    "final response " + lastStatus + " already sent for " + key);
            case ACCEPTED -> {
                if (code < 200 || code >= 300) {
                    throw new IllegalStateException("only 2xx retransmissions may follow a 2xx, got " + code);
                }
            }
            default -> { }
        }
        record(response);
        send();
        if (code >= 200) {
            request = null; // from here on only the response bytes and the addresses are needed
        }
        if (code < 200) {
            state = TransactionState.PROCEEDING;
        } else if (invite && code < 300) {
            // RFC 6026 §7.1: Accepted never re-sends a 2xx itself (the TU's retransmissions come through respond()),
            // so the bytes need not linger for the 32 s of Timer L
            lastResponseBytes = null;
            if (state != TransactionState.ACCEPTED) {
                // RFC 6026 §7.1: Accepted absorbs INVITE retransmissions and lets the TU's 2xx retransmissions through
                state = TransactionState.ACCEPTED;
                timerL = layer.arm(callId, layer.timers.timeoutMillis(), this::onTimerL);
            }
        } else if (invite) {
            state = TransactionState.COMPLETED;
            if (!reliable) {
                intervalG = layer.timers.t1Millis();
                timerG = layer.arm(callId, intervalG, this::onTimerG);
            }
            timerH = layer.arm(callId, layer.timers.timeoutMillis(), this::onTimerH);
        } else {
            state = TransactionState.COMPLETED;
            if (reliable) {
                terminate();
            } else {
                timerJ = layer.arm(callId, layer.timers.timeoutMillis(), this::onTimerJ);
            }
        }
    }

    /** A retransmission of the request: re-send the last response where RFC 3261 says so; always absorbed. */
    synchronized boolean onRetransmission() {
        switch (state) {
            case TRYING -> LOG.trace("retransmission absorbed in Trying: {}", key);
            case PROCEEDING, COMPLETED -> {
                if (lastResponseBytes != null) {
                    send();
                }
            }
            // Accepted: RFC 6026 says the server transaction never generates 2xx retransmissions itself
            // Confirmed, Terminated: just absorb
            default -> LOG.trace("retransmission absorbed in {}: {}", state, key);
        }
        return true;
    }

    /** An ACK matching this (INVITE) transaction. Returns whether it is absorbed. */
    synchronized boolean onAck() {
        if (!invite) {
            return false;
        }
        switch (state) {
            case COMPLETED -> {
                state = TransactionState.CONFIRMED;
                cancel(timerG);
                cancel(timerH);
                if (reliable) {
                    terminate();
                } else {
                    timerI = layer.arm(callId, layer.timers.t4Millis(), this::onTimerI);
                }
                return true;
            }
            case CONFIRMED -> {
                return true;
            }
            case ACCEPTED -> {
                // RFC 6026 §7.1: the ACK for a 2xx is passed to the TU, which routes it end to end
                return false;
            }
            default -> {
                LOG.debug("ACK before a final response in {} absorbed: {}", state, key);
                return true;
            }
        }
    }

    private void onTimerG(TxTimer t) {
        synchronized (this) {
            if (t != timerG || !t.isLive() || state != TransactionState.COMPLETED) {
                return;
            }
            send();
            intervalG = Math.min(2 * intervalG, layer.timers.t2Millis());
            timerG = layer.arm(callId, intervalG, this::onTimerG);
        }
    }

    private void onTimerH(TxTimer t) {
        synchronized (this) {
            if (t != timerH || !t.isLive() || state != TransactionState.COMPLETED) {
                return;
            }
            LOG.info("no ACK for {} {} within Timer H ({} ms): call {} from {}", lastStatus, method, layer.timers.timeoutMillis(), callId, flow);
            terminate();
        }
    }

    private void onTimerI(TxTimer t) {
        synchronized (this) {
            if (t == timerI && t.isLive() && state == TransactionState.CONFIRMED) {
                terminate();
            }
        }
    }

    private void onTimerJ(TxTimer t) {
        synchronized (this) {
            if (t == timerJ && t.isLive() && state == TransactionState.COMPLETED) {
                terminate();
            }
        }
    }

    private void onTimerL(TxTimer t) {
        synchronized (this) {
            if (t == timerL && t.isLive() && state == TransactionState.ACCEPTED) {
                terminate();
            }
        }
    }

    private void record(SipMessage response) {
        lastStatus = response.statusCode();
        lastResponseBytes = layer.codec.encode(response);
        lastResponseToTag = TransactionLayer.toTag(response);
    }

    /** Sends the last response: back on the flow for reliable transports, to the Via address (§18.2.2) over UDP. */
    private void send() {
        try {
            InetSocketAddress to;
            if (reliable) {
                to = flow.remote();
            } else {
                if (udpResponseAddress == null) {
                    udpResponseAddress = request != null ? ViaAddressing.responseAddress(request.topVia())
                            : flow.remote();
                }
                to = udpResponseAddress;
            }
            flow.transport().send(to, lastResponseBytes);
        } catch (IOException e) {
            // RFC 3261 §17.2.4 would try other RFC 3263 targets; we have none, so the timers end the transaction
            LOG.warn("could not send {} for {} {} (call {}): {}", lastStatus, method,
                    key, callId, e.toString());
        }
    }

    private void terminate() {
        state = TransactionState.TERMINATED;
        cancelAll();
        layer.removeServer(this);
    }

    synchronized void shutdown() {
        cancelAll();
        state = TransactionState.TERMINATED;
    }

    private void cancelAll() {
        cancel(timerG);
        cancel(timerH);
        cancel(timerI);
        cancel(timerJ);
        cancel(timerL);
    }

    @Override
    public String toString() {
        return "ServerTransaction[" + key + ", " + state() + "]";
    }
}
