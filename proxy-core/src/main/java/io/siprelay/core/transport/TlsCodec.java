package io.siprelay.core.transport;

import static javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_TASK;
import static javax.net.ssl.SSLEngineResult.HandshakeStatus.NEED_WRAP;
import static javax.net.ssl.SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS over one connection with a non-blocking {@link SSLEngine}, driven by the selector loop: the handshake advances
 * as records arrive ({@link #read}) and as the engine asks to wrap; application bytes sent before it is done are
 * held and wrapped when it is.
 *
 * <p>Delegated tasks (certificate validation, key agreement) run inline on the calling thread, which is the
 * selector thread except when a send from another thread meets a post-handshake message. They take a few
 * milliseconds of CPU per handshake, during which the selector serves no other connection; there is no executor to
 * size, bound or shut down.
 *
 * <p>Like every {@link StreamCodec}, used under the connection's monitor only. Memory per connection: the engine
 * and two buffers of about one TLS record each (16 KiB); wrap output goes through a per-thread scratch buffer and
 * is queued in exactly sized copies.
 */
final class TlsCodec implements StreamCodec {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    private static final int MAX_RECORD_BUFFER = 1 << 20;
    private static final ThreadLocal<ByteBuffer> WRAP_SCRATCH = ThreadLocal.withInitial(() -> ByteBuffer.allocate(0));

    private final SSLEngine engine;
    private final int appBufferSize;
    private final ArrayDeque<ByteBuffer> held = new ArrayDeque<>();
    private int heldBytes;
    /** Received records not yet unwrapped; in write mode between calls. */
    private ByteBuffer netIn;
    /** Unwrapped application bytes of the current {@link #read}. */
    private ByteBuffer appIn;
    private volatile boolean established;

    private TlsCodec(SSLEngine engine) {
        this.engine = engine;
        this.appBufferSize = engine.getSession().getApplicationBufferSize();
        this.netIn = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        this.appIn = ByteBuffer.allocate(appBufferSize);
    }

    /** For an accepted connection: server mode, client certificate as configured. */
    static TlsCodec server(TlsSettings tls) {
        SSLEngine engine = tls.context().createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(tls.protocols().toArray(String[]::new));
        params.setNeedClientAuth(tls.requireClientCertificate());
        engine.setSSLParameters(params);
        return new TlsCodec(engine);
    }

    /**
     * For an outbound connection to {@code target}: client mode; when the target carries a host name, SNI names it
     * and (unless verification is off) the certificate must match it; an IP target is matched only with
     * {@link TlsSettings.HostnameVerification#ALWAYS}.
     */
    static TlsCodec client(TlsSettings tls, InetSocketAddress target) {
        String host = hostName(target);
        String peer = host != null ? host : target.getAddress().getHostAddress();
        SSLEngine engine = tls.context().createSSLEngine(peer, target.getPort());
        engine.setUseClientMode(true);
        SSLParameters params = engine.getSSLParameters();
        params.setProtocols(tls.protocols().toArray(String[]::new));
        if (host != null) {
            try {
                params.setServerNames(List.of(new SNIHostName(host)));
            } catch (IllegalArgumentException notAnSniName) {
                // e.g. a name with a trailing dot or an underscore: connect without SNI
            }
        }
        boolean verify = switch (tls.hostnameVerification()) {
            case NONE -> false;
            case HOST_NAMES -> host != null;
            case ALWAYS -> true;
        };
        if (verify) {
            params.setEndpointIdentificationAlgorithm("HTTPS");
        }
        engine.setSSLParameters(params);
        return new TlsCodec(engine);
    }

    /** The host name {@code target} was made with, or null when it only has an IP address. */
    static String hostName(InetSocketAddress target) {
        String host = target.getHostString();
        if (host == null || host.isEmpty() || host.indexOf(':') >= 0
                || host.equals(target.getAddress().getHostAddress())) {
            return null;
        }
        for (int i = 0; i < host.length(); i++) {
            char ch = host.charAt(i);
            if (ch != '.' && (ch < '0' || ch > '9')) {
                return host;
            }
        }
        return null; // dotted digits: an IPv4 literal
    }

    @Override
    public void start(Wire wire) throws IOException {
        engine.beginHandshake();
        pump(wire);
    }

    @Override
    public boolean established() {
        return established;
    }

    @Override
    public void encode(ByteBuffer app, Wire wire) throws IOException {
        held.add(app);
        heldBytes += app.remaining();
        if (established) {
            wrapHeld(wire);
        }
    }

    @Override
    public int heldBytes() {
        return heldBytes;
    }

    @Override
    public ByteBuffer read(SocketChannel channel, ByteBuffer scratch, Wire wire) throws IOException {
        if (appIn.capacity() > 2 * appBufferSize) {
            appIn = ByteBuffer.allocate(appBufferSize); // grew for one burst: give it back
        }
        appIn.clear();
        if (channel.read(netIn) < 0) {
            try {
                engine.closeInbound();
            } catch (SSLException truncated) {
                // the peer closed the socket without close_notify; nothing more to read either way
            }
            return null;
        }
        pump(wire);
        return appIn.flip();
    }

    @Override
    public boolean inboundDone() {
        return engine.isInboundDone();
    }

    @Override
    public boolean close(Wire wire) {
        held.clear();
        heldBytes = 0;
        engine.closeOutbound();
        try {
            while (!engine.isOutboundDone() && wrap(EMPTY, wire)) {
                // close_notify (or the alert of a failed handshake)
            }
        } catch (SSLException e) {
            // closing anyway
        }
        return true;
    }

    /**
     * Advances the engine as far as the received bytes allow: runs tasks, wraps handshake messages, unwraps records
     * into {@link #appIn}, and wraps held application bytes once the handshake is done.
     */
    private void pump(Wire wire) throws SSLException {
        netIn.flip();
        try {
            while (true) {
                HandshakeStatus hs = engine.getHandshakeStatus();
                if (hs == NEED_TASK) {
                    runDelegatedTasks();
                    continue;
                }
                if (hs == NEED_WRAP) {
                    if (!wrap(EMPTY, wire)) {
                        return;
                    }
                    continue;
                }
                if (hs == NOT_HANDSHAKING && !engine.isOutboundDone()) {
                    established = true;
                    wrapHeld(wire);
                }
                if (!netIn.hasRemaining() || engine.isInboundDone()) {
                    return;
                }
                SSLEngineResult r = engine.unwrap(netIn, appIn);
                switch (r.getStatus()) {
                    case BUFFER_OVERFLOW:
                        appIn = enlarge(appIn, appIn.capacity() + appBufferSize);
                        break;
                    case BUFFER_UNDERFLOW:
                        int packet = engine.getSession().getPacketBufferSize();
                        if (netIn.capacity() < packet) {
                            netIn = enlarge(netIn.compact(), packet).flip();
                        } else if (netIn.remaining() == netIn.capacity()) {
                            throw new SSLException("TLS record larger than " + netIn.capacity() + " bytes");
                        }
                        return; // wait for the rest of the record
                    case CLOSED:
                        return; // close_notify: the connection closes after delivering what came before it
                    case OK:
                    default:
                        HandshakeStatus next = r.getHandshakeStatus();
                        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0 && next != NEED_TASK
                                && next != NEED_WRAP) {
                            return; // no progress possible now
                        }
                        break;
                }
            }
        } finally {
            netIn.compact();
        }
    }

    /** Wraps held application bytes while the engine is not handshaking. */
    private void wrapHeld(Wire wire) throws SSLException {
        while (!held.isEmpty()) {
            HandshakeStatus hs = engine.getHandshakeStatus();
            if (hs == NEED_TASK) {
                runDelegatedTasks();
                continue;
            }
            if (hs == NEED_WRAP) {
                if (!wrap(EMPTY, wire)) {
                    return;
                }
                continue;
            }
            if (hs != NOT_HANDSHAKING) {
                return; // a post-handshake exchange waits for the peer; pump() resumes after it
            }
            ByteBuffer head = held.peek();
            int before = head.remaining();
            boolean progress = wrap(head, wire);
            heldBytes -= before - head.remaining();
            if (!head.hasRemaining()) {
                held.poll();
            } else if (!progress) {
                return;
            }
        }
    }

    /** One wrap of {@code src} (as much as one record takes); returns whether anything was consumed or produced. */
    private boolean wrap(ByteBuffer src, Wire wire) throws SSLException {
        ByteBuffer out = scratch(engine.getSession().getPacketBufferSize());
        while (true) {
            SSLEngineResult r = engine.wrap(src, out);
            if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                if (out.capacity() >= MAX_RECORD_BUFFER) {
                    throw new SSLException("TLS record does not fit " + out.capacity() + " bytes");
                }
                out = scratch(out.capacity() * 2);
                continue;
            }
            out.flip();
            if (out.hasRemaining()) {
                wire.add(ByteBuffer.allocate(out.remaining()).put(out).flip());
            }
            if (r.getHandshakeStatus() == NEED_TASK) {
                runDelegatedTasks();
            }
            return r.bytesConsumed() > 0 || r.bytesProduced() > 0;
        }
    }

    private void runDelegatedTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    private static ByteBuffer scratch(int capacity) {
        ByteBuffer b = WRAP_SCRATCH.get();
        if (b.capacity() < capacity) {
            b = ByteBuffer.allocate(capacity);
            WRAP_SCRATCH.set(b);
        }
        return b.clear();
    }

    /** A copy of {@code b} (in write mode, keeping its contents) with at least {@code capacity} bytes. */
    private static ByteBuffer enlarge(ByteBuffer b, int capacity) {
        if (capacity > MAX_RECORD_BUFFER + b.capacity()) {
            throw new IllegalStateException("TLS buffer beyond " + capacity);
        }
        ByteBuffer bigger = ByteBuffer.allocate(capacity);
        b.flip();
        bigger.put(b);
        return bigger;
    }
}
