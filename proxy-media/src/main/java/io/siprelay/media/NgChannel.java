package io.siprelay.media;

import io.siprelay.core.clock.SipClock;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ng transport behind {@link RtpEngine}: one bound {@link DatagramChannel}, one receiver thread, and the
 * in-flight commands in one map keyed by cookie, each with its try timer on the {@link SipClock}. It knows nothing
 * of selection or probing; a command that times out for good is reported to the give-up listener.
 */
final class NgChannel {

    private static final Logger LOG = LoggerFactory.getLogger(RtpEngine.class);
    private static final int MAX_DATAGRAM = 65_535;
    private static final int MAX_COOKIE = 64;

    private final DatagramChannel channel;
    private final SipClock clock;
    private final long timeoutMillis;
    private final int retries;
    private final int maxInFlight;
    private final Consumer<RtpEngineInstance> onGiveUp;
    private final Thread receiver;
    private final ConcurrentHashMap<String, Request> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger inFlightCount = new AtomicInteger();
    private final String cookiePrefix;
    private final AtomicLong cookieCounter = new AtomicLong();
    private final LongAdder strays = new LongAdder();
    private volatile boolean closed;

    NgChannel(DatagramChannel channel, SipClock clock, long timeoutMillis, int retries, int maxInFlight,
              Consumer<RtpEngineInstance> onGiveUp) {
        this.channel = channel;
        this.clock = clock;
        this.timeoutMillis = timeoutMillis;
        this.retries = retries;
        this.maxInFlight = maxInFlight;
        this.onGiveUp = onGiveUp;
        this.cookiePrefix = Long.toString(ThreadLocalRandom.current().nextLong() >>> 24, 36) + "_";
        this.receiver = new Thread(this::receiveLoop, RtpEngine.RECEIVER_THREAD);
        receiver.setDaemon(true);
    }

    void start() {
        receiver.start();
    }

    boolean isClosed() {
        return closed;
    }

    long strays() {
        return strays.sum();
    }

    int inFlight() {
        return inFlightCount.get();
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    /** Closes the socket, waits for the receiver to stop, and fails every pending command with IO. */
    void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing the rtpengine ng socket", e);
        }
        if (Thread.currentThread() != receiver) {
            try {
                receiver.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Request r : inFlight.values()) {
            if (finish(r)) {
                r.future.completeExceptionally(new NgException(NgException.Kind.IO,
                        "rtpengine client closed while " + r.command + " to " + r.instance.url() + " was pending"));
            }
        }
    }

    /**
     * Sends {@code command} (named {@code name}) to {@code instance}; a probe's timeout does not call the give-up
     * listener. Fails at once with OVERLOADED beyond {@code maxInFlight} and with IO when closed.
     */
    CompletableFuture<Map<String, Object>> send(RtpEngineInstance instance, String name, Map<String, ?> command,
                                                boolean probe) {
        byte[] body = Bencode.encode(command);
        if (closed) {
            return CompletableFuture.failedFuture(new NgException(NgException.Kind.IO,
                    "rtpengine client is closed: " + name + " to " + instance.url() + " not sent"));
        }
        if (inFlightCount.incrementAndGet() > maxInFlight) {
            inFlightCount.decrementAndGet();
            return CompletableFuture.failedFuture(new NgException(NgException.Kind.OVERLOADED,
                    maxInFlight + " ng commands in flight already: " + name + " to " + instance.url() + " not sent"));
        }
        String cookie = cookiePrefix + Long.toString(cookieCounter.incrementAndGet(), 36);
        byte[] datagram = new byte[cookie.length() + 1 + body.length];
        for (int k = 0; k < cookie.length(); k++) {
            datagram[k] = (byte) cookie.charAt(k);
        }
        datagram[cookie.length()] = ' ';
        System.arraycopy(body, 0, datagram, cookie.length() + 1, body.length);
        Request r = new Request(this, cookie, instance, name, datagram, probe);
        r.resendsLeft = retries;
        inFlight.put(cookie, r);
        instance.requests.increment();
        if (!arm(r)) {
            return r.future;
        }
        if (closed) {
            if (finish(r)) {
                r.future.completeExceptionally(new NgException(NgException.Kind.IO,
                        "rtpengine client closed: " + name + " to " + instance.url() + " not sent"));
            }
            return r.future;
        }
        transmit(r);
        return r.future;
    }

    private void transmit(Request r) {
        try {
            channel.send(ByteBuffer.wrap(r.datagram), r.instance.address());
        } catch (IOException | RuntimeException e) {
            if (finish(r)) {
                r.instance.errors.increment();
                r.future.completeExceptionally(new NgException(NgException.Kind.IO,
                        "cannot send " + r.command + " to rtpengine " + r.instance.url() + ": " + e, e));
            }
        }
    }

    /** Arms the try timer; a clock that refuses (stopped) fails the command with IO instead of leaking it. */
    private boolean arm(Request r) {
        try {
            r.timer = clock.schedule(timeoutMillis, r);
            return true;
        } catch (RuntimeException e) {
            if (finish(r)) {
                r.future.completeExceptionally(new NgException(NgException.Kind.IO,
                        "cannot arm the timer of " + r.command + " to rtpengine " + r.instance.url() + ": " + e, e));
            }
            return false;
        }
    }

    /** Takes {@code r} out of the in-flight map; true for the one caller that gets to complete it. */
    private boolean finish(Request r) {
        if (!inFlight.remove(r.cookie, r)) {
            return false;
        }
        inFlightCount.decrementAndGet();
        SipClock.Timer t = r.timer;
        if (t != null) {
            t.cancel();
        }
        return true;
    }

    /** A try's timeout: resend the same datagram, or give up, count, and take the instance out. */
    private void onTimeout(Request r) {
        if (inFlight.get(r.cookie) != r) {
            return;
        }
        if (r.resendsLeft > 0) {
            r.resendsLeft--;
            if (!arm(r)) {
                return;
            }
            LOG.debug("rtpengine {}: no reply to {} {} yet, resending", r.instance.url(), r.command, r.cookie);
            transmit(r);
            return;
        }
        if (!finish(r)) {
            return;
        }
        r.instance.timeouts.increment();
        if (!r.probe) {
            onGiveUp.accept(r.instance);
        }
        r.future.completeExceptionally(new NgException(NgException.Kind.TIMEOUT, "rtpengine " + r.instance.url()
                + ": no reply to " + r.command + " after " + (retries + 1) + " tries of " + timeoutMillis + " ms"));
    }

    private void receiveLoop() {
        ByteBuffer buf = ByteBuffer.allocate(MAX_DATAGRAM);
        while (!closed) {
            SocketAddress from;
            buf.clear();
            try {
                from = channel.receive(buf);
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                if (closed) {
                    break;
                }
                LOG.warn("rtpengine ng socket receive failed: {}", e.toString());
                continue;
            }
            try {
                onDatagram(buf.array(), buf.position(), from);
            } catch (RuntimeException e) {
                strays.increment();
                LOG.warn("dropped an ng datagram from {}", from, e);
            }
        }
        LOG.debug("rtpengine ng receiver stopped");
    }

    private void onDatagram(byte[] data, int length, SocketAddress from) {
        int space = -1;
        for (int k = 0; k < Math.min(length, MAX_COOKIE + 1); k++) {
            if (data[k] == ' ') {
                space = k;
                break;
            }
        }
        if (space <= 0) {
            stray(from, "no cookie", null);
            return;
        }
        String cookie = new String(data, 0, space, StandardCharsets.ISO_8859_1);
        Request r = inFlight.get(cookie);
        if (r == null) {
            stray(from, "unknown cookie " + cookie, null);
            return;
        }
        if (!r.instance.address().equals(from)) {
            stray(from, "cookie " + cookie + " belongs to " + r.instance.url(), null);
            return;
        }
        Object reply;
        try {
            reply = Bencode.decode(data, space + 1, length - space - 1);
        } catch (BencodeException e) {
            stray(from, "undecodable reply to " + cookie, e);
            return;
        }
        if (!(reply instanceof Map)) {
            stray(from, "reply to " + cookie + " is not a dictionary", null);
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> dict = (Map<String, Object>) reply;
        if (!finish(r)) {
            stray(from, "late reply to " + cookie, null);
            return;
        }
        Object result = dict.get("result");
        if ("error".equals(result)) {
            r.instance.errors.increment();
            r.future.completeExceptionally(new NgException(NgException.Kind.ERROR_REPLY, "rtpengine " + r.instance.url()
                    + " refused " + r.command + ": " + dict.getOrDefault("error-reason", "(no error-reason)")));
        } else if ("load limit".equals(result)) {
            r.instance.errors.increment();
            r.future.completeExceptionally(new NgException(NgException.Kind.OVERLOADED, "rtpengine "
                    + r.instance.url() + " refused " + r.command + ": load limit"
                    + (dict.containsKey("message") ? " (" + dict.get("message") + ")" : "")));
        } else {
            r.future.complete(dict);
        }
    }

    private void stray(SocketAddress from, String why, BencodeException e) {
        strays.increment();
        if (LOG.isDebugEnabled()) {
            LOG.debug("dropped ng datagram from {}: {}{}", from, why, e == null ? "" : " (" + e.getMessage() + ")");
        }
    }

    /** One pending command: its in-flight entry and its timer task. */
    private static final class Request implements Runnable {
        final NgChannel owner;
        final String cookie;
        final RtpEngineInstance instance;
        final String command;
        final byte[] datagram;
        final boolean probe;
        final CompletableFuture<Map<String, Object>> future = new CompletableFuture<>();
        int resendsLeft;
        volatile SipClock.Timer timer;

        Request(NgChannel owner, String cookie, RtpEngineInstance instance, String command, byte[] datagram,
                boolean probe) {
            this.owner = owner;
            this.cookie = cookie;
            this.instance = instance;
            this.command = command;
            this.datagram = datagram;
            this.probe = probe;
        }

        @Override
        public void run() {
            owner.onTimeout(this);
        }
    }
}
