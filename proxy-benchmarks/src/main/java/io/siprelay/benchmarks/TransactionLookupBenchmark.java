package io.siprelay.benchmarks;

import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.concurrent.InlineExecutor;
import io.siprelay.core.transaction.internal.ClientTransaction;
import io.siprelay.core.transaction.internal.ClientTransactionListener;
import io.siprelay.core.transaction.internal.ServerTransaction;
import io.siprelay.core.transaction.TimerSettings;
import io.siprelay.core.transaction.internal.TransactionLayer;
import io.siprelay.core.transaction.internal.TransactionState;
import io.siprelay.core.transport.Flow;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.text.ParseException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Transaction matching (RFC 3261 §17.1.3 and §17.2.3) against a table of live transactions, on the public API of
 * {@link TransactionLayer} alone: no proxy, no route, no parsing in the measured code (every message is parsed in
 * {@link #setUp}). One thread, inline executor, a {@link VirtualClock} that never moves (so no timer fires and the
 * tables stay exactly as built), a capturing transport (no socket).
 *
 * <p>The table holds {@link #transactions} INVITE server transactions in Proceeding (100 Trying sent, as a proxy's
 * are while the callee rings) and as many INVITE client transactions in Proceeding (180 received), each from its own
 * UA address, with RFC 3261 branches. Probes are spread at random over the whole table (4,096 distinct parsed
 * messages per benchmark, used round robin):
 *
 * <ul>
 *   <li>{@link #serverRetransmissionHit}: {@code absorb} of a retransmitted INVITE: server key built from the top
 *       Via (branch, sent-by, method), table lookup, the 100 Trying re-sent (to a field);</li>
 *   <li>{@link #serverMiss}: {@code absorb} of a new INVITE (unknown branch): key built, lookup misses, false;</li>
 *   <li>{@link #clientResponseHit}: {@code onResponse} of a retransmitted 180: client key (branch + CSeq method),
 *       lookup, state machine, listener told (a counter);</li>
 *   <li>{@link #clientResponseMiss}: {@code onResponse} of a stray 180 (unknown branch): lookup misses, false.</li>
 * </ul>
 *
 * Run with {@code -p transactions=100000} for a bigger table.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TransactionLookupBenchmark {

    private static final int PROBES = 4096; // a power of two: next & (PROBES - 1)

    static final InetSocketAddress CALLEE = new InetSocketAddress("127.0.0.3", 5060);

    /** Live server transactions, and as many live client transactions. */
    @Param({"10000"})
    public int transactions;

    private VirtualClock clock;
    private TransactionLayer layer;
    private StatelessReplyBenchmark.CapturingTransport transport;
    private Flow calleeFlow;
    private final CountingListener listener = new CountingListener();

    private final SipMessage[] retransmissions = new SipMessage[PROBES];
    private final Flow[] retransmissionSources = new Flow[PROBES];
    private final SipMessage[] newRequests = new SipMessage[PROBES];
    private final Flow[] newRequestSources = new Flow[PROBES];
    private final SipMessage[] responses = new SipMessage[PROBES];
    private final SipMessage[] strayResponses = new SipMessage[PROBES];
    private int next;
    private int pendingTimers;

    @Setup(Level.Trial)
    public void setUp() throws ParseException {
        SipCodec codec = SipCodec.create();
        clock = new VirtualClock();
        transport = new StatelessReplyBenchmark.CapturingTransport();
        calleeFlow = new Flow(transport, CALLEE);
        layer = new TransactionLayer(codec, clock, new InlineExecutor(), TimerSettings.defaults());

        for (int i = 0; i < transactions; i++) {
            // upstream: the caller's INVITE, answered with 100 Trying (server transaction in Proceeding)
            SipMessage invite = Messages.parse(codec, invite(i));
            ServerTransaction st = layer.createServer(invite, uacFlow(i));
            st.respond(SipMessage.of(codec.messageFactory().createResponse(100, invite.request())));
            // downstream: the relayed INVITE, answered with 180 (client transaction in Proceeding)
            layer.sendRequest(Messages.parse(codec, relayedInvite(i)), calleeFlow, listener);
            check(layer.onResponse(Messages.parse(codec, ringing(i)), calleeFlow), "180 of client tx " + i);
            if (st.state() != TransactionState.PROCEEDING) {
                throw new IllegalStateException("server tx " + i + " in " + st.state());
            }
        }
        check(layer.serverTransactionCount() == transactions && layer.clientTransactionCount() == transactions,
                "tables hold " + layer.serverTransactionCount() + "/" + layer.clientTransactionCount());
        check(listener.responses == transactions, "listener told " + listener.responses + " times");

        Random random = new Random(42);
        for (int p = 0; p < PROBES; p++) {
            int i = random.nextInt(transactions);
            retransmissions[p] = Messages.parse(codec, invite(i));
            retransmissionSources[p] = uacFlow(i);
            responses[p] = Messages.parse(codec, ringing(i));
            int unknown = transactions + p;
            newRequests[p] = Messages.parse(codec, invite(unknown));
            newRequestSources[p] = uacFlow(unknown);
            strayResponses[p] = Messages.parse(codec, ringing(unknown));
        }

        // every probe does what its benchmark claims, and leaves the tables as they were
        pendingTimers = clock.pendingTimers();
        long told = listener.responses;
        for (int p = 0; p < PROBES; p++) {
            transport.last = null;
            check(layer.absorb(retransmissions[p], retransmissionSources[p]), "retransmission " + p + " absorbed");
            check(transport.last != null && startsWith(transport.last, "SIP/2.0 100 "),
                    "100 Trying re-sent for retransmission " + p);
            transport.last = null;
            check(!layer.absorb(newRequests[p], newRequestSources[p]), "new request " + p + " not absorbed");
            check(transport.last == null, "nothing sent for new request " + p);
            check(layer.onResponse(responses[p], calleeFlow), "180 " + p + " matched");
            check(listener.responses == ++told, "listener told of 180 " + p);
            check(!layer.onResponse(strayResponses[p], calleeFlow), "stray 180 " + p + " not matched");
            check(listener.responses == told, "listener not told of stray 180 " + p);
        }
        checkUnchanged();
        transport.last = null;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        checkUnchanged();
        layer.close();
    }

    private void checkUnchanged() {
        check(layer.serverTransactionCount() == transactions && layer.clientTransactionCount() == transactions
                        && clock.pendingTimers() == pendingTimers,
                "tables changed: serverTx=" + layer.serverTransactionCount() + " clientTx="
                        + layer.clientTransactionCount() + " pendingTimers=" + clock.pendingTimers() + " (expected "
                        + transactions + "/" + transactions + "/" + pendingTimers + ")");
    }

    /** A retransmitted INVITE: matched, absorbed, the last response (100 Trying) re-sent. */
    @Benchmark
    public byte[] serverRetransmissionHit() {
        int p = next++ & (PROBES - 1);
        boolean absorbed = layer.absorb(retransmissions[p], retransmissionSources[p]);
        byte[] resent = transport.last;
        if (!absorbed || resent == null) {
            throw new IllegalStateException("retransmission not absorbed");
        }
        transport.last = null;
        return resent;
    }

    /** A new INVITE: no transaction, not absorbed (the proxy would go on to the route). */
    @Benchmark
    public boolean serverMiss() {
        int p = next++ & (PROBES - 1);
        return layer.absorb(newRequests[p], newRequestSources[p]);
    }

    /** A retransmitted 180 from downstream: matched, passed to the listener. */
    @Benchmark
    public boolean clientResponseHit() {
        int p = next++ & (PROBES - 1);
        return layer.onResponse(responses[p], calleeFlow);
    }

    /** A response with an unknown branch: no transaction (a proxy would forward it statelessly). */
    @Benchmark
    public boolean clientResponseMiss() {
        int p = next++ & (PROBES - 1);
        return layer.onResponse(strayResponses[p], calleeFlow);
    }

    // ---------------------------------------------------------------- the messages

    /** The address of UA {@code i}: one per transaction, as many callers behind one proxy. */
    static String uaIp(int i) {
        return "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
    }

    private Flow uacFlow(int i) {
        return new Flow(transport, new InetSocketAddress(uaIp(i), 5060));
    }

    /** A random-looking RFC 3261 branch, unique per {@code i} and side. */
    static String branch(String side, int i) {
        long h = (i + 1) * 0x9e3779b97f4a7c15L;
        return "z9hG4bK" + side + Long.toHexString(h ^ (h >>> 29));
    }

    private static String invite(int i) {
        String ip = uaIp(i);
        return "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP " + ip + ":5060;branch=" + branch("u", i) + ";rport\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: \"Alice\" <sip:alice" + i + "@atlanta.example.com>;tag=f" + i + "\r\n"
                + "To: <sip:bob@biloxi.example.com>\r\n"
                + "Call-ID: " + i + "-txbench@" + ip + "\r\n"
                + "CSeq: 1 INVITE\r\n"
                + "Contact: <sip:alice" + i + "@" + ip + ":5060>\r\n"
                + "Content-Length: 0\r\n"
                + "\r\n";
    }

    /** The same INVITE as the proxy relays it: its own Via on top, with a branch of its own. */
    private static String relayedInvite(int i) {
        String ip = uaIp(i);
        return "INVITE sip:bob@127.0.0.3:5060 SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=" + branch("p", i) + "\r\n"
                + "Via: SIP/2.0/UDP " + ip + ":5060;branch=" + branch("u", i) + ";rport=5060;received=" + ip + "\r\n"
                + "Max-Forwards: 69\r\n"
                + "From: \"Alice\" <sip:alice" + i + "@atlanta.example.com>;tag=f" + i + "\r\n"
                + "To: <sip:bob@biloxi.example.com>\r\n"
                + "Call-ID: " + i + "-txbench@" + ip + "\r\n"
                + "CSeq: 1 INVITE\r\n"
                + "Contact: <sip:alice" + i + "@" + ip + ":5060>\r\n"
                + "Content-Length: 0\r\n"
                + "\r\n";
    }

    /** The callee's 180 to the relayed INVITE. */
    private static String ringing(int i) {
        String ip = uaIp(i);
        return "SIP/2.0 180 Ringing\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=" + branch("p", i) + "\r\n"
                + "Via: SIP/2.0/UDP " + ip + ":5060;branch=" + branch("u", i) + ";rport=5060;received=" + ip + "\r\n"
                + "From: \"Alice\" <sip:alice" + i + "@atlanta.example.com>;tag=f" + i + "\r\n"
                + "To: <sip:bob@biloxi.example.com>;tag=b" + i + "\r\n"
                + "Call-ID: " + i + "-txbench@" + ip + "\r\n"
                + "CSeq: 1 INVITE\r\n"
                + "Contact: <sip:bob@127.0.0.3:5060>\r\n"
                + "Content-Length: 0\r\n"
                + "\r\n";
    }

    private static boolean startsWith(byte[] m, String prefix) {
        if (m.length < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (m[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("setup check failed: " + what);
        }
    }

    /** Counts what the client transactions report; a timeout or transport error means a broken setup. */
    static final class CountingListener implements ClientTransactionListener {
        long responses;

        @Override
        public void onResponse(ClientTransaction transaction, SipMessage response) {
            responses++;
        }

        @Override
        public void onTimeout(ClientTransaction transaction) {
            throw new IllegalStateException("timeout of " + transaction + ": the clock must not move");
        }

        @Override
        public void onTransportError(ClientTransaction transaction, IOException error) {
            throw new IllegalStateException("transport error on " + transaction, error);
        }
    }
}
