package io.siprelay.testkit;

import io.siprelay.core.SipProxy;
import io.siprelay.core.clock.VirtualClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.concurrent.InlineExecutor;
import io.siprelay.core.transport.TransportType;
import io.siprelay.core.transport.memory.InMemoryNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Everything a route test needs, in memory: a network, a virtual clock, proxies built from the same code as in
 * production, and scripted peers. One test thread drives it all, so runs are deterministic.
 *
 * <pre>{@code
 * try (SipTestKit kit = SipTestKit.create()) {
 *     kit.proxy(b -> b.requestRoute(ctx -> ctx.reply(501, "Not Implemented")));
 *     Peer alice = kit.peer("127.0.0.2", 5060);
 *     alice.send(alice.request("OPTIONS", "sip:127.0.0.1"));
 *     assertThat(alice.takeResponse().getStatusCode()).isEqualTo(501);
 * }
 * }</pre>
 */
public final class SipTestKit implements AutoCloseable {

    /** Where {@link #proxy(Consumer)} listens unless told otherwise. */
    public static final String PROXY_HOST = "127.0.0.1";
    public static final int PROXY_PORT = 5060;

    private final InMemoryNetwork network = new InMemoryNetwork();
    private final VirtualClock clock = new VirtualClock();
    private final SipCodec codec = SipCodec.create();
    private final List<AutoCloseable> owned = new ArrayList<>();
    private SipProxy lastProxy;

    private SipTestKit() {
        clock.afterEachTask(network::runUntilIdle);
    }

    public static SipTestKit create() {
        return new SipTestKit();
    }

    public InMemoryNetwork network() {
        return network;
    }

    public VirtualClock clock() {
        return clock;
    }

    public SipCodec codec() {
        return codec;
    }

    /** A started proxy on {@value #PROXY_HOST}:{@value #PROXY_PORT}, UDP and TCP, configured by {@code config}. */
    public SipProxy proxy(Consumer<SipProxy.Builder> config) {
        return proxy(PROXY_HOST, PROXY_PORT, config);
    }

    /** A started proxy on the given address (UDP and TCP), on this kit's network and clock, running inline. */
    public SipProxy proxy(String host, int port, Consumer<SipProxy.Builder> config) {
        SipProxy.Builder b = SipProxy.builder()
                .listen(network.transport(TransportType.UDP, host, port))
                .listen(network.transport(TransportType.TCP, host, port))
                .clock(clock)
                .executor(new InlineExecutor())
                .codec(codec);
        config.accept(b);
        SipProxy p = b.build().start();
        owned.add(p);
        lastProxy = p;
        return p;
    }

    /** A peer speaking UDP at host:port whose requests go to the last proxy created. */
    public Peer peer(String host, int port) {
        return peer(TransportType.UDP, host, port);
    }

    /**
     * A peer speaking {@code type} at host:port. A WS/WSS peer is a browser: it opens the connection to the proxy's
     * WebSocket listener (point it there with {@link Peer#target}), and the proxy reaches it only over that connection.
     */
    public Peer peer(TransportType type, String host, int port) {
        boolean browser = type == TransportType.WS || type == TransportType.WSS;
        Peer p = new Peer(this, browser ? network.webSocketClient(type, host, port)
                : network.transport(type, host, port));
        if (lastProxy != null) {
            p.target(PROXY_HOST, PROXY_PORT);
        }
        owned.add(p);
        return p;
    }

    /** Delivers everything in flight. */
    public void runUntilIdle() {
        network.runUntilIdle();
    }

    /** Advances virtual time, firing due timers and delivering what they send, in order. */
    public void advance(Duration d) {
        network.runUntilIdle();
        clock.advance(d);
        network.runUntilIdle();
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                // closing test resources: nothing useful to do
            }
        }
        owned.clear();
    }
}
