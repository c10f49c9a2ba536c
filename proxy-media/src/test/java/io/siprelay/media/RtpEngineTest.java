package io.siprelay.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.clock.VirtualClock;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The ng client against a UDP peer the test drives, on a virtual clock. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class RtpEngineTest {

    private static final Duration TRY = Duration.ofSeconds(1);
    private static final Duration DISABLE = Duration.ofSeconds(10);

    private final VirtualClock clock = new VirtualClock();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    @Test
    void matchesRepliesToCommandsByCookie() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()));
        RtpEngineInstance instance = ng.instances().get(0);

        CompletableFuture<Map<String, Object>> first = ng.send("call-1", command("query", "call-1"));
        CompletableFuture<Map<String, Object>> second = ng.send("call-2", command("query", "call-2"));
        Peer.Datagram d1 = peer.next();
        Peer.Datagram d2 = peer.next();
        assertThat(d1.cookie()).isNotEqualTo(d2.cookie());
        assertThat(d1.body()).containsEntry("command", "query").containsEntry("call-id", "call-1");
        assertThat(ng.inFlight()).isEqualTo(2);

        peer.reply(d2, Map.of("result", "ok", "which", "second"));
        peer.reply(d1, Map.of("result", "ok", "which", "first"));

        assertThat(get(first)).containsEntry("which", "first").containsEntry("result", "ok");
        assertThat(get(second)).containsEntry("which", "second");
        assertThat(ng.inFlight()).isZero();
        assertThat(ng.strayReplies()).isZero();
        assertThat(instance.requests()).isEqualTo(2);
        assertThat(clock.pendingTimers()).as("try timers cancelled").isZero();
    }

    @Test
    void pingIsTrueOnPong() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()));
        CompletableFuture<Boolean> ping = ng.ping(ng.instances().get(0));
        Peer.Datagram d = peer.next();
        assertThat(d.body()).isEqualTo(Map.of("command", "ping"));
        peer.reply(d, Map.of("result", "pong"));
        assertThat(ping.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void anErrorReplyFailsWithTheDaemonsReasonAndDoesNotDisable() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()));
        RtpEngineInstance instance = ng.instances().get(0);

        CompletableFuture<Map<String, Object>> f = ng.send(instance, command("delete", "gone"));
        peer.reply(peer.next(), Map.of("result", "error", "error-reason", "Unknown call-id"));

        NgException e = failure(f);
        assertThat(e.kind()).isEqualTo(NgException.Kind.ERROR_REPLY);
        assertThat(e.getMessage()).contains(peer.spec(), "delete", "Unknown call-id");
        assertThat(instance.errors()).isEqualTo(1);
        assertThat(instance.isEnabled()).isTrue();
    }

    @Test
    void aLoadLimitReplyIsOverloaded() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()));
        CompletableFuture<Map<String, Object>> f = ng.send("c", command("offer", "c"));
        peer.reply(peer.next(), Map.of("result", "load limit", "message", "Parallel session limit reached"));
        NgException e = failure(f);
        assertThat(e.kind()).isEqualTo(NgException.Kind.OVERLOADED);
        assertThat(e.getMessage()).contains("load limit", "Parallel session limit reached");
    }

    @Test
    void aStrayReplyIsCountedAndDropped() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()));
        CompletableFuture<Map<String, Object>> f = ng.send("c", command("query", "c"));
        Peer.Datagram d = peer.next();

        peer.sendRaw(("nosuchcookie " + "d6:result2:oke").getBytes(StandardCharsets.US_ASCII), d.from());
        await(() -> ng.strayReplies() == 1, "stray counted");
        assertThat(f).isNotDone();

        try (Peer other = new Peer()) {
            other.sendRaw((d.cookie() + " d6:result2:oke").getBytes(StandardCharsets.US_ASCII), d.from());
            await(() -> ng.strayReplies() == 2, "reply from a foreign address counted as stray");
        }
        assertThat(f).isNotDone();

        peer.reply(d, Map.of("result", "ok"));
        assertThat(get(f)).containsEntry("result", "ok");
        peer.reply(d, Map.of("result", "ok"));
        await(() -> ng.strayReplies() == 3, "duplicate reply counted as stray");
    }

    @Test
    void garbageDatagramsDoNotKillTheReceiver() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()));
        CompletableFuture<Map<String, Object>> f = ng.send("c", command("query", "c"));
        Peer.Datagram d = peer.next();

        java.util.Random random = new java.util.Random(7);
        List<byte[]> garbage = new ArrayList<>();
        garbage.add(new byte[0]);
        garbage.add(" d6:result2:oke".getBytes(StandardCharsets.US_ASCII));
        garbage.add("no-space-at-all".getBytes(StandardCharsets.US_ASCII));
        garbage.add((d.cookie() + " d6:result").getBytes(StandardCharsets.US_ASCII));
        garbage.add((d.cookie() + " l6:resulte").getBytes(StandardCharsets.US_ASCII));
        garbage.add((d.cookie() + " 99999999:x").getBytes(StandardCharsets.US_ASCII));
        garbage.add((d.cookie() + " " + "l".repeat(5000)).getBytes(StandardCharsets.US_ASCII));
        for (int k = 0; k < 20; k++) {
            byte[] bytes = new byte[1 + random.nextInt(1400)];
            random.nextBytes(bytes);
            garbage.add(bytes);
        }
        for (byte[] g : garbage) {
            peer.sendRaw(g, d.from());
        }
        await(() -> ng.strayReplies() == garbage.size(), "every garbage datagram counted");
        assertThat(f).isNotDone();

        peer.reply(d, Map.of("result", "ok"));
        assertThat(get(f)).containsEntry("result", "ok");
    }

    @Test
    void retriesResendTheSameDatagram() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()).timeout(TRY).retries(3));
        CompletableFuture<Map<String, Object>> f = ng.send("c", command("offer", "c"));

        Peer.Datagram first = peer.next();
        for (int k = 0; k < 3; k++) {
            clock.advance(TRY);
            assertThat(peer.next().raw()).isEqualTo(first.raw());
        }
        assertThat(f).isNotDone();
        peer.reply(first, Map.of("result", "ok"));
        assertThat(get(f)).containsEntry("result", "ok");
        assertThat(peer.received()).isEqualTo(4);
        assertThat(ng.instances().get(0).timeouts()).isZero();
    }

    @Test
    void timeoutAfterTheLastRetryDisablesTheInstanceUntilAProbeAnswers() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()).timeout(TRY).retries(2).disableTimeout(DISABLE));
        RtpEngineInstance instance = ng.instances().get(0);
        CompletableFuture<Map<String, Object>> f = ng.send("c", command("offer", "c"));

        Peer.Datagram first = peer.next();
        clock.advance(TRY);
        peer.next();
        clock.advance(TRY);
        peer.next();
        clock.advance(TRY.minusMillis(1));
        assertThat(f).isNotDone();
        clock.advanceMillis(1);

        NgException e = failure(f);
        assertThat(e.kind()).isEqualTo(NgException.Kind.TIMEOUT);
        assertThat(e.getMessage()).contains(peer.spec(), "offer", "3 tries");
        assertThat(instance.timeouts()).isEqualTo(1);
        assertThat(instance.isEnabled()).isFalse();
        assertThat(instance.isDisabledByOperator()).isFalse();
        assertThat(ng.select("c")).isNull();
        assertThat(failure(ng.send("c", command("offer", "c"))).kind()).isEqualTo(NgException.Kind.NO_INSTANCE);

        // nothing more was sent for the timed-out command: the next datagram is a new one
        CompletableFuture<Map<String, Object>> marker = ng.send(instance, command("query", "marker"));
        Peer.Datagram m = peer.next();
        assertThat(m.cookie()).isNotEqualTo(first.cookie());
        assertThat(m.body()).containsEntry("call-id", "marker");
        peer.reply(m, Map.of("result", "ok"));
        get(marker);
        assertThat(instance.isEnabled()).as("an ordinary reply does not re-enable").isFalse();

        clock.advance(DISABLE.minusMillis(1));
        clock.advanceMillis(1);
        Peer.Datagram probe = peer.next();
        assertThat(probe.body()).isEqualTo(Map.of("command", "ping"));
        peer.reply(probe, Map.of("result", "pong"));
        await(instance::isEnabled, "enabled again by the probe");
        assertThat(ng.select("c")).isSameAs(instance);
    }

    @Test
    void aProbeThatIsNotAnsweredKeepsTheInstanceDisabledForAnotherPeriod() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()).timeout(TRY).retries(1).disableTimeout(DISABLE));
        RtpEngineInstance instance = ng.instances().get(0);
        CompletableFuture<Boolean> ping = ng.ping(instance);
        peer.next();
        clock.advance(TRY);
        peer.next();
        clock.advance(TRY);
        assertThat(ping.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(instance.isEnabled()).isFalse();

        clock.advance(DISABLE);
        Peer.Datagram probe = peer.next();
        assertThat(probe.body()).containsEntry("command", "ping");
        clock.advance(TRY);
        assertThat(peer.next().raw()).as("the probe is retried too").isEqualTo(probe.raw());
        clock.advance(TRY);
        assertThat(instance.isEnabled()).isFalse();
        assertThat(instance.timeouts()).isEqualTo(2);

        peer.reply(probe, Map.of("result", "pong"));
        await(() -> ng.strayReplies() == 1, "late pong dropped");
        assertThat(instance.isEnabled()).as("a late pong does not count").isFalse();

        clock.advance(DISABLE);
        Peer.Datagram second = peer.next();
        assertThat(second.cookie()).isNotEqualTo(probe.cookie());
        peer.reply(second, Map.of("result", "error", "error-reason", "busy"));
        // errors() counts after the try timer is cancelled, so one pending timer then is the next probe
        await(() -> instance.errors() == 1 && clock.pendingTimers() == 1, "next probe scheduled after the error");
        assertThat(instance.isEnabled()).isFalse();

        clock.advance(DISABLE);
        Peer.Datagram third = peer.next();
        peer.reply(third, Map.of("result", "pong"));
        await(instance::isEnabled, "enabled by the third probe");
    }

    @Test
    void selectIsStablePerCallIdAndFollowsTheWeights() {
        RtpEngine ng = engine(b -> b.instance("udp:127.0.0.1:40001=1").instance("udp:127.0.0.1:40002=3"));
        RtpEngineInstance light = ng.instance("udp:127.0.0.1:40001");
        int onLight = 0;
        for (int k = 0; k < 10_000; k++) {
            String callId = "a84b4c76e66710-" + k + "@pc33.example.com";
            RtpEngineInstance chosen = ng.select(callId);
            assertThat(ng.select(callId)).isSameAs(chosen);
            if (chosen == light) {
                onLight++;
            }
        }
        assertThat(onLight).isBetween(2_000, 3_000);
    }

    @Test
    void aCallMovesToAnEnabledInstanceOnlyWhileItsOwnIsDisabled() {
        RtpEngine ng = engine(b -> b.instance("udp:127.0.0.1:40001").instance("udp:127.0.0.1:40002")
                .instance("udp:127.0.0.1:40003=2"));
        List<RtpEngineInstance> all = ng.instances();
        Map<String, RtpEngineInstance> before = new HashMap<>();
        for (int k = 0; k < 2_000; k++) {
            before.put("call-" + k, ng.select("call-" + k));
        }
        RtpEngineInstance down = all.get(2);
        ng.setEnabled(down, false);
        Map<RtpEngineInstance, Integer> moved = new HashMap<>();
        for (Map.Entry<String, RtpEngineInstance> e : before.entrySet()) {
            RtpEngineInstance now = ng.select(e.getKey());
            assertThat(now).isNotSameAs(down);
            if (e.getValue() != down) {
                assertThat(now).as("calls of enabled instances stay").isSameAs(e.getValue());
            } else {
                assertThat(ng.select(e.getKey())).isSameAs(now);
                moved.merge(now, 1, Integer::sum);
            }
        }
        assertThat(moved.keySet()).as("moved calls spread over the others").containsExactlyInAnyOrder(all.get(0),
                all.get(1));
        ng.setEnabled(down, true);
        before.forEach((callId, instance) -> assertThat(ng.select(callId)).isSameAs(instance));

        all.forEach(i -> ng.setEnabled(i, false));
        assertThat(ng.select("call-1")).isNull();
    }

    @Test
    void beyondMaxInFlightCommandsFailAtOnceAsOverloaded() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()).maxInFlight(2));
        CompletableFuture<Map<String, Object>> a = ng.send("a", command("query", "a"));
        CompletableFuture<Map<String, Object>> b = ng.send("b", command("query", "b"));
        CompletableFuture<Map<String, Object>> c = ng.send("c", command("query", "c"));

        assertThat(c).isCompletedExceptionally();
        assertThat(failure(c).kind()).isEqualTo(NgException.Kind.OVERLOADED);
        assertThat(ng.inFlight()).isEqualTo(2);
        peer.reply(peer.next(), Map.of("result", "ok"));
        await(() -> ng.inFlight() == 1, "one slot freed");
        CompletableFuture<Map<String, Object>> d = ng.send("d", command("query", "d"));
        assertThat(d).isNotDone();
        assertThat(a.isDone() && b.isDone()).isFalse();
    }

    @Test
    void anInstanceDisabledByTheOperatorIsNotProbed() throws Exception {
        Peer peer = peer();
        Peer spare = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()).instance(spare.spec()).disableTimeout(DISABLE));
        RtpEngineInstance instance = ng.instance(peer.spec());

        ng.setEnabled(instance, false);
        assertThat(instance.isEnabled()).isFalse();
        assertThat(instance.isDisabledByOperator()).isTrue();
        assertThat(ng.select("c")).isSameAs(ng.instance(spare.spec()));
        clock.advance(DISABLE.multipliedBy(10));
        assertThat(clock.pendingTimers()).isZero();
        CompletableFuture<Map<String, Object>> marker = ng.send(instance, command("query", "marker"));
        assertThat(peer.next().body()).as("no probe before the marker").containsEntry("call-id", "marker");
        assertThat(peer.received()).isEqualTo(1);
        assertThat(marker).isNotDone();

        ng.setEnabled(instance, true);
        assertThat(instance.isEnabled()).isTrue();
        assertThat(instance.isDisabledByOperator()).isFalse();
    }

    @Test
    void operatorDisableStopsTheProbingOfATimedOutInstance() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()).retries(0).disableTimeout(DISABLE));
        RtpEngineInstance instance = ng.instances().get(0);
        ng.send("c", command("offer", "c"));
        peer.next();
        clock.advance(TRY);
        assertThat(instance.isEnabled()).isFalse();
        ng.setEnabled(instance, false);
        clock.advance(DISABLE.multipliedBy(3));
        assertThat(clock.pendingTimers()).isZero();
        assertThat(instance.isDisabledByOperator()).isTrue();
    }

    @Test
    void closeFailsPendingCommandsAndStopsTheReceiver() throws Exception {
        Peer peer = peer();
        RtpEngine ng = engine(b -> b.instance(peer.spec()));
        CompletableFuture<Map<String, Object>> pending = ng.send("c", command("offer", "c"));
        peer.next();

        ng.close();

        NgException e = failure(pending);
        assertThat(e.kind()).isEqualTo(NgException.Kind.IO);
        assertThat(e.getMessage()).contains("offer", peer.spec());
        assertThat(ng.inFlight()).isZero();
        assertThat(failure(ng.send("c", command("offer", "c"))).kind()).isEqualTo(NgException.Kind.IO);
        await(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().equals(RtpEngine.RECEIVER_THREAD) && t.isAlive()), "receiver stopped");
        ng.close();
    }

    @Test
    void parsesInstanceSpecs() {
        RtpEngine ng = engine(b -> b.instance("udp:127.0.0.1:2223=3").instance("127.0.0.1:2224")
                .instance(new InetSocketAddress("127.0.0.1", 2225), 2).instance("udp:[::1]:2226"));
        List<RtpEngineInstance> all = ng.instances();
        assertThat(all).extracting(RtpEngineInstance::url).containsExactly("udp:127.0.0.1:2223",
                "udp:127.0.0.1:2224", "udp:127.0.0.1:2225", "udp:[::1]:2226");
        assertThat(all).extracting(RtpEngineInstance::weight).containsExactly(3, 1, 2, 1);
        assertThat(all.get(0).address()).isEqualTo(new InetSocketAddress("127.0.0.1", 2223));
        assertThat(all.get(3).address().getPort()).isEqualTo(2226);
        assertThat(ng.instance("127.0.0.1:2224")).isSameAs(all.get(1));
        assertThat(ng.instance("udp:[::1]:2226")).isSameAs(all.get(3));
        assertThat(ng.instance("udp:127.0.0.1:9")).isNull();
        assertThat(all.get(0).toString()).contains("udp:127.0.0.1:2223", "weight=3", "enabled");

        for (String bad : List.of("", "udp:", "udp:127.0.0.1", "udp:127.0.0.1:0", "udp:127.0.0.1:70000",
                "udp:127.0.0.1:x", "tcp:127.0.0.1:2223", "udp:127.0.0.1:2223=0", "udp:127.0.0.1:2223=heavy",
                "udp:[::1:2223", "udp::2223", "udp:::1:2223")) {
            assertThatThrownBy(() -> RtpEngine.builder().instance(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rtpengine");
        }
        assertThatThrownBy(() -> RtpEngine.builder().instance("udp:127.0.0.1:1").instance("127.0.0.1:1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> RtpEngine.builder().build()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rejectsCommandsThatCannotBeSent() {
        RtpEngine ng = engine(b -> b.instance("udp:127.0.0.1:40001"));
        assertThatThrownBy(() -> ng.send("c", Map.of("call-id", "c")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("command");
        assertThatThrownBy(() -> ng.send("c", Map.of("command", "offer", "ratio", 0.5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.lang.Double");
        assertThat(ng.inFlight()).isZero();
    }

    // ------------------------------------------------------------------------------------------------------------

    private RtpEngine engine(Consumer<RtpEngine.Builder> config) {
        RtpEngine.Builder b = RtpEngine.builder().clock(clock);
        config.accept(b);
        RtpEngine ng = b.build();
        closeables.add(ng);
        return ng;
    }

    private Peer peer() throws IOException {
        Peer p = new Peer();
        closeables.add(p);
        return p;
    }

    private static Map<String, Object> command(String name, String callId) {
        return Map.of("command", name, "call-id", callId);
    }

    private static Map<String, Object> get(CompletableFuture<Map<String, Object>> f) throws Exception {
        return f.get(5, TimeUnit.SECONDS);
    }

    private static NgException failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(NgException.class);
            return (NgException) e.getCause();
        }
        throw new AssertionError("completed normally: " + f);
    }

    /** Bounded real-time wait for something the receiver thread does. */
    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 5 s: " + what);
            }
            Thread.sleep(1);
        }
    }

    /** A fake rtpengine: a UDP socket on 127.0.0.1 that the test reads and answers by hand. */
    static final class Peer implements AutoCloseable {
        record Datagram(byte[] raw, String cookie, Map<String, Object> body, SocketAddress from) {
        }

        private final DatagramSocket socket;
        private int received;

        Peer() throws IOException {
            socket = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
            socket.setSoTimeout(5_000);
        }

        String spec() {
            return "udp:127.0.0.1:" + socket.getLocalPort();
        }

        int received() {
            return received;
        }

        /** The next command sent to this peer, waiting up to 5 s. */
        @SuppressWarnings("unchecked")
        Datagram next() throws IOException {
            DatagramPacket p = new DatagramPacket(new byte[65_535], 65_535);
            socket.receive(p);
            received++;
            byte[] raw = Arrays.copyOf(p.getData(), p.getLength());
            int space = indexOf(raw, (byte) ' ');
            String cookie = new String(raw, 0, space, StandardCharsets.US_ASCII);
            Object body = Bencode.decode(raw, space + 1, raw.length - space - 1);
            return new Datagram(raw, cookie, (Map<String, Object>) body, p.getSocketAddress());
        }

        void reply(Datagram to, Map<String, ?> dict) throws IOException {
            byte[] body = Bencode.encode(dict);
            byte[] cookie = (to.cookie() + " ").getBytes(StandardCharsets.US_ASCII);
            byte[] out = Arrays.copyOf(cookie, cookie.length + body.length);
            System.arraycopy(body, 0, out, cookie.length, body.length);
            sendRaw(out, to.from());
        }

        void sendRaw(byte[] data, SocketAddress to) throws IOException {
            socket.send(new DatagramPacket(data, data.length, to));
        }

        private static int indexOf(byte[] data, byte b) {
            for (int k = 0; k < data.length; k++) {
                if (data[k] == b) {
                    return k;
                }
            }
            throw new AssertionError("no cookie in " + new String(data, StandardCharsets.ISO_8859_1));
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
