package io.siprelay.core.transport;

import io.siprelay.core.concurrent.DispatchThread;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIP over UDP: one blocking {@link DatagramChannel} and {@link TransportOptions#udpReaders} reader threads
 * ({@code siprelay-udp-<port>}, {@code -1}, ...), each a {@link DispatchThread}. Each
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
    private volatile List<? extends Thread> readers = List.of();

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
        // Readers are DispatchThreads: the lane executor runs a message's work right on the reader when its lane is
        // idle. One of them (the leader) receives; the others wait and take over when it is stuck in a route.
        List<Reader> started = new ArrayList<>();
        for (int i = 0; i < options.udpReaders(); i++) {
            started.add(new Reader(ch, handler, "siprelay-udp-" + localAddress.getPort() + (i == 0 ? "" : "-" + i)));
        }
        leader.set(started.get(0));
        readers = List.copyOf(started);
        started.forEach(Thread::start);
        if (closed.get()) { // close() raced with start()
            closeChannel();
        }
        LOG.info("UDP listening on {}", localAddress);
    }

    /**
     * A reader thread. Only the leader calls {@code receive()}: several threads blocked in it would hand the
     * channel's lock to each other, a wake-up per datagram, which is what running the work on the reader saves. One
     * other reader stands by and looks every {@link #TAKEOVER_NANOS}: when the leader has been handling one datagram
     * for longer (a route waiting on a database), it becomes the leader and wakes a reserve reader to stand by in its
     * place. The old leader steps down when it is done: it stands by, or parks in reserve.
     */
    private final class Reader extends DispatchThread {
        private final DatagramChannel ch;
        private final InboundHandler handler;
        /** When this reader began handling its current datagram ({@code System.nanoTime()}), 0 while it is not. */
        volatile long busySince;

        Reader(DatagramChannel ch, InboundHandler handler, String name) {
            super(null, name);
            setDaemon(true);
            this.ch = ch;
            this.handler = handler;
        }

        @Override
        public void run() {
            readLoop(this, ch, handler);
        }

        /** Waits until this reader leads; false when the transport closed meanwhile. */
        boolean awaitLead() {
            while (!closed.get()) {
                if (leader.get() == this) {
                    return true;
                }
                if (standby.get() == this || standby.compareAndSet(null, this)) {
                    Reader current = leader.get();
                    long since = current.busySince;
                    if (since != 0 && System.nanoTime() - since > TAKEOVER_NANOS
                            && leader.compareAndSet(current, this)) {
                        standby.compareAndSet(this, null);
                        Reader next = reserve.poll();
                        if (next != null) {
                            LockSupport.unpark(next); // it stands by in our place
                        }
                        return true;
                    }
                    LockSupport.parkNanos(this, TAKEOVER_NANOS);
                } else {
                    if (!reserve.contains(this)) {
                        reserve.add(this);
                    }
                    LockSupport.park(this); // until a reader that stood by takes the lead, or close()
                }
            }
            return false;
        }
    }

    /** How long the leading reader may be busy with one datagram before the standing-by reader takes the socket. */
    static final long TAKEOVER_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final AtomicReference<Reader> leader = new AtomicReference<>();
    private final AtomicReference<Reader> standby = new AtomicReference<>();
    private final ConcurrentLinkedQueue<Reader> reserve = new ConcurrentLinkedQueue<>();

    private void readLoop(Reader me, DatagramChannel ch, InboundHandler handler) {
        ByteBuffer buffer = ByteBuffer.allocateDirect(options.maxDatagramBytes());
        while (!closed.get() && ch.isOpen()) {
            if (leader.get() != me && !me.awaitLead()) {
                break;
            }
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
            me.busySince = System.nanoTime() | 1; // never 0
            try {
                handler.onMessage(this, source, message);
            } catch (Throwable t) {
                handlerFailures.warn("UDP {}: handler failed on a {}-byte datagram from {}", localAddress,
                        message.length, source, t);
            } finally {
                me.busySince = 0;
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
        List<? extends Thread> ts = readers;
        ts.forEach(LockSupport::unpark); // readers standing by or in reserve see the close
        for (Thread t : ts) {
            if (t != Thread.currentThread()) {
                try {
                    t.join(JOIN_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (!ts.isEmpty()) {
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
