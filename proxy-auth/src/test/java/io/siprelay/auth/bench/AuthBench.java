package io.siprelay.auth.bench;

import io.siprelay.auth.AuthResult;
import io.siprelay.auth.Digest;
import io.siprelay.auth.DigestAlgorithm;
import io.siprelay.auth.DigestAuth;
import io.siprelay.auth.InMemorySubscriberStore;
import io.siprelay.auth.Qop;
import io.siprelay.auth.testing.DigestClient;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.route.RequestContext;
import io.siprelay.core.transport.Flow;
import io.siprelay.core.transport.UdpTransport;
import io.siprelay.permissions.AddressEntry;
import io.siprelay.permissions.Permissions;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * Measured loops (not JMH; one thread, warm-up then timed rounds, best and median of 5 reported) for the issue's
 * figures: digest verifications per second per core and permission lookups with 10,000 entries. Run:
 *
 * <pre>
 * mvn -q -B -pl proxy-auth test-compile
 * java -cp proxy-auth/target/test-classes:proxy-auth/target/classes:$(cat cp.txt) io.siprelay.auth.bench.AuthBench
 * </pre>
 */
public final class AuthBench {

    private static volatile Object sink;

    public static void main(String[] args) throws Exception {
        System.out.println("java " + System.getProperty("java.version") + ", " + Runtime.getRuntime()
                .availableProcessors() + " cpus, 1 thread");
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            measure("digest math only (HA1 known, qop=auth), " + alg.token(), () -> {
                String ha1 = Digest.ha1(alg, "alice", "example.com", "wonderland");
                String expected = Digest.response(alg, ha1, "nonce", "00000001", "c", "auth", "REGISTER",
                        "sip:example.com", null);
                return () -> {
                    String r = Digest.response(alg, ha1, "nonce", "00000001", "c", "auth", "REGISTER",
                            "sip:example.com", null);
                    sink = Digest.constantTimeEquals(expected, r);
                };
            });
            measure("full check: header parse + nonce HMAC + store + HA1 from password + verify, " + alg.token(),
                    () -> fullCheck(alg));
        }
        measure("permissions: 10,000 entries (9,000 hosts, 1,000 /24), lookup of random addresses",
                AuthBench::permissions);
    }

    private static Runnable fullCheck(DigestAlgorithm alg) throws Exception {
        InMemorySubscriberStore store = new InMemorySubscriberStore();
        store.add("alice", "example.com", "wonderland");
        DigestAuth auth = DigestAuth.builder().subscribers(store).algorithms(alg).qop(Qop.NONE).build();
        SipCodec codec = SipCodec.create();
        String msg = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                + "From: <sip:alice@example.com>;tag=1\r\nTo: <sip:alice@example.com>\r\nCall-ID: x\r\n"
                + "CSeq: 1 REGISTER\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n";
        Request req = codec.parse(msg.getBytes()).request();
        Flow flow = new Flow(new UdpTransport(new InetSocketAddress("127.0.0.1", 0)),
                new InetSocketAddress("192.0.2.1", 5060));
        Response[] challenge = new Response[1];
        BenchContext first = new BenchContext(req, flow, codec, r -> challenge[0] = r);
        auth.challenge(first, "example.com");
        new DigestClient("alice", "wonderland", alg.token(), codec.headerFactory()).authorize(req, challenge[0]);
        if (auth.check(new BenchContext(req, flow, codec, r -> { }), "example.com") != AuthResult.OK) {
            throw new IllegalStateException("setup: not OK");
        }
        return () -> sink = auth.check(new BenchContext(req, flow, codec, r -> { }), "example.com");
    }

    private static Runnable permissions() {
        Random rnd = new Random(42);
        List<AddressEntry> entries = new ArrayList<>();
        for (int i = 0; i < 9000; i++) {
            entries.add(new AddressEntry(1 + i % 50, "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255),
                    0, i % 3 == 0 ? 5060 : 0, "t" + i));
        }
        for (int i = 0; i < 1000; i++) {
            entries.add(new AddressEntry(200 + i % 10, "172." + (16 + i / 256) + "." + (i % 256) + ".0", 24, 0, null));
        }
        Permissions p = Permissions.of(entries);
        String[] probes = new String[4096];
        for (int i = 0; i < probes.length; i++) {
            probes[i] = switch (i % 3) {
                case 0 -> "10.0." + rnd.nextInt(36) + "." + rnd.nextInt(256);
                case 1 -> "172." + (16 + rnd.nextInt(4)) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256);
                default -> "192.0.2." + rnd.nextInt(256);
            };
        }
        int[] k = {0};
        return () -> sink = p.groupOf(probes[k[0]++ & 4095], 5060);
    }

    @FunctionalInterface
    interface Setup {
        Runnable get() throws Exception;
    }

    private static void measure(String label, Setup setup) throws Exception {
        Runnable op = setup.get();
        long warm = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warm) {
            for (int i = 0; i < 1000; i++) {
                op.run();
            }
        }
        double[] rates = new double[5];
        for (int round = 0; round < rates.length; round++) {
            long n = 0;
            long t0 = System.nanoTime();
            long end = t0 + 1_000_000_000L;
            long now;
            do {
                for (int i = 0; i < 1000; i++) {
                    op.run();
                }
                n += 1000;
                now = System.nanoTime();
            } while (now < end);
            rates[round] = n * 1e9 / (now - t0);
        }
        java.util.Arrays.sort(rates);
        System.out.printf(Locale.ROOT, "%-100s median %,12.0f ops/s  best %,12.0f ops/s  (%.2f µs/op)%n", label,
                rates[2], rates[4], 1e6 / rates[2]);
    }

    /** A request context outside a proxy: replies go to a callback. */
    static final class BenchContext extends RequestContext {
        private final SipCodec codec;
        private final Consumer<Response> replies;

        BenchContext(Request request, Flow source, SipCodec codec, Consumer<Response> replies) {
            super(request, source);
            this.codec = codec;
            this.replies = replies;
        }

        @Override
        protected void doReply(int status, String reason, Consumer<Response> customizer) {
            try {
                Response r = codec.messageFactory().createResponse(status, request());
                r.setReasonPhrase(reason);
                customizer.accept(r);
                replies.accept(r);
            } catch (java.text.ParseException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected void doForward() {
            throw new UnsupportedOperationException();
        }

        @Override
        protected void doRelay() {
            throw new UnsupportedOperationException();
        }

        @Override
        protected boolean doLooseRoute() {
            return false;
        }

        @Override
        public javax.sip.header.HeaderFactory headerFactory() {
            return codec.headerFactory();
        }

        @Override
        public javax.sip.address.AddressFactory addressFactory() {
            return codec.addressFactory();
        }
    }
}
