package io.siprelay.core.transport.memory;

import io.siprelay.core.transport.TransportType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A network in one JVM: transports bound to made-up addresses exchange whole messages through a FIFO of packets in
 * flight. Nothing moves until {@link #runUntilIdle()} delivers, on the caller's thread, so a test decides when the
 * network runs and every run is deterministic. Like UDP, a datagram to an address nobody is bound to is lost; like
 * TCP, a stream send to such an address fails with "connection refused".
 */
public final class InMemoryNetwork {

    private final Map<Key, InMemoryTransport> bound = new ConcurrentHashMap<>();
    private final ArrayDeque<Packet> inFlight = new ArrayDeque<>();
    private volatile Predicate<byte[]> lossFilter = p -> false;
    private java.util.List<Packet> capture;
    private long delivered;
    private long lost;

    /**
     * Creates a listener's transport on this network (bind happens at {@code start}). A WS/WSS one answers only over
     * connections its clients opened: see {@link #webSocketClient}.
     */
    public InMemoryTransport transport(TransportType type, String host, int port) {
        boolean webSocketListener = type == TransportType.WS || type == TransportType.WSS;
        return new InMemoryTransport(this, type, address(host, port), !webSocketListener);
    }

    /** A WebSocket client's transport (a browser): it opens connections to WS/WSS listeners. */
    public InMemoryTransport webSocketClient(TransportType type, String host, int port) {
        if (type != TransportType.WS && type != TransportType.WSS) {
            throw new IllegalArgumentException("a WebSocket client is WS or WSS, not " + type);
        }
        return new InMemoryTransport(this, type, address(host, port), true);
    }

    /**
     * Loses every packet (of any transport) for which {@code filter} is true, until replaced; for testing
     * retransmissions. Loss on a stream transport is unrealistic: use it with UDP transports.
     */
    public void loseWhere(Predicate<byte[]> filter) {
        this.lossFilter = filter == null ? p -> false : filter;
    }

    /** Delivers packets in flight, including those sent while delivering, until none is left. */
    public void runUntilIdle() {
        int guard = 0;
        while (true) {
            Packet p;
            synchronized (inFlight) {
                p = inFlight.poll();
            }
            if (p == null) {
                return;
            }
            if (++guard > 1_000_000) {
                throw new IllegalStateException("in-memory network did not settle after 1,000,000 packets: a loop?");
            }
            InMemoryTransport to = bound.get(new Key(p.type, p.to));
            if (to == null || lossFilter.test(p.data)) {
                lost++;
                continue;
            }
            delivered++;
            to.deliver(p.from, p.data);
        }
    }

    /** Packets waiting for delivery. */
    public int pending() {
        synchronized (inFlight) {
            return inFlight.size();
        }
    }

    public long delivered() {
        return delivered;
    }

    public long lost() {
        return lost;
    }

    // ---------------------------------------------------------------- used by InMemoryTransport

    void bind(InMemoryTransport t) {
        Key k = new Key(t.type(), t.localAddress());
        if (bound.putIfAbsent(k, t) != null) {
            throw new IllegalStateException("address already in use: " + t.type() + " " + t.localAddress());
        }
    }

    void unbind(InMemoryTransport t) {
        bound.remove(new Key(t.type(), t.localAddress()), t);
    }

    boolean isBound(TransportType type, InetSocketAddress address) {
        return bound.containsKey(new Key(type, address));
    }

    void enqueue(TransportType type, InetSocketAddress from, InetSocketAddress to, byte[] data) {
        Packet p = new Packet(type, from, to, data.clone());
        synchronized (inFlight) {
            inFlight.add(p);
            if (capture != null) {
                capture.add(p);
            }
        }
    }

    /** From now on, records every packet sent (whether or not anyone receives it), like a packet capture. */
    public void startCapture() {
        synchronized (inFlight) {
            capture = new java.util.ArrayList<>();
        }
    }

    /** Packets sent from {@code host:port} since {@link #startCapture()}, in order; the capture is then cleared. */
    public java.util.List<Packet> takeCaptured(String host, int port) {
        InetSocketAddress from = address(host, port);
        synchronized (inFlight) {
            if (capture == null) {
                throw new IllegalStateException("startCapture() first");
            }
            java.util.List<Packet> out = new java.util.ArrayList<>();
            for (Packet p : capture) {
                if (p.from().equals(from)) {
                    out.add(p);
                }
            }
            capture.clear();
            return out;
        }
    }

    static InetSocketAddress address(String host, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("in-memory addresses must be IP literals, got " + host, e);
        }
    }

    private record Key(TransportType type, InetSocketAddress address) {
    }

    /** One message on the wire. */
    public record Packet(TransportType type, InetSocketAddress from, InetSocketAddress to, byte[] data) {

        public String text() {
            return new String(data, java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
