package io.siprelay.core.transport.memory;

import io.siprelay.core.transport.InboundHandler;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A {@link Transport} on an {@link InMemoryNetwork}; behaves like UDP or like TCP as its type says. */
public final class InMemoryTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryTransport.class);

    private final InMemoryNetwork network;
    private final TransportType type;
    private final InetSocketAddress local;
    private volatile InboundHandler handler;

    InMemoryTransport(InMemoryNetwork network, TransportType type, InetSocketAddress local) {
        this.network = network;
        this.type = type;
        this.local = local;
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
        network.enqueue(type, local, destination, message);
    }

    void deliver(InetSocketAddress from, byte[] data) {
        InboundHandler h = handler;
        if (h == null) {
            return;
        }
        try {
            h.onMessage(this, from, data);
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
