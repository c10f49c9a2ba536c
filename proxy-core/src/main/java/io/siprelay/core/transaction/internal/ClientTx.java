package io.siprelay.core.transaction.internal;

import static io.siprelay.core.transaction.internal.TransactionLayer.TxTimer.cancel;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.transaction.internal.TransactionLayer.TxTimer;
import io.siprelay.core.transport.Flow;
import java.io.IOException;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.sip.InvalidArgumentException;
import javax.sip.address.URI;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.Header;
import javax.sip.header.MaxForwardsHeader;
import javax.sip.header.RouteHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INVITE and non-INVITE client transactions (RFC 3261 §17.1.1, §17.1.2, with RFC 6026's Accepted state).
 * State is guarded by the object's monitor; the listener is always called outside it.
 */
final class ClientTx implements ClientTransaction {

    private static final Logger LOG = LoggerFactory.getLogger(ClientTx.class);

    /** RFC 3261 §17.1.1.2: Timer D is at least 32 s for unreliable transports. */
    private static final long TIMER_D_MIN_MILLIS = 32_000;

    final String key;
    private final TransactionLayer layer;
    /** Request and its bytes are dropped after the final response: a finished transaction lingers (Timer D/K/M). */
    private SipMessage request;
    private final Flow flow;
    private final ClientTransactionListener listener;
    private final boolean invite;
    private final boolean reliable;
    private final String callId;
    private final String branch;
    private byte[] requestBytes;

    private TransactionState state;
    private byte[] ackBytes;

    private TxTimer timerA;   // INVITE retransmit (UDP); Timer E for non-INVITE
    private long retransmitInterval;
    private TxTimer timerB;   // INVITE timeout; Timer F for non-INVITE
    private TxTimer timerEnd; // D, K or M: how long the transaction lingers after a final response

    ClientTx(TransactionLayer layer, String key, SipMessage request, Flow flow, ClientTransactionListener listener) {
        this.layer = layer;
        this.key = key;
        this.request = request;
        this.flow = flow;
        this.listener = listener;
        this.invite = Request.INVITE.equals(request.method());
        this.reliable = flow.type().isReliable();
        this.callId = request.callId();
        this.branch = request.topViaBranch();
        this.requestBytes = layer.codec.encode(request);
        this.state = invite ? TransactionState.CALLING : TransactionState.TRYING;
    }

    @Override
    public Flow flow() {
        return flow;
    }

    @Override
    public String branch() {
        return branch;
    }

    @Override
    public boolean isInvite() {
        return invite;
    }

    @Override
    public synchronized TransactionState state() {
        return state;
    }

    /** Arms Timer A/B (INVITE) or E/F (non-INVITE) and sends the request. */
    void start() {
        IOException failed;
        synchronized (this) {
            if (!reliable) {
                retransmitInterval = layer.timers.t1Millis();
                timerA = layer.arm(callId, retransmitInterval, this::onRetransmitTimer);
            }
            timerB = layer.arm(callId, layer.timers.timeoutMillis(), this::onTimeoutTimer);
            failed = transmit(requestBytes);
            if (failed != null) {
                terminate();
            }
        }
        if (failed != null) {
            transportError(failed);
        }
    }

    void onResponse(SipMessage response) {
        int code = response.statusCode();
        boolean tell;
        IOException failed = null;
        boolean terminated = false;
        synchronized (this) {
            if (invite) {
                tell = switch (state) {
                    case CALLING, PROCEEDING -> {
                        if (code < 200) {
                            state = TransactionState.PROCEEDING;
                            // RFC 3261 §17.1.1.2: a provisional stops retransmissions; Timer B only runs in Calling
                            cancel(timerA);
                            cancel(timerB);
                        } else if (code < 300) {
                            state = TransactionState.ACCEPTED;
                            cancel(timerA);
                            cancel(timerB);
                            timerEnd = layer.arm(callId, layer.timers.timeoutMillis(), this::onEndTimer);
                        } else {
                            state = TransactionState.COMPLETED;
                            cancel(timerA);
                            cancel(timerB);
                            ackBytes = layer.codec.encode(buildAck(response));
                            failed = transmit(ackBytes);
                            if (failed != null) {
                                terminate();
                                terminated = true;
                            } else if (reliable) {
                                terminate();
                                terminated = true;
                            } else {
                                timerEnd = layer.arm(callId,
                                        Math.max(TIMER_D_MIN_MILLIS, layer.timers.timeoutMillis()), this::onEndTimer);
                            }
                        }
                        if (code >= 200) {
                            release();
                        }
                        yield true;
                    }
                    case COMPLETED -> {
                        if (code >= 300) {
                            // a retransmitted final: our ACK was lost
                            failed = transmit(ackBytes);
                        }
                        yield false;
                    }
                    // RFC 6026 §8.4: every 2xx in Accepted goes to the TU (forked or retransmitted)
                    case ACCEPTED -> code >= 200 && code < 300;
                    default -> false;
                };
            } else {
                tell = switch (state) {
                    case TRYING, PROCEEDING -> {
                        if (code < 200) {
                            state = TransactionState.PROCEEDING;
                        } else {
                            state = TransactionState.COMPLETED;
                            cancel(timerA);
                            cancel(timerB);
                            if (reliable) {
                                terminate();
                                terminated = true;
                            } else {
                                timerEnd = layer.arm(callId, layer.timers.t4Millis(), this::onEndTimer);
                            }
                        }
                        if (code >= 200) {
                            release();
                        }
                        yield true;
                    }
                    default -> false;
                };
            }
        }
        if (tell) {
            notify(() -> listener.onResponse(this, response), "onResponse");
        }
        if (failed != null && !terminated) {
            // re-ACK failed: keep absorbing until Timer D, but say so
            LOG.warn("could not re-send ACK for {} (call {}): {}", key, callId, failed.toString());
        } else if (failed != null) {
            transportError(failed);
        } else if (terminated) {
            terminatedNotice();
        }
    }

    private void onRetransmitTimer(TxTimer t) {
        IOException failed;
        synchronized (this) {
            if (t != timerA || !t.isLive()) {
                return;
            }
            if (invite) {
                if (state != TransactionState.CALLING) {
                    return;
                }
                retransmitInterval = 2 * retransmitInterval;
            } else if (state == TransactionState.TRYING) {
                retransmitInterval = Math.min(2 * retransmitInterval, layer.timers.t2Millis());
            } else if (state == TransactionState.PROCEEDING) {
                retransmitInterval = layer.timers.t2Millis();
            } else {
                return;
            }
            failed = transmit(requestBytes);
            if (failed != null) {
                terminate();
            } else {
                timerA = layer.arm(callId, retransmitInterval, this::onRetransmitTimer);
            }
        }
        if (failed != null) {
            transportError(failed);
        }
    }

    private void onTimeoutTimer(TxTimer t) {
        synchronized (this) {
            if (t != timerB || !t.isLive()) {
                return;
            }
            boolean waiting = invite ? state == TransactionState.CALLING
                    : state == TransactionState.TRYING || state == TransactionState.PROCEEDING;
            if (!waiting) {
                return;
            }
            terminate();
        }
        LOG.debug("{} timed out (Timer {}) towards {}", key, invite ? "B" : "F", flow);
        notify(() -> listener.onTimeout(this), "onTimeout");
        terminatedNotice();
    }

    /** Timer D, K or M: the lingering state ends. */
    private void onEndTimer(TxTimer t) {
        synchronized (this) {
            if (t != timerEnd || !t.isLive() || state == TransactionState.TERMINATED) {
                return;
            }
            terminate();
        }
        terminatedNotice();
    }

    /** RFC 3261 §17.1.1.3: the ACK for a non-2xx final response. */
    private Request buildAck(SipMessage response) {
        Request req = request.request();
        SipCodec codec = layer.codec;
        try {
            CSeqHeader cseq = codec.headerFactory().createCSeqHeader(request.cseq(), Request.ACK);
            MaxForwardsHeader maxForwards = codec.headerFactory().createMaxForwardsHeader(70);
            List<ViaHeader> vias = new ArrayList<>(1);
            vias.add((ViaHeader) req.getHeader(ViaHeader.NAME).clone());
            Request ack = codec.messageFactory().createRequest(
                    (URI) req.getRequestURI().clone(), Request.ACK,
                    (CallIdHeader) req.getHeader(CallIdHeader.NAME).clone(), cseq,
                    (FromHeader) req.getHeader(FromHeader.NAME).clone(),
                    (ToHeader) response.message().getHeader(ToHeader.NAME).clone(),
                    vias, maxForwards);
            for (Iterator<?> it = req.getHeaders(RouteHeader.NAME); it.hasNext(); ) {
                ack.addLast((Header) ((Header) it.next()).clone());
            }
            return ack;
        } catch (ParseException | InvalidArgumentException | javax.sip.SipException e) {
            throw new IllegalStateException("cannot build ACK for " + key, e);
        }
    }

    /** After the final response only the ACK bytes (non-2xx INVITE) are needed to absorb retransmissions. */
    private void release() {
        request = null;
        requestBytes = null;
    }

    private IOException transmit(byte[] bytes) {
        try {
            flow.transport().send(flow.remote(), bytes);
            return null;
        } catch (IOException e) {
            return e;
        }
    }

    private void transportError(IOException e) {
        LOG.debug("transport error on {} towards {}: {}", key, flow, e.toString());
        notify(() -> listener.onTransportError(this, e), "onTransportError");
        terminatedNotice();
    }

    private void terminatedNotice() {
        notify(() -> listener.onTerminated(this), "onTerminated");
    }

    private void notify(Runnable call, String what) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.error("client transaction listener failed in {} for {}", what, key, e);
        }
    }

    /** Must hold the monitor. */
    private void terminate() {
        state = TransactionState.TERMINATED;
        cancelAll();
        layer.removeClient(this);
    }

    synchronized void shutdown() {
        cancelAll();
        state = TransactionState.TERMINATED;
    }

    private void cancelAll() {
        cancel(timerA);
        cancel(timerB);
        cancel(timerEnd);
    }

    @Override
    public String toString() {
        return "ClientTransaction[" + key + ", " + state() + "]";
    }
}
