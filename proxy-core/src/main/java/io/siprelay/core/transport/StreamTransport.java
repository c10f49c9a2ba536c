package io.siprelay.core.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stream transport (TCP, TLS) on one NIO selector thread ({@code siprelay-tcp-<port>}, {@code siprelay-tls-<port>})
 * that accepts, connects, reads and writes. What happens to the bytes of a connection between the socket and the
 * framer (nothing, or TLS) is the business of the connection's {@link StreamCodec}, made by {@link #newCodec}.
 *
 * <p>Connections ({@link StreamConnection}) are kept in a table keyed by the remote address: {@link #send} reuses the connection to the
 * destination (so a response goes back on the connection its request came in on) and otherwise opens one
 * (non-blocking connect; the bytes wait in the connection's queue until it is up). A connect refused at once makes
 * {@code send} throw; one that fails later is logged and its queued bytes dropped.
 *
 * <p>Each connection frames its stream with a {@link StreamFramer}; a framing error closes that connection only.
 * CRLFCRLF keep-alive pings are answered with a CRLF pong. Connections without traffic for
 * {@link TransportOptions#idleTimeout()} are closed by a periodic sweep of the selector loop, and so are connections
 * not established (TCP connected and, for TLS, handshake done) within {@link TransportOptions#connectTimeout()}.
 * {@code send} may be called from any thread: it writes directly when it can and leaves the rest to the selector
 * thread (OP_WRITE).
 */
abstract class StreamTransport implements Transport {

    private static final Logger TRACE = LoggerFactory.getLogger(StreamTransport.class);
    private static final long JOIN_MILLIS = 2_000;
    private static final int READ_BUFFER_BYTES = 64 * 1024;

    private final Logger log = LoggerFactory.getLogger(getClass());
    private final TransportType type;
    private final String label;
    private final InetSocketAddress bindAddress;
    private final TransportOptions options;
    private final long idleNanos;
    private final long connectNanos;
    private final long sweepMillis;

    private final ConcurrentHashMap<InetSocketAddress, StreamConnection> connections = new ConcurrentHashMap<>();
    private final AtomicInteger openConnections = new AtomicInteger();
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LogLimiter handlerFailures = new LogLimiter(log, 10, TimeUnit.SECONDS);
    private final LogLimiter connectionFailures = new LogLimiter(log, 10, TimeUnit.SECONDS);

    private volatile InboundHandler handler;
    private volatile Selector selector;
    private volatile ServerSocketChannel server;
    private volatile Thread selectorThread;
    private volatile InetSocketAddress localAddress;

    StreamTransport(TransportType type, InetSocketAddress bindAddress, TransportOptions options) {
        this.type = Objects.requireNonNull(type, "type");
        this.label = type.name();
        this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
        this.options = Objects.requireNonNull(options, "options");
        this.localAddress = bindAddress;
        this.idleNanos = options.idleTimeout().toNanos();
        this.connectNanos = options.connectTimeout().toNanos();
        long shortest = Math.min(options.idleTimeout().toMillis(), options.connectTimeout().toMillis());
        this.sweepMillis = Math.max(10, Math.min(1_000, shortest / 4));
    }

    /**
     * A codec for a new connection to or from {@code remote}; {@code outbound} when this side connects (for an
     * outbound connection {@code remote} is the destination given to {@link #send}, with its host name if it has one).
     */
    abstract StreamCodec newCodec(InetSocketAddress remote, boolean outbound) throws IOException;

    @Override
    public final TransportType type() {
        return type;
    }

    @Override
    public final InetSocketAddress localAddress() {
        return localAddress;
    }

    public final TransportOptions options() {
        return options;
    }

    /** Open connections, inbound and outbound (including those still connecting or handshaking). */
    public final int connectionCount() {
        return openConnections.get();
    }

    @Override
    public final void start(InboundHandler inboundHandler) throws IOException {
        Objects.requireNonNull(inboundHandler, "handler");
        if (closed.get()) {
            throw new IOException("transport closed");
        }
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        this.handler = inboundHandler;
        Selector sel = Selector.open();
        ServerSocketChannel srv = null;
        try {
            srv = ServerSocketChannel.open();
            srv.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            srv.bind(bindAddress, 128);
            srv.configureBlocking(false);
            srv.register(sel, SelectionKey.OP_ACCEPT);
            localAddress = (InetSocketAddress) srv.getLocalAddress();
        } catch (IOException | RuntimeException e) {
            if (srv != null) {
                srv.close();
            }
            sel.close();
            throw e;
        }
        server = srv;
        selector = sel;
        Thread t = new Thread(this::selectLoop,
                "siprelay-" + label.toLowerCase(Locale.ROOT) + "-" + localAddress.getPort());
        t.setDaemon(true);
        selectorThread = t;
        t.start();
        log.info("{} listening on {}", label, localAddress);
    }

    // ---------------------------------------------------------------------------------------------------- sending

    @Override
    public final void send(InetSocketAddress destination, byte[] message) throws IOException {
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(message, "message");
        if (selector == null || closed.get()) {
            throw new IOException(label + " transport " + localAddress + " is "
                    + (closed.get() ? "closed" : "not started"));
        }
        if (destination.isUnresolved()) {
            throw new IOException("unresolved destination " + destination);
        }
        for (int attempt = 0; attempt < 3; attempt++) {
            StreamConnection c = connections.get(destination);
            if (c == null) {
                c = connect(destination);
            }
            if (c.enqueue(message)) {
                return;
            }
            connections.remove(destination, c); // closed under our feet: try a fresh connection
        }
        throw new IOException("connection to " + destination + " keeps closing");
    }

    /** Opens an outbound connection and publishes it in the table (or returns the one another thread won with). */
    private StreamConnection connect(InetSocketAddress destination) throws IOException {
        if (openConnections.get() >= options.maxConnections()) {
            throw new IOException("connection limit of " + options.maxConnections() + " reached, not connecting to "
                    + destination);
        }
        StreamCodec codec = newCodec(destination, true);
        SocketChannel ch = SocketChannel.open();
        try {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            InetAddress localIp = localAddress.getAddress();
            if (!localIp.isAnyLocalAddress() && localIp.getClass() == destination.getAddress().getClass()) {
                ch.bind(new InetSocketAddress(localIp, 0)); // leave from the address we listen on
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            throw new IOException("connect to " + destination + " failed: " + e.getMessage(), e);
        }
        StreamConnection c = new StreamConnection(this, ch, destination, codec);
        // publish before connecting: a thread that loses the race must not open a TCP connection of its own, which
        // the peer would accept and then see closed
        StreamConnection raced = connections.putIfAbsent(destination, c);
        if (raced != null) {
            c.close(null);
            return raced;
        }
        boolean connected;
        try {
            connected = ch.connect(destination);
        } catch (IOException | RuntimeException e) {
            c.close(null);
            throw new IOException("connect to " + destination + " failed: " + e.getMessage(), e);
        }
        if (connected) {
            try {
                c.connected();
            } catch (IOException e) {
                c.close(null);
                throw new IOException("cannot start connection to " + destination + ": " + e.getMessage(), e);
            }
        }
        tasks.add(() -> register(c));
        Selector sel = selector;
        sel.wakeup();
        if (closed.get()) {
            c.close(null); // the selector loop may already have drained its tasks
        }
        log.debug("{} {}: connecting to {}", label, localAddress, destination);
        return c;
    }

    /** Selector thread: registers an outbound connection created by {@link #connect}. */
    private void register(StreamConnection c) {
        if (closed.get()) {
            c.close(null);
            return;
        }
        synchronized (c) {
            if (c.closed) {
                return;
            }
            try {
                int ops = !c.connected ? SelectionKey.OP_CONNECT
                        : SelectionKey.OP_READ | (c.queue.isEmpty() ? 0 : SelectionKey.OP_WRITE);
                c.key = c.channel.register(selector, ops, c);
            } catch (IOException | RuntimeException e) {
                connectionFailures.warn("{} {}: cannot register connection to {}: {}", label, localAddress, c.remote,
                        e.toString());
                c.close(null);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ selector loop

    private void selectLoop() {
        ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BUFFER_BYTES);
        long lastSweep = System.nanoTime();
        Selector sel = selector;
        while (!closed.get()) {
            try {
                sel.select(sweepMillis);
                runTasks();
                for (SelectionKey key : sel.selectedKeys()) {
                    handle(key, readBuffer);
                }
                sel.selectedKeys().clear();
                long now = System.nanoTime();
                if (now - lastSweep >= TimeUnit.MILLISECONDS.toNanos(sweepMillis)) {
                    lastSweep = now;
                    sweep(now);
                }
            } catch (ClosedSelectorException e) {
                break;
            } catch (Throwable t) { // never let the only thread of the listener die
                if (closed.get()) {
                    break;
                }
                log.error("{} {}: selector loop error", label, localAddress, t);
            }
        }
        shutdown(sel);
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            task.run();
        }
    }

    private void handle(SelectionKey key, ByteBuffer readBuffer) {
        Object attachment = key.attachment();
        if (!(attachment instanceof StreamConnection)) {
            if (key.isValid() && key.isAcceptable()) {
                accept();
            }
            return;
        }
        StreamConnection c = (StreamConnection) attachment;
        try {
            if (!key.isValid()) {
                return;
            }
            if (key.isConnectable()) {
                finishConnect(c);
                return;
            }
            if (key.isReadable()) {
                read(c, readBuffer);
            }
            if (key.isValid() && key.isWritable()) {
                c.flush();
            }
        } catch (CancelledKeyException e) {
            c.close(null);
        } catch (IOException e) {
            c.close(e.getMessage());
        }
    }

    private void accept() {
        while (true) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (IOException e) {
                connectionFailures.warn("{} {}: accept failed: {}", label, localAddress, e.toString());
                return;
            }
            if (ch == null) {
                return;
            }
            if (openConnections.get() >= options.maxConnections()) {
                connectionFailures.warn("{} {}: connection limit of {} reached, refusing {}", label, localAddress,
                        options.maxConnections(), remoteOf(ch));
                closeQuietly(ch);
                continue;
            }
            StreamConnection c = null;
            try {
                ch.configureBlocking(false);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                InetSocketAddress remote = (InetSocketAddress) ch.getRemoteAddress();
                c = new StreamConnection(this, ch, remote, newCodec(remote, false));
                c.key = ch.register(selector, SelectionKey.OP_READ, c);
                StreamConnection previous = connections.put(remote, c);
                if (previous != null && previous != c) {
                    // Same remote address twice (e.g. it also answered our outbound connection): the newer one
                    // takes the table slot, the older one lives on until it closes or idles out.
                    log.debug("{} {}: second connection from {}", label, localAddress, remote);
                }
                c.connected();
                log.debug("{} {}: accepted {}", label, localAddress, remote);
            } catch (IOException | RuntimeException e) {
                connectionFailures.warn("{} {}: cannot set up accepted connection: {}", label, localAddress,
                        e.toString());
                if (c != null) {
                    c.close(null);
                } else {
                    closeQuietly(ch);
                }
            }
        }
    }

    private void finishConnect(StreamConnection c) throws IOException {
        try {
            if (!c.channel.finishConnect()) {
                return;
            }
        } catch (IOException e) {
            int dropped;
            synchronized (c) {
                dropped = c.queuedBytes + c.codec.heldBytes();
            }
            connectionFailures.warn("{} {}: connect to {} failed ({}); dropped {} queued bytes", label, localAddress,
                    c.remote, e.toString(), dropped);
            c.close(null);
            return;
        }
        synchronized (c) {
            c.key.interestOps(SelectionKey.OP_READ);
            c.connected();
        }
        log.debug("{} {}: connected to {}", label, localAddress, c.remote);
    }

    private void read(StreamConnection c, ByteBuffer readBuffer) throws IOException {
        ByteBuffer app;
        synchronized (c) {
            if (c.closed) {
                return;
            }
            try {
                app = c.codec.read(c.channel, readBuffer, c);
            } catch (SSLException e) {
                connectionFailures.warn("{} {}: closing connection with {}: {}", label, localAddress, c.remote,
                        e.toString());
                c.close(null);
                return;
            }
            if (app != null) {
                c.flush(); // what the codec answered (TLS handshake)
            }
        }
        if (app == null) {
            c.close(c.framer.atMessageBoundary() ? null : "peer closed inside a message");
            return;
        }
        c.touch();
        if (app.hasRemaining()) {
            try {
                c.framer.feed(app, c);
            } catch (FramingException e) {
                connectionFailures.warn("{} {}: closing connection from {}: {}", label, localAddress, c.remote,
                        e.getMessage());
                c.close(null);
                return;
            }
        }
        boolean ended;
        synchronized (c) {
            ended = c.codec.inboundDone();
        }
        if (ended) {
            c.close(c.framer.atMessageBoundary() ? "peer closed the session" : "peer closed inside a message");
        }
    }

    /** Closes connections idle too long and those not established in time. Selector thread only. */
    private void sweep(long now) {
        List<StreamConnection> expired = null;
        for (SelectionKey key : selector.keys()) {
            if (key.attachment() instanceof StreamConnection) {
                StreamConnection c = (StreamConnection) key.attachment();
                if (c.closed) {
                    continue;
                }
                boolean stale = c.established() ? now - c.lastActivity > idleNanos : now - c.createdAt > connectNanos;
                if (stale) {
                    if (expired == null) {
                        expired = new ArrayList<>();
                    }
                    expired.add(c);
                }
            }
        }
        if (expired != null) {
            for (StreamConnection c : expired) {
                log.debug("{} {}: closing {} connection to {}", label, localAddress,
                        c.established() ? "idle" : "unestablished", c.remote);
                if (!c.connected) {
                    connectionFailures.warn("{} {}: connect to {} timed out", label, localAddress, c.remote);
                } else if (!c.established()) {
                    connectionFailures.warn("{} {}: handshake with {} timed out", label, localAddress, c.remote);
                }
                c.close(null);
            }
        }
    }

    private void shutdown(Selector sel) {
        runTasks();
        try {
            for (SelectionKey key : sel.keys()) {
                if (key.attachment() instanceof StreamConnection) {
                    ((StreamConnection) key.attachment()).close(null);
                }
            }
        } catch (ClosedSelectorException ignored) {
            // already gone
        }
        for (StreamConnection c : connections.values()) {
            c.close(null);
        }
        closeQuietly(server);
        closeQuietly(sel);
        log.info("{} {} closed", label, localAddress);
    }

    // ------------------------------------------------------------------------------------------------------ close

    @Override
    public final void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Selector sel = selector;
        if (sel == null) {
            return; // never started
        }
        sel.wakeup();
        Thread t = selectorThread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(JOIN_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------------ hooks for StreamConnection

    Logger log() {
        return log;
    }

    String label() {
        return label;
    }

    void opened(StreamConnection c) {
        openConnections.incrementAndGet();
    }

    void deliver(InetSocketAddress remote, byte[] message) {
        try {
            handler.onMessage(this, remote, message);
        } catch (Throwable t) {
            handlerFailures.warn("{} {}: handler failed on a {}-byte message from {}", label, localAddress,
                    message.length, remote, t);
        }
    }

    /** Wakes the selector so it sees a new OP_WRITE interest, unless this is the selector thread. */
    void wakeSelector() {
        if (Thread.currentThread() != selectorThread) {
            selector.wakeup();
        }
    }

    /** The connection {@code c} has closed itself: forget it and release its socket. */
    void closed(StreamConnection c, String reason) {
        openConnections.decrementAndGet();
        connections.remove(c.remote, c);
        SelectionKey k = c.key;
        if (k != null) {
            k.cancel();
        }
        closeQuietly(c.channel);
        if (reason != null) {
            log.debug("{} {}: closed connection to {}: {}", label, localAddress, c.remote, reason);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + localAddress + ", " + connectionCount() + " connections]";
    }

    private static InetSocketAddress remoteOf(SocketChannel ch) {
        try {
            return (InetSocketAddress) ch.getRemoteAddress();
        } catch (IOException e) {
            return null;
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            TRACE.trace("close failed", e);
        }
    }
}
