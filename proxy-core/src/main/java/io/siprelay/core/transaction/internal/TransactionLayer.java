package io.siprelay.core.transaction.internal;

import io.siprelay.core.transaction.TimerSettings;
import io.siprelay.core.clock.SipClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.concurrent.KeyedExecutor;
import io.siprelay.core.transport.Flow;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import javax.sip.message.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RFC 3261 §17 transaction layer: tables of client and server transactions, matching (§17.1.3, §17.2.3 and the
 * RFC 2543 fallback), state machines and timers. Timers are armed on the {@link SipClock} and their handlers run on
 * the call's lane of the {@link KeyedExecutor} (key: Call-ID).
 */
public final class TransactionLayer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TransactionLayer.class);

    /** RFC 3261 §8.1.1.7: branches starting with this were built by RFC 3261 elements and are unique. */
    static final String MAGIC_COOKIE = "z9hG4bK";

    final SipCodec codec;
    final SipClock clock;
    final KeyedExecutor executor;
    final TimerSettings timers;

    private final ConcurrentMap<String, ServerTx> servers = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, ClientTx> clients = new ConcurrentHashMap<>();
    private final StatelessReplies statelessReplies;
    private volatile boolean closed;

    /** Default slots for stateless replies kept for retransmissions: 64 Ki, at most a few tens of MB. */
    public static final int DEFAULT_STATELESS_REPLY_SLOTS = 1 << 16;

    public TransactionLayer(SipCodec codec, SipClock clock, KeyedExecutor executor, TimerSettings timers) {
        this(codec, clock, executor, timers, DEFAULT_STATELESS_REPLY_SLOTS);
    }

    /**
     * @param statelessReplySlots how many stateless final replies are kept for retransmitted requests (a power of
     *                            two; 64×T1 each at most, fewer under a load that fills the table sooner)
     */
    public TransactionLayer(SipCodec codec, SipClock clock, KeyedExecutor executor, TimerSettings timers,
                            int statelessReplySlots) {
        this.codec = Objects.requireNonNull(codec, "codec");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.timers = Objects.requireNonNull(timers, "timers");
        this.statelessReplies = new StatelessReplies(statelessReplySlots);
    }

    public TimerSettings timerSettings() {
        return timers;
    }

    /**
     * Offers an inbound request to the existing server transactions. Returns true when it belonged to one and was
     * fully handled there: a retransmission (the last response is re-sent) or an ACK for a non-2xx final response.
     * A CANCEL is not absorbed unless it is a retransmission of a CANCEL already answered. A retransmission of a
     * request that was answered statelessly ({@link #rememberStatelessReply}) gets the same reply bytes again.
     */
    public boolean absorb(SipMessage request, Flow source) {
        boolean ack = Request.ACK.equals(request.method());
        String key = serverKey(request, ack ? Request.INVITE : request.method());
        if (key == null) {
            return false;
        }
        ServerTx tx = matchServer(request, key, ack);
        if (tx != null) {
            return ack ? tx.onAck() : tx.onRetransmission();
        }
        return !ack && resendStatelessReply(key, request.cseq());
    }

    /**
     * Keeps a final reply sent statelessly over an unreliable transport so that a retransmission of the request is
     * answered with the same bytes (same To tag, same nonce) for up to 64×T1. Reliable transports are not kept:
     * their clients do not retransmit.
     */
    public void rememberStatelessReply(SipMessage request, Flow source, InetSocketAddress destination,
                                       byte[] reply, int status) {
        if (status < 200 || source.type().isReliable() || Request.ACK.equals(request.method())) {
            return;
        }
        String key = serverKey(request, request.method());
        if (key != null) {
            statelessReplies.remember(new StatelessReplies.Reply(key, request.cseq(), reply, source.transport(), destination,
                    clock.millis() + timers.timeoutMillis()));
        }
    }

    private boolean resendStatelessReply(String key, long cseq) {
        StatelessReplies.Reply r = statelessReplies.find(key, cseq, clock.millis());
        if (r == null) {
            return false;
        }
        try {
            r.transport().send(r.destination(), r.bytes());
        } catch (IOException e) {
            LOG.debug("could not resend a stateless reply to {}: {}", r.destination(), e.toString());
        }
        return true;
    }

    /** Creates and registers a server transaction for a new request (never for ACK). */
    public ServerTransaction createServer(SipMessage request, Flow source) {
        Objects.requireNonNull(source, "source");
        if (!request.isRequest()) {
            throw new IllegalArgumentException("not a request: " + request.statusCode());
        }
        if (Request.ACK.equals(request.method())) {
            throw new IllegalArgumentException("ACK never creates a server transaction");
        }
        ensureOpen();
        String key = serverKey(request, request.method());
        if (key == null) {
            throw new IllegalArgumentException("request without a top Via cannot start a transaction");
        }
        ServerTx created = new ServerTx(this, key, request, source);
        ServerTx existing = servers.putIfAbsent(key, created);
        if (existing != null) {
            LOG.debug("createServer for an existing transaction {}: returning it", key);
            return existing;
        }
        return created;
    }

    /** The INVITE server transaction a CANCEL refers to (RFC 3261 §9.2), or null. */
    public ServerTransaction findInviteServer(SipMessage cancel) {
        String key = serverKey(cancel, Request.INVITE);
        if (key == null) {
            return null;
        }
        ServerTx tx = servers.get(key);
        if (tx == null || tx.state() == TransactionState.TERMINATED) {
            return null;
        }
        if (tx.rfc2543 && !Objects.equals(toTag(cancel), tx.requestToTag())) {
            return null;
        }
        return tx;
    }

    /**
     * Offers an inbound response to the client transactions. Returns true when one matched (the listener was told or
     * the response was absorbed as a retransmission); false means no transaction: a stateless proxy may forward it.
     */
    public boolean onResponse(SipMessage response, Flow source) {
        if (response.isRequest()) {
            throw new IllegalArgumentException("not a response: " + response.method());
        }
        String branch = response.topViaBranch();
        String method = response.cseqMethod();
        if (branch == null || method == null) {
            return false;
        }
        ClientTx tx = clients.get(clientKey(branch, method));
        if (tx == null) {
            return false;
        }
        tx.onResponse(response);
        return true;
    }

    /**
     * Sends a request in a new client transaction. The request must already carry this proxy's top Via with a unique
     * RFC 3261 branch. ACK is never sent this way.
     */
    public ClientTransaction sendRequest(SipMessage request, Flow destination, ClientTransactionListener listener) {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(listener, "listener");
        if (!request.isRequest()) {
            throw new IllegalArgumentException("not a request: " + request.statusCode());
        }
        if (Request.ACK.equals(request.method())) {
            throw new IllegalArgumentException("ACK is never sent in a client transaction");
        }
        String branch = request.topViaBranch();
        if (branch == null || !branch.startsWith(MAGIC_COOKIE)) {
            throw new IllegalArgumentException("request needs a top Via with an RFC 3261 branch, got " + branch);
        }
        if (request.callId() == null || request.cseqMethod() == null) {
            throw new IllegalArgumentException("request needs Call-ID and CSeq");
        }
        ensureOpen();
        String key = clientKey(branch, request.method());
        ClientTx tx = new ClientTx(this, key, request, destination, listener);
        if (clients.putIfAbsent(key, tx) != null) {
            throw new IllegalStateException("a client transaction with branch " + branch + " and method "
                    + request.method() + " already exists");
        }
        tx.start();
        return tx;
    }

    public int serverTransactionCount() {
        return servers.size();
    }

    public int clientTransactionCount() {
        return clients.size();
    }

    /** Cancels every timer and forgets every transaction. Listeners are not told. */
    @Override
    public void close() {
        closed = true;
        List<ServerTx> s = new ArrayList<>(servers.values());
        List<ClientTx> c = new ArrayList<>(clients.values());
        servers.clear();
        clients.clear();
        s.forEach(ServerTx::shutdown);
        c.forEach(ClientTx::shutdown);
    }

    // ---- internals shared with the transaction classes ----

    void removeServer(ServerTx tx) {
        servers.remove(tx.key, tx);
    }

    void removeClient(ClientTx tx) {
        clients.remove(tx.key, tx);
    }

    /**
     * Arms a timer whose handler runs on the call's lane and receives its own handle. The transaction cancels the
     * handle on state changes; the handler must check, under the transaction's lock, that the handle is still the
     * current one and {@link TxTimer#isLive()}, since a cancel can race with a task already queued.
     */
    TxTimer arm(String callId, long delayMillis, Consumer<TxTimer> handler) {
        TxTimer t = new TxTimer(this, callId, handler);
        t.schedule(delayMillis);
        return t;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("transaction layer is closed");
        }
    }

    private ServerTx matchServer(SipMessage request, String key, boolean ack) {
        ServerTx tx = servers.get(key);
        if (tx == null) {
            return null;
        }
        if (tx.rfc2543) {
            // RFC 3261 §17.2.3: To tags take part in 2543 matching; an ACK's To tag is the one of our response
            String expected = ack ? tx.lastResponseToTag() : tx.requestToTag();
            if (!Objects.equals(toTag(request), expected)) {
                return null;
            }
        }
        return tx;
    }

    /**
     * The server table key for a request, with {@code method} standing for the request's own (INVITE for an ACK or a
     * CANCEL being matched to its INVITE). RFC 3261 branches key on branch + sent-by + method; others on the RFC 2543
     * fields (Request-URI, From tag, Call-ID, CSeq number, top Via, method; the To tag is checked after lookup).
     */
    static String serverKey(SipMessage request, String method) {
        String host = request.topViaHost();
        if (host == null) {
            return null;
        }
        String branch = request.topViaBranch();
        String m = method.toUpperCase(Locale.ROOT);
        String transport = request.topViaTransport();
        if (isRfc3261Branch(branch)) {
            return "3261|" + branch + '|' + sentBy(host, request.topViaPort(), transport) + '|' + m;
        }
        return "2543|" + request.requestUri() + '|' + request.fromTag() + '|' + request.callId() + '|'
                + request.cseq() + '|' + transport + '|' + sentBy(host, request.topViaPort(), transport) + '|'
                + branch + '|' + m;
    }

    static boolean isRfc3261Branch(String branch) {
        return branch != null && branch.regionMatches(true, 0, MAGIC_COOKIE, 0, MAGIC_COOKIE.length());
    }

    static String clientKey(String branch, String method) {
        return branch + '|' + method.toUpperCase(Locale.ROOT);
    }

    private static String sentBy(String host, int port, String transport) {
        if (port <= 0) {
            port = "TLS".equalsIgnoreCase(transport) ? 5061 : 5060;
        }
        return host.toLowerCase(Locale.ROOT) + ':' + port;
    }

    static String toTag(SipMessage m) {
        return m.toTag();
    }

    /**
     * A timer handle: cancelled on state changes, checked by the handler before it acts. It is itself the task the
     * clock runs (one object per timer besides the clock's own): on expiry it hands the handler to the call's lane.
     */
    static final class TxTimer implements Runnable {
        private final TransactionLayer layer;
        private final String callId;
        private final Consumer<TxTimer> handler;
        private SipClock.Timer clockTimer;
        private volatile boolean cancelled;

        TxTimer(TransactionLayer layer, String callId, Consumer<TxTimer> handler) {
            this.layer = layer;
            this.callId = callId;
            this.handler = handler;
        }

        private synchronized void schedule(long delayMillis) {
            clockTimer = layer.clock.schedule(delayMillis, this);
        }

        /** On the clock's thread. */
        @Override
        public void run() {
            if (!isLive()) {
                return;
            }
            if (!layer.executor.execute(callId, KeyedExecutor.Admission.IN_PROGRESS, () -> handler.accept(this))) {
                // the lane is completely full: a lost timer would leak the transaction, so try again shortly
                LOG.debug("timer task for call {} refused by the executor; retrying in {} ms", callId,
                        layer.timers.t1Millis());
                synchronized (this) {
                    if (isLive()) {
                        clockTimer = layer.clock.schedule(layer.timers.t1Millis(), this);
                    }
                }
            }
        }

        /** Cancels {@code t} when there is one. */
        static void cancel(TxTimer t) {
            if (t != null) {
                t.cancel();
            }
        }

        void cancel() {
            cancelled = true;
            SipClock.Timer ct;
            synchronized (this) {
                ct = clockTimer;
            }
            if (ct != null) {
                ct.cancel();
            }
        }

        boolean isLive() {
            return !cancelled;
        }
    }
}
