package io.siprelay.core.transport.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.transport.TransportType;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The in-memory WebSocket flavour behaves like WebSocketTransport: a listener sends only over connections opened. */
class InMemoryWebSocketTest {

    private static final byte[] MESSAGE = ("OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/WS a.invalid;branch=z9hG4bK1\r\n"
            + "Content-Length: 0\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    @Test
    void aListenerReachesOnlyClientsThatConnectedFirst() throws IOException {
        InMemoryNetwork net = new InMemoryNetwork();
        InMemoryTransport listener = net.transport(TransportType.WS, "127.0.0.1", 8080);
        InMemoryTransport browser = net.webSocketClient(TransportType.WS, "127.0.0.50", 50123);
        List<InetSocketAddress> atListener = new ArrayList<>();
        List<byte[]> atBrowser = new ArrayList<>();
        listener.start((t, from, m) -> atListener.add(from));
        browser.start((t, from, m) -> atBrowser.add(m));

        InetSocketAddress browserAddress = new InetSocketAddress("127.0.0.50", 50123);
        assertThatThrownBy(() -> listener.send(browserAddress, MESSAGE)).isInstanceOf(IOException.class)
                .hasMessageContaining("only over the connection it opened");

        browser.send(new InetSocketAddress("127.0.0.1", 8080), MESSAGE);
        net.runUntilIdle();
        assertThat(atListener).containsExactly(browserAddress);
        listener.send(browserAddress, MESSAGE);
        net.runUntilIdle();
        assertThat(atBrowser).hasSize(1);
        assertThatThrownBy(() -> net.webSocketClient(TransportType.UDP, "127.0.0.9", 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
