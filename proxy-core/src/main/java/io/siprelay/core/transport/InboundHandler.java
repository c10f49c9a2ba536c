package io.siprelay.core.transport;

import java.net.InetSocketAddress;

/**
 * Receives whole messages from a transport. Called on transport threads: implementations hand the bytes on and
 * return quickly; they must not throw (a transport still guards against it).
 */
@FunctionalInterface
public interface InboundHandler {
    void onMessage(Transport transport, InetSocketAddress source, byte[] message);
}
