package io.siprelay.core.transport.memory;

import io.siprelay.core.transport.InboundHandler;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Transport} on an {@link InMemoryNetwork}; behaves like UDP or like TCP as its type says, and a WS/WSS
 * listener like the real {@code WebSocketTransport}: it sends only to clients that connected to it first.
 */
public final class InMemoryTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryTransport.class);

    private final InMemoryNetwork network;
    private final TransportType type;
    private final InetSocketAddress local;
    private volatile InboundHandler handler;
    /** Stream types: one framer per remote address, as a real TCP connection has one. */
    private final java.util.Map<InetSocketAddress, io.siprelay.core.transport.StreamFramer> connections =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** False for a WebSocket listener: like the real one it answers only over connections its clients opened. */
    private final boolean dialsOut;

    InMemoryTransport(InMemoryNetwork network, TransportType type, InetSocketAddress local, boolean dialsOut) {
        this.network = network;
        this.type = type;
        this.local = local;
        this.dialsOut = dialsOut;
    }

    @Override
    public TransportType type() {
        return type;
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public void start(InboundHandler handler) {
        this.handler = handler;
        network.bind(this);
    }

    @Override
    public void send(InetSocketAddress destination, byte[] message) throws IOException {
        if (handler == null) {
            throw new IOException("transport " + type + " " + local + " is not started");
        }
        if (type.isReliable() && !network.isBound(type, destination)) {
            throw new ConnectException("connection refused: nobody listens on " + type + " " + destination);
        }
        if (!dialsOut && !connections.containsKey(destination)) {
            throw new IOException("no WebSocket connection from " + destination
                    + ": a WebSocket client is reached only over the connection it opened");
        }
        network.enqueue(type, local, destination, message);
    }

    void deliver(InetSocketAddress from, byte[] data) {
        InboundHandler h = handler;
        if (h == null) {
            return;
        }
        if (!type.isReliable()) {
            hand(h, from, data);
            return;
        }
        // a stream: bytes go through the same framing as on a real TCP connection
        io.siprelay.core.transport.StreamFramer framer = connections.computeIfAbsent(from,
                a -> new io.siprelay.core.transport.StreamFramer(
                        io.siprelay.core.transport.TransportOptions.defaults()));
        try {
            framer.feed(data, new io.siprelay.core.transport.StreamFramer.Sink() {
                @Override
                public void onMessage(byte[] message) {
                    hand(h, from, message);
                }

                @Override
                public void onPing() {
                    network.enqueue(type, local, from, PONG);
                }
            });
        } catch (io.siprelay.core.transport.FramingException e) {
            LOG.debug("{} {}: framing error from {}, connection closed: {}", type, local, from, e.getMessage());
            connections.remove(from);
        }
    }

    private static final byte[] PONG = {'\r', '\n'};

    private void hand(InboundHandler h, InetSocketAddress from, byte[] message) {
        try {
            h.onMessage(this, from, message);
        } catch (RuntimeException e) {
            // the same containment a real transport gives: a handler failure never stops the listener
            LOG.error("inbound handler failed on {} {}", type, local, e);
        }
    }

    @Override
    public void close() {
        network.unbind(this);
        handler = null;
    }

    @Override
    public String toString() {
        return "in-memory " + type + " " + local;
    }
}
