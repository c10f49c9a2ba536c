package io.siprelay.benchmarks;

import io.siprelay.core.SipProxy;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.concurrent.InlineExecutor;
import io.siprelay.core.route.Route;
import io.siprelay.core.transport.InboundHandler;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportType;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Stateful relay through the core on a capturing transport (no sockets), one thread, inline executor, virtual clock.
 *
 * <ul>
 *   <li>{@link #inviteTransaction}: INVITE in → 100 to the caller + INVITE out (record-routed) to the callee; 180
 *       and 200 from the callee relayed to the caller; then the clock passes Timer L/M so both INVITE transactions
 *       end.</li>
 *   <li>{@link #call}: the same, then the caller's ACK (loose-routed, forwarded statelessly) and BYE (relayed in a
 *       transaction) through the route set, the callee's 200 to the BYE relayed back, then the clock passes Timer
 *       J/K/L/M.</li>
 * </ul>
 *
 * The "network" is a list: each operation checks that every expected message came out, to the right peer. The
 * callee's responses are made from the captured request by copying lines (Via stack, Record-Route, From, To, Call-ID,
 * CSeq), a few microseconds of harness work per response. Each call has its own Call-ID and branches. The clock is
 * advanced by {@link #STEP_MILLIS} (more than every timer: fr_inv_timer 120 s, Timer C 181 s) at the end of each
 * operation, so every transaction ends and its timers fire within the next operation: the tables stay bounded, which
 * {@link #tearDown} prints and checks. One operation is one call (or one INVITE transaction), not one message.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StatefulCallBenchmark {

    static final long STEP_MILLIS = 200_000;

    static final InetSocketAddress CALLER = new InetSocketAddress("127.0.0.2", 5060);
    static final InetSocketAddress CALLEE = new InetSocketAddress("127.0.0.3", 5060);

    private Network net;
    private VirtualClock clock;
    private SipProxy proxy;
    private long callNumber;
    private int maxServerTx;
    private int maxClientTx;
    private int maxRelays;

    @Setup(Level.Trial)
    public void setUp() {
        net = new Network();
        clock = new VirtualClock();
        Route route = Route.named("request_route", ctx -> {
            if (ctx.hasToTag()) {
                if (ctx.looseRoute()) {
                    return ctx.relay();
                }
                return ctx.isMethod("ACK") ? ctx.drop() : ctx.reply(404, "Not here");
            }
            ctx.recordRoute();
            ctx.setDestination("sip:127.0.0.3:5060");
            return ctx.relay();
        });
        proxy = SipProxy.builder()
                .listen(net)
                .executor(new InlineExecutor())
                .clock(clock)
                .requestRoute(route)
                .build()
                .start();
    }

    @TearDown(Level.Iteration)
    public void afterIteration() {
        maxServerTx = Math.max(maxServerTx, proxy.transactions().serverTransactionCount());
        maxClientTx = Math.max(maxClientTx, proxy.transactions().clientTransactionCount());
        maxRelays = Math.max(maxRelays, proxy.activeRelays());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        int server = proxy.transactions().serverTransactionCount();
        int client = proxy.transactions().clientTransactionCount();
        int relays = proxy.activeRelays();
        int timers = clock.pendingTimers();
        System.out.printf("%n[StatefulCallBenchmark] calls=%d end of trial: serverTx=%d clientTx=%d activeRelays=%d"
                        + " pendingTimers=%d; largest at an iteration end: serverTx=%d clientTx=%d activeRelays=%d%n"
                        + "[StatefulCallBenchmark] proxy stats: %s%n",
                callNumber, server, client, relays, timers, maxServerTx, maxClientTx, maxRelays,
                proxy.stats().snapshot());
        proxy.close();
        // the last operation's transactions wait for the next clock step: at most one call's worth may be left
        if (server > 2 || client > 2 || relays > 2 || maxServerTx > 2 || maxClientTx > 2 || maxRelays > 2) {
            throw new IllegalStateException("transaction tables grew during the benchmark: serverTx=" + server
                    + " clientTx=" + client + " activeRelays=" + relays + " (max " + maxServerTx + "/" + maxClientTx
                    + "/" + maxRelays + ")");
        }
    }

    /** INVITE → 100 + INVITE out, 180, 200 relayed; transactions ended by the clock. */
    @Benchmark
    public byte[] inviteTransaction() {
        long n = ++callNumber;
        byte[] ok = invite(n);
        clock.advanceMillis(STEP_MILLIS);
        return ok;
    }

    /** A whole record-routed call: the INVITE transaction, ACK, BYE/200; transactions ended by the clock. */
    @Benchmark
    public byte[] call() {
        long n = ++callNumber;
        invite(n);
        String callee = "sip:callee@127.0.0.3:5060";
        net.deliver(CALLER, inDialog("ACK", n, callee, 1, "z9hG4bK-ack-" + n));
        net.expect(CALLEE, "ACK ");
        net.deliver(CALLER, inDialog("BYE", n, callee, 2, "z9hG4bK-bye-" + n));
        byte[] byeOut = net.expect(CALLEE, "BYE ");
        net.deliver(CALLEE, response(byeOut, 200, "OK", null));
        byte[] ok = net.expect(CALLER, "SIP/2.0 200");
        net.expectNothingMore();
        clock.advanceMillis(STEP_MILLIS);
        return ok;
    }

    private byte[] invite(long n) {
        net.deliver(CALLER, invite(n, "z9hG4bK-inv-" + n));
        net.expect(CALLER, "SIP/2.0 100");
        byte[] out = net.expect(CALLEE, "INVITE ");
        net.deliver(CALLEE, response(out, 180, "Ringing", "callee" + n));
        net.expect(CALLER, "SIP/2.0 180");
        net.deliver(CALLEE, response(out, 200, "OK", "callee" + n));
        byte[] ok = net.expect(CALLER, "SIP/2.0 200");
        net.expectNothingMore();
        return ok;
    }

    // ---------------------------------------------------------------- the peers' messages

    private static final String SDP = "v=0\r\n"
            + "o=caller 1 1 IN IP4 127.0.0.2\r\n"
            + "s=-\r\n"
            + "c=IN IP4 127.0.0.2\r\n"
            + "t=0 0\r\n"
            + "m=audio 6000 RTP/AVP 0\r\n"
            + "a=rtpmap:0 PCMU/8000\r\n";

    static byte[] invite(long n, String branch) {
        return ("INVITE sip:callee@127.0.0.1:5060 SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=" + branch + ";rport\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: \"caller\" <sip:caller@127.0.0.2:5060>;tag=caller" + n + "\r\n"
                + "To: <sip:callee@127.0.0.1:5060>\r\n"
                + "Call-ID: " + n + "-bench@127.0.0.2\r\n"
                + "CSeq: 1 INVITE\r\n"
                + "Contact: <sip:caller@127.0.0.2:5060>\r\n"
                + "Content-Type: application/sdp\r\n"
                + "Content-Length: " + SDP.length() + "\r\n"
                + "\r\n"
                + SDP).getBytes(StandardCharsets.US_ASCII);
    }

    /** ACK or BYE of the caller: Request-URI the callee's Contact, Route the proxy's Record-Route. */
    static byte[] inDialog(String method, long n, String remoteTarget, int cseq, String branch) {
        return (method + " " + remoteTarget + " SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP 127.0.0.2:5060;branch=" + branch + ";rport\r\n"
                + "Route: <sip:127.0.0.1:5060;lr>\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: \"caller\" <sip:caller@127.0.0.2:5060>;tag=caller" + n + "\r\n"
                + "To: <sip:callee@127.0.0.1:5060>;tag=callee" + n + "\r\n"
                + "Call-ID: " + n + "-bench@127.0.0.2\r\n"
                + "CSeq: " + cseq + " " + method + "\r\n"
                + "Content-Length: 0\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The callee's response to a request the proxy sent: Via, Record-Route, From, To, Call-ID and CSeq copied (To
     * with {@code toTag} added when given), the callee's Contact.
     */
    static byte[] response(byte[] request, int status, String reason, String toTag) {
        String text = new String(request, StandardCharsets.US_ASCII);
        int end = text.indexOf("\r\n\r\n");
        StringBuilder b = new StringBuilder(512).append("SIP/2.0 ").append(status).append(' ').append(reason)
                .append("\r\n");
        int pos = text.indexOf("\r\n") + 2; // skip the request line
        while (pos < end) {
            int eol = text.indexOf("\r\n", pos);
            String line = text.substring(pos, eol);
            pos = eol + 2;
            if (startsWithHeader(line, "Via", "v") || startsWithHeader(line, "Record-Route", null)
                    || startsWithHeader(line, "From", "f") || startsWithHeader(line, "Call-ID", "i")
                    || startsWithHeader(line, "CSeq", null)) {
                b.append(line).append("\r\n");
            } else if (startsWithHeader(line, "To", "t")) {
                b.append(line);
                if (toTag != null && !line.contains(";tag=")) {
                    b.append(";tag=").append(toTag);
                }
                b.append("\r\n");
            }
        }
        b.append("Contact: <sip:callee@127.0.0.3:5060>\r\nContent-Length: 0\r\n\r\n");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean startsWithHeader(String line, String name, String compact) {
        int colon = line.indexOf(':');
        if (colon < 0) {
            return false;
        }
        String h = line.substring(0, colon).trim();
        return h.equalsIgnoreCase(name) || (compact != null && h.equalsIgnoreCase(compact));
    }

    // ---------------------------------------------------------------- the network

    /** One UDP listener at 127.0.0.1:5060 whose sends are kept in a list, checked and cleared by each step. */
    static final class Network implements Transport {
        private InboundHandler handler;
        private final List<InetSocketAddress> to = new ArrayList<>();
        private final List<byte[]> sent = new ArrayList<>();
        private final InetSocketAddress local = new InetSocketAddress("127.0.0.1", 5060);

        void deliver(InetSocketAddress from, byte[] message) {
            handler.onMessage(this, from, message);
        }

        /** Takes the first message sent since the last take; it must go to {@code peer} and start with {@code start}. */
        byte[] expect(InetSocketAddress peer, String start) {
            if (sent.isEmpty()) {
                throw new IllegalStateException("nothing sent; expected " + start + " to " + peer);
            }
            InetSocketAddress dest = to.remove(0);
            byte[] m = sent.remove(0);
            if (!dest.equals(peer) || !startsWith(m, start)) {
                throw new IllegalStateException("expected " + start + " to " + peer + ", got to " + dest + ":\n"
                        + new String(m, StandardCharsets.US_ASCII));
            }
            return m;
        }

        void expectNothingMore() {
            if (!sent.isEmpty()) {
                throw new IllegalStateException("unexpected message to " + to.get(0) + ":\n"
                        + new String(sent.get(0), StandardCharsets.US_ASCII));
            }
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

        @Override
        public TransportType type() {
            return TransportType.UDP;
        }

        @Override
        public InetSocketAddress localAddress() {
            return local;
        }

        @Override
        public void start(InboundHandler handler) {
            this.handler = handler;
        }

        @Override
        public void send(InetSocketAddress destination, byte[] message) {
            to.add(destination);
            sent.add(message);
        }

        @Override
        public void close() {
        }
    }
}
