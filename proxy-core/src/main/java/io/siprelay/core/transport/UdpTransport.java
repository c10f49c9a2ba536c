package io.siprelay.core.transport;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIP over UDP: one blocking {@link DatagramChannel} and one reader thread ({@code siprelay-udp-<port>}). Each
 * datagram is copied into a fresh array of its exact length and handed to the {@link InboundHandler}; a handler
 * that throws is logged and the reader carries on. Empty datagrams and datagrams of only CR/LF (keep-alives some
 * user agents send over UDP) are dropped here. {@link #send} may be called from any thread.
 */
public final class UdpTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(UdpTransport.class);
    private static final long JOIN_MILLIS = 2_000;

    private final InetSocketAddress bindAddress;
    private final TransportOptions options;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LogLimiter handlerFailures = new LogLimiter(LOG, 10, TimeUnit.SECONDS);
    private final LogLimiter receiveFailures = new LogLimiter(LOG, 10, TimeUnit.SECONDS);

    private volatile DatagramChannel channel;
    private volatile InetSocketAddress localAddress;
    private volatile Thread reader;

    public UdpTransport(InetSocketAddress bindAddress) {
        this(bindAddress, TransportOptions.defaults());
    }

    public UdpTransport(InetSocketAddress bindAddress, TransportOptions options) {
        this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
        this.options = Objects.requireNonNull(options, "options");
        this.localAddress = bindAddress;
    }

    @Override
    public TransportType type() {
        return TransportType.UDP;
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    public TransportOptions options() {
        return options;
    }

    @Override
    public void start(InboundHandler handler) throws IOException {
        Objects.requireNonNull(handler, "handler");
        if (closed.get()) {
            throw new IOException("transport closed");
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        DatagramChannel ch = bindAddress.getAddress() instanceof Inet6Address
                ? DatagramChannel.open(StandardProtocolFamily.INET6)
                : DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, options.receiveBufferBytes());
            ch.bind(bindAddress);
            ch.configureBlocking(true);
            localAddress = (InetSocketAddress) ch.getLocalAddress();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        int granted = ch.getOption(StandardSocketOptions.SO_RCVBUF);
        if (granted < options.receiveBufferBytes()) {
            LOG.info("UDP {}: receive buffer {} bytes requested, {} granted (raise net.core.rmem_max)",
                    localAddress, options.receiveBufferBytes(), granted);
        }
        channel = ch;
        Thread t = new Thread(() -> readLoop(ch, handler), "siprelay-udp-" + localAddress.getPort());
        t.setDaemon(true);
        reader = t;
        t.start();
        if (closed.get()) { // close() raced with start()
            closeChannel();
        }
        LOG.info("UDP listening on {}", localAddress);
    }

    private void readLoop(DatagramChannel ch, InboundHandler handler) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(options.maxDatagramBytes());
        while (!closed.get() && ch.isOpen()) {
            InetSocketAddress source;
            buffer.clear();
            try {
                source = (InetSocketAddress) ch.receive(buffer);
            } catch (ClosedChannelException e) {
                break; // close() (AsynchronousCloseException is a subclass)
            } catch (IOException | RuntimeException e) {
                if (closed.get()) {
                    break;
                }
                receiveFailures.warn("UDP {}: receive failed: {}", localAddress, e.toString());
                continue;
            }
            if (source == null) {
                continue;
            }
            buffer.flip();
            if (isKeepAlive(buffer)) {
                continue;
            }
            byte[] message = new byte[buffer.remaining()];
            buffer.get(message);
            try {
                handler.onMessage(this, source, message);
            } catch (Throwable t) {
                handlerFailures.warn("UDP {}: handler failed on a {}-byte datagram from {}", localAddress,
                        message.length, source, t);
            }
        }
        LOG.debug("UDP {} reader stopped", localAddress);
    }

    private static boolean isKeepAlive(ByteBuffer datagram) {
        for (int i = datagram.position(); i < datagram.limit(); i++) {
            byte b = datagram.get(i);
            if (b != '\r' && b != '\n') {
                return false;
            }
        }
        return true;
    }

    @Override
    public void send(InetSocketAddress destination, byte[] message) throws IOException {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(message, "message");
        DatagramChannel ch = channel;
        if (ch == null || closed.get()) {
            throw new IOException("UDP transport " + localAddress + " is " + (ch == null ? "not started" : "closed"));
        }
        if (destination.isUnresolved()) {
            throw new IOException("unresolved destination " + destination);
        }
        if (message.length > options.maxDatagramBytes()) {
            throw new IOException("message of " + message.length + " bytes exceeds the UDP limit of "
                    + options.maxDatagramBytes());
        }
        int sent = ch.send(ByteBuffer.wrap(message), destination);
        if (sent != message.length) {
            throw new IOException("datagram to " + destination + " not sent (" + sent + " of " + message.length
                    + " bytes)");
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closeChannel();
        Thread t = reader;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (t != null) {
            LOG.info("UDP {} closed", localAddress);
        }
    }

    private void closeChannel() {
        DatagramChannel ch = channel;
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                LOG.debug("UDP {}: close failed", localAddress, e);
            }
        }
    }

    @Override
    public String toString() {
        return "UdpTransport[" + localAddress + "]";
    }
}
