package io.siprelay.core.proxy.internal;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.concurrent.KeyedExecutor.Admission;
import io.siprelay.core.transaction.internal.ClientTransaction;
import io.siprelay.core.transaction.internal.ClientTransactionListener;
import java.io.IOException;
import java.text.ParseException;
import java.time.Duration;
import java.util.List;
import java.util.ListIterator;
import javax.sip.InvalidArgumentException;
import javax.sip.header.CSeqHeader;
import javax.sip.header.CallIdHeader;
import javax.sip.header.FromHeader;
import javax.sip.header.Header;
import javax.sip.header.RouteHeader;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Request;

/** One branch of a {@link ProxyTransaction}: its client transaction, its timers (fr, fr_inv, Timer C) and its CANCEL. */
final class RelayBranch implements ClientTransactionListener {
    final ProxyTransaction tx;
    final int index;
    Request request;
    ClientTransaction client;
    int provisional;
    boolean isFinal;
    boolean localTimeout;
    SipMessage response;
    boolean cancelPending;
    boolean cancelSent;
    SipClock.Timer frTimer;
    SipClock.Timer frInvTimer;
    SipClock.Timer timerC;
    Duration timerCValue;

    RelayBranch(ProxyTransaction tx, int index, Request request) {
        this.tx = tx;
        this.index = index;
        this.request = request;
    }

    void arm(Duration frValue, Duration timerCValue) {
        frTimer = schedule(frValue, this::onFrTimeout);
        this.timerCValue = timerCValue;
        if (timerCValue != null) {
            timerC = schedule(timerCValue, this::onTimerC);
        }
    }

    void onProvisional(int code) {
        if (provisional == 0) {
            cancelTimer(frTimer);
            frTimer = null;
            if (tx.invite) {
                frInvTimer = schedule(tx.frInv, this::onFrInvTimeout);
            }
        }
        provisional = Math.max(provisional, code);
        if (tx.invite && code > 100 && timerCValue != null) { // §16.7 step 2: Timer C restarts
            cancelTimer(timerC);
            timerC = schedule(timerCValue, this::onTimerC);
        }
        if (cancelPending && !cancelSent) {
            sendCancel();
        }
    }

    void finish(SipMessage r, boolean local) {
        isFinal = true;
        response = r;
        localTimeout = local;
        disarm();
    }

    void disarm() {
        cancelTimer(frTimer);
        cancelTimer(frInvTimer);
        cancelTimer(timerC);
    }

    /** §16.10: CANCEL now if the branch has answered provisionally, else as soon as it does. */
    void cancel() {
        if (isFinal && !localTimeout) {
            return;
        }
        if (provisional > 0) {
            sendCancel();
        } else if (tx.invite) {
            cancelPending = true;
        }
    }

    private void sendCancel() {
        if (cancelSent || !tx.invite || client == null) {
            return;
        }
        cancelSent = true;
        try {
            Request c = tx.core.codec().messageFactory().createRequest(request.getRequestURI(), Request.CANCEL,
                    (CallIdHeader) request.getHeader(CallIdHeader.NAME),
                    tx.core.codec().headerFactory().createCSeqHeader(
                            ((CSeqHeader) request.getHeader(CSeqHeader.NAME)).getSeqNumber(), Request.CANCEL),
                    (FromHeader) request.getHeader(FromHeader.NAME), (ToHeader) request.getHeader(ToHeader.NAME),
                    List.of((ViaHeader) request.getHeader(ViaHeader.NAME)),
                    tx.core.codec().headerFactory().createMaxForwardsHeader(70));
            for (ListIterator<?> it = request.getHeaders(RouteHeader.NAME); it.hasNext(); ) {
                c.addLast((Header) it.next());
            }
            if (tx.cancelReason != null) {
                c.addHeader((Header) tx.cancelReason.clone()); // RFC 3326: the reason travels on
            }
            tx.core.transactions().sendRequest(SipMessage.of(c), client.flow(), IGNORE);
            tx.core.counters().cancelsSent.increment();
        } catch (ParseException | InvalidArgumentException | javax.sip.SipException e) {
            ProxyCore.LOG.warn("could not build a CANCEL for branch {} of {}: {}", index, tx.callId, e.toString());
        }
    }

    private void onFrTimeout() {
        if (isFinal) {
            return;
        }
        if (!tx.invite || provisional == 0) {
            cancelPending = true; // no provisional: a CANCEL may not be sent yet (§9.1)
            timeout();
        }
    }

    private void onFrInvTimeout() {
        if (!isFinal) {
            sendCancel();
            timeout();
        }
    }

    private void onTimerC() {
        if (!isFinal) {
            if (provisional > 0) {
                sendCancel();
            } else {
                cancelPending = true;
            }
            timeout();
        }
    }

    private void timeout() {
        tx.core.counters().localTimeouts.increment();
        finish(SipMessage.of(tx.localResponse(408, "Request Timeout")), true);
        tx.maybeFinish();
    }

    @Override
    public void onResponse(ClientTransaction transaction, SipMessage response) {
        tx.onBranchResponse(this, response);
    }

    @Override
    public void onTimeout(ClientTransaction transaction) {
        if (!isFinal) {
            timeout();
        }
    }

    @Override
    public void onTransportError(ClientTransaction transaction, IOException error) {
        if (!isFinal) {
            ProxyCore.LOG.info("branch {} of {} could not be sent: {}", index, tx.callId, error.toString());
            finish(SipMessage.of(tx.localResponse(503, "Service Unavailable")), false);
            tx.maybeFinish();
        }
    }

    private SipClock.Timer schedule(Duration d, Runnable action) {
        return tx.core.clock().schedule(d.toMillis(),
                () -> tx.core.executor().execute(tx.callId, Admission.IN_PROGRESS, action));
    }

    private void cancelTimer(SipClock.Timer t) {
        if (t != null) {
            t.cancel();
        }
    }

    private static final ClientTransactionListener IGNORE = new ClientTransactionListener() {
        @Override
        public void onResponse(ClientTransaction transaction, SipMessage response) {
            // the 200 for a CANCEL we sent carries nothing for the caller (§16.10)
        }

        @Override
        public void onTimeout(ClientTransaction transaction) {
        }

        @Override
        public void onTransportError(ClientTransaction transaction, IOException error) {
        }
    };
}
