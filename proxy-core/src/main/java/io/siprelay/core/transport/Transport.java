package io.siprelay.core.transport;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Moves SIP messages as bytes. A transport knows addresses and framing, nothing of SIP semantics. Stream
 * transports deliver one whole message per {@link InboundHandler#onMessage} call (framed by Content-Length).
 */
public interface Transport extends AutoCloseable {

    TransportType type();

    /** The bound address (after {@link #start}, with the real port when 0 was asked for). */
    InetSocketAddress localAddress();

    /** Binds and starts delivering inbound messages to {@code handler}. */
    void start(InboundHandler handler) throws IOException;

    /**
     * Sends one message. Stream transports reuse the open connection to {@code destination} (so a response goes back
     * on the connection its request came on) and open one when there is none.
     *
     * @throws IOException when the message cannot be handed to the network (no route, refused connection)
     */
    void send(InetSocketAddress destination, byte[] message) throws IOException;

    /** Stops listening and closes every connection. Idempotent. */
    @Override
    void close();
}
