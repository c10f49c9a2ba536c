package io.siprelay.core.transaction.internal;

import io.siprelay.core.clock.SipClock;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.codec.SipParseException;
import io.siprelay.core.transport.InboundHandler;
import io.siprelay.core.transport.Transport;
import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** A transport that records what is sent (with the virtual time) and can be told to fail. */
final class FakeTransport implements Transport {

    record Sent(long atMillis, InetSocketAddress destination, byte[] bytes) {
        SipMessage parse() {
            try {
                return SipCodec.create().parse(bytes);
            } catch (SipParseException e) {
                throw new AssertionError("sent bytes do not parse", e);
            }
        }

        String firstLine() {
            String s = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
            return s.substring(0, s.indexOf('\r'));
        }
    }

    private final TransportType type;
    private final SipClock clock;
    private final List<Sent> sent = new ArrayList<>();
    private IOException failWith;

    FakeTransport(TransportType type, SipClock clock) {
        this.type = type;
        this.clock = clock;
    }

    @Override
    public TransportType type() {
        return type;
    }

    @Override
    public InetSocketAddress localAddress() {
        return new InetSocketAddress("127.0.0.1", 5060);
    }

    @Override
    public void start(InboundHandler handler) {
    }

    @Override
    public void send(InetSocketAddress destination, byte[] message) throws IOException {
        if (failWith != null) {
            throw failWith;
        }
        sent.add(new Sent(clock.millis(), destination, message.clone()));
    }

    void failWith(IOException e) {
        this.failWith = e;
    }

    List<Sent> sent() {
        return sent;
    }

    List<Long> sendTimes() {
        return sent.stream().map(Sent::atMillis).toList();
    }

    Sent last() {
        return sent.get(sent.size() - 1);
    }

    void clear() {
        sent.clear();
    }

    @Override
    public void close() {
    }
}
