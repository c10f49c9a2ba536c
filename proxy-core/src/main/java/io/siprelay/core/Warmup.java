package io.siprelay.core;

import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.concurrent.InlineExecutor;
import io.siprelay.core.route.Route;
import io.siprelay.core.transport.InboundHandler;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportType;
import io.siprelay.core.transport.memory.InMemoryNetwork;
import io.siprelay.core.transport.memory.InMemoryTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JIT warm-up before the listeners open (issue #18): a cold JVM runs the parser, the pipeline and the transaction
 * layer interpreted and compiles them while the first traffic waits, on the same cores. Hit at once by a phone fleet
 * re-registering after a restart, it fell behind, clients retransmitted, and the backlog never drained.
 *
 * <p>This drives a synthetic mix (OPTIONS; REGISTER challenged, then with credentials and a Contact; an INVITE relayed
 * statefully with Record-Route to a UAS that rings and answers; ACK and BYE within the dialog) through a private
 * proxy on an in-memory network, with the application's codec, for a bounded time. The application's own route is
 * never run, so nothing of its state (registrations, counters, next hops) is touched; what it warms is what every
 * route shares: parsing, validation, the transaction layer, relaying, replies and encoding.
 */
final class Warmup {

    private static final Logger LOG = LoggerFactory.getLogger(Warmup.class);

    private static final String PROXY = "127.0.0.1";
    private static final String UAC = "127.0.0.2";
    private static final String UAS = "127.0.0.3";
    private static final int UAC_PORT = 5062;
    private static final int UAS_PORT = 5090;

    /** The JIT is taken as settled when it compiled for less than this share of a half-second window. */
    private static final long WINDOW_NANOS = 500_000_000L;
    private static final long SETTLED_PERCENT = 10;
    /**
     * Rounds before the JIT may count as settled: C2 compiles a method after ~5,000 calls (Tier4InvocationThreshold),
     * so before this the quiet spell after the C1 wave is not the end of the compiling.
     */
    static final long MIN_ROUNDS = 6_000;

    private Warmup() {
    }

    /** What a warm-up did: rounds of the mix, and responses the UAC got (7 a round when every flow worked). */
    record Result(long rounds, long responses) {
    }

    /** Responses the UAC gets in one round: OPTIONS 200, REGISTER 401 and 200, INVITE 100, 180 and 200, BYE 200. */
    static final int RESPONSES_PER_ROUND = 7;

    /**
     * Runs the mix until the JIT has settled (it compiled for under 10 % of the last half second) or {@code budget}
     * has passed, whichever comes first.
     */
    static Result run(SipCodec codec, Duration budget) {
        if (budget.isZero() || budget.isNegative()) {
            return new Result(0, 0);
        }
        long start = System.nanoTime();
        long end = start + budget.toNanos();
        LOG.info("warming up the JIT for at most {} ms before listening (SipProxy.Builder.warmup)", budget.toMillis());
        InMemoryNetwork net = new InMemoryNetwork();
        VirtualClock clock = new VirtualClock();
        SipProxy proxy = SipProxy.builder()
                .listen(net.transport(TransportType.UDP, PROXY, 5060))
                .clock(clock).executor(new InlineExecutor()).codec(codec)
                .warmup(Duration.ZERO)
                .requestRoute(route())
                .build().start();
        InMemoryTransport uac = net.transport(TransportType.UDP, UAC, UAC_PORT);
        InMemoryTransport uas = net.transport(TransportType.UDP, UAS, UAS_PORT);
        long rounds = 0;
        long[] responses = new long[1];
        try {
            uac.start((t, from, m) -> responses[0]++);
            uas.start(new Uas());
            InetSocketAddress to = new InetSocketAddress(PROXY, 5060);
            java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
            boolean watchJit = jit != null && jit.isCompilationTimeMonitoringSupported();
            long windowEnd = System.nanoTime() + WINDOW_NANOS;
            long jitAtWindowStart = watchJit ? jit.getTotalCompilationTime() : 0;
            while (System.nanoTime() - end < 0) {
                round(uac, to, rounds);
                net.runUntilIdle();
                if (++rounds % 500 == 0) {
                    clock.advance(Duration.ofSeconds(40)); // every transaction of the last rounds ends (64×T1)
                }
                if (watchJit && System.nanoTime() - windowEnd >= 0 && rounds >= MIN_ROUNDS) {
                    long jitMs = jit.getTotalCompilationTime();
                    LOG.debug("warm-up: {} rounds, JIT {} ms in the last window", rounds, jitMs - jitAtWindowStart);
                    if ((jitMs - jitAtWindowStart) * 1_000_000 < WINDOW_NANOS * SETTLED_PERCENT / 100) {
                        break; // the compilers have caught up with this mix: the rest compiles in the background
                    }
                    jitAtWindowStart = jitMs;
                    windowEnd = System.nanoTime() + WINDOW_NANOS;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("warm-up stopped early: {}", e.toString());
        } finally {
            proxy.close();
            uac.close();
            uas.close();
        }
        LOG.info("warm-up: {} rounds of registrations and calls in {} ms", rounds,
                (System.nanoTime() - start) / 1_000_000);
        if (responses[0] != rounds * RESPONSES_PER_ROUND) {
            LOG.warn("warm-up: {} responses for {} rounds, expected {} a round", responses[0], rounds,
                    RESPONSES_PER_ROUND);
        }
        return new Result(rounds, responses[0]);
    }

    /** What the common route shapes do: stateless replies with and without headers added, relay, loose routing. */
    private static Route route() {
        return ctx -> {
            if (ctx.hasToTag()) {
                ctx.looseRoute();
                return ctx.relay();
            }
            switch (ctx.method()) {
                case "OPTIONS":
                    return ctx.reply(200, "OK");
                case "REGISTER":
                    // what DigestAuth and Registrar.save() do: header lines read and replies cut from the bytes
                    ctx.fromUser();
                    ctx.toUri();
                    if (!ctx.hasHeader("Authorization")) {
                        return ctx.reply(401, "Unauthorized", List.of("WWW-Authenticate: Digest realm=\"warm.up\","
                                + " nonce=\"0123456789abcdef\", qop=\"auth\", algorithm=MD5"));
                    }
                    ctx.headers("Authorization");
                    ctx.header("Expires");
                    ctx.userAgent();
                    ctx.headers("Path");
                    String contact = ctx.headers("Contact").get(0);
                    try {
                        ctx.headerFactory().createHeader("Contact", contact);
                    } catch (java.text.ParseException e) {
                        throw new IllegalStateException(e);
                    }
                    return ctx.reply(200, "OK", List.of("Contact: " + contact + ";expires=3600",
                            "Date: Mon, 07 Dec 2026 11:41:05 GMT"));
                case "INVITE":
                    ctx.recordRoute();
                    ctx.setDestination("sip:" + UAS + ":" + UAS_PORT);
                    return ctx.relay();
                default:
                    return ctx.reply(501, "Not Implemented");
            }
        };
    }

    private static void round(Transport uac, InetSocketAddress proxy, long n) throws IOException {
        String id = "wu" + n;
        String via = "Via: SIP/2.0/UDP " + UAC + ":" + UAC_PORT + ";branch=z9hG4bK" + id;
        String from = "From: <sip:1001@warm.up>;tag=f" + id + "\r\n";
        String common = "Max-Forwards: 70\r\nUser-Agent: warm-up\r\n";
        send(uac, proxy, "OPTIONS sip:" + PROXY + " SIP/2.0\r\n" + via + "o\r\n" + from
                + "To: <sip:" + PROXY + ">\r\nCall-ID: o" + id + "\r\nCSeq: 1 OPTIONS\r\n" + common
                + "Content-Length: 0\r\n\r\n");
        String register = "REGISTER sip:warm.up SIP/2.0\r\n" + via + "%s\r\n" + from
                + "To: <sip:1001@warm.up>\r\nCall-ID: r" + id + "\r\nCSeq: %d REGISTER\r\n" + common
                + "Contact: <sip:1001@" + UAC + ":" + UAC_PORT + ">\r\nExpires: 3600\r\n%s"
                + "Content-Length: 0\r\n\r\n";
        send(uac, proxy, String.format(register, "r1", 1, ""));
        send(uac, proxy, String.format(register, "r2", 2, "Authorization: Digest username=\"1001\", "
                + "realm=\"warm.up\", nonce=\"0123456789abcdef\", uri=\"sip:warm.up\", response=\""
                + "0123456789abcdef0123456789abcdef\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c\"\r\n"));
        String sdp = "v=0\r\no=- 1 1 IN IP4 " + UAC + "\r\ns=-\r\nc=IN IP4 " + UAC + "\r\nt=0 0\r\n"
                + "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n";
        String callId = "Call-ID: c" + id + "\r\n";
        send(uac, proxy, "INVITE sip:1002@warm.up SIP/2.0\r\n" + via + "i\r\n" + from + "To: <sip:1002@warm.up>\r\n"
                + callId + "CSeq: 1 INVITE\r\n" + common + "Contact: <sip:1001@" + UAC + ":" + UAC_PORT + ">\r\n"
                + "Content-Type: application/sdp\r\nContent-Length: " + sdp.length() + "\r\n\r\n" + sdp);
        String dialog = " sip:1002@" + UAS + ":" + UAS_PORT + " SIP/2.0\r\n" + via + "%s\r\n" + from
                + "To: <sip:1002@warm.up>;tag=uas\r\n" + callId + "CSeq: %s\r\n" + common
                + "Route: <sip:" + PROXY + ":5060;lr>\r\nContent-Length: 0\r\n\r\n";
        send(uac, proxy, "ACK" + String.format(dialog, "a", "1 ACK"));
        send(uac, proxy, "BYE" + String.format(dialog, "b", "2 BYE"));
    }

    private static void send(Transport t, InetSocketAddress to, String m) throws IOException {
        t.send(to, m.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Rings and answers an INVITE, answers a BYE; the To tag is fixed so the UAC needs not read responses. */
    private static final class Uas implements InboundHandler {
        @Override
        public void onMessage(Transport transport, InetSocketAddress source, byte[] message) {
            String m = new String(message, StandardCharsets.ISO_8859_1);
            boolean invite = m.startsWith("INVITE ");
            if (!invite && !m.startsWith("BYE ")) {
                return; // ACK, responses
            }
            StringBuilder headers = new StringBuilder();
            for (String line : m.substring(0, m.indexOf("\r\n\r\n")).split("\r\n")) {
                String lower = line.toLowerCase(java.util.Locale.ROOT);
                if (lower.startsWith("via:") || lower.startsWith("from:") || lower.startsWith("call-id:")
                        || lower.startsWith("cseq:") || lower.startsWith("record-route:")) {
                    headers.append(line).append("\r\n");
                } else if (lower.startsWith("to:")) {
                    headers.append(line).append(line.contains(";tag=") ? "" : ";tag=uas").append("\r\n");
                }
            }
            try {
                if (invite) {
                    reply(transport, source, "180 Ringing", headers, "");
                    reply(transport, source, "200 OK", headers, "Contact: <sip:1002@" + UAS + ":" + UAS_PORT
                            + ">\r\n");
                } else {
                    reply(transport, source, "200 OK", headers, "");
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private static void reply(Transport t, InetSocketAddress to, String status, CharSequence headers,
                                  String extra) throws IOException {
            send(t, to, "SIP/2.0 " + status + "\r\n" + headers + extra + "Content-Length: 0\r\n\r\n");
        }
    }
}
