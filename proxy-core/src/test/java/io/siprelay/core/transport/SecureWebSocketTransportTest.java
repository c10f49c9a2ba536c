package io.siprelay.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.SipProxy;
import io.siprelay.testkit.TestCertificates;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** wss: the WebSocket upgrade and frames over TLS, with the test kit's self-signed certificate (SAN 127.0.0.1). */
class SecureWebSocketTransportTest {

    @TempDir
    static Path dir;

    private static Path keyStorePath;
    private static SSLContext trusting;
    private SipProxy proxy;
    private WebSocketTransport wss;

    @BeforeAll
    static void certificate() throws Exception {
        keyStorePath = TestCertificates.selfSigned(dir);
        KeyStore keyStore = TlsSettings.load(keyStorePath, TestCertificates.PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keyStore);
        trusting = SSLContext.getInstance("TLS");
        trusting.init(null, tmf.getTrustManagers(), null);
    }

    @BeforeEach
    void start() throws Exception {
        wss = WebSocketTransport.secure(new InetSocketAddress("127.0.0.1", 0), TransportOptions.defaults(),
                TlsSettings.fromKeyStore(keyStorePath, TestCertificates.PASSWORD).build(), "/ws");
        proxy = SipProxy.builder().listen(wss).requestRoute(ctx -> ctx.reply(200, "OK")).build().start();
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    private WebSocket connect(SSLContext context, String path, BlockingQueue<String> in) throws Exception {
        return HttpClient.newBuilder().sslContext(context).connectTimeout(Duration.ofSeconds(5)).build()
                .newWebSocketBuilder().subprotocols("sip")
                .buildAsync(URI.create("wss://127.0.0.1:" + wss.localAddress().getPort() + path),
                        new WebSocket.Listener() {
                            private final StringBuilder partial = new StringBuilder();

                            @Override
                            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                partial.append(data);
                                if (last) {
                                    in.add(partial.toString());
                                    partial.setLength(0);
                                }
                                ws.request(1);
                                return null;
                            }
                        }).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aBrowserLikeClientTalksSipOverTlsOnTheConfiguredPath() throws Exception {
        BlockingQueue<String> in = new LinkedBlockingQueue<>();
        WebSocket ws = connect(trusting, "/ws", in);
        ws.sendText("OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bKwss1\r\n"
                + "Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:127.0.0.1>\r\n"
                + "Call-ID: wss1@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n", true).get(5, TimeUnit.SECONDS);
        String reply = in.poll(5, TimeUnit.SECONDS);
        assertThat(reply).startsWith("SIP/2.0 200 OK").contains("Via: SIP/2.0/WSS x.invalid");
        assertThat(wss.type()).isEqualTo(TransportType.WSS);
    }

    @Test
    void anotherPathIsRefused() {
        assertThatThrownBy(() -> connect(trusting, "/other", new LinkedBlockingQueue<>()))
                .isInstanceOf(ExecutionException.class);
    }

    @Test
    void aClientThatDoesNotTrustTheCertificateGetsNoConnection() {
        assertThatThrownBy(() -> connect(SSLContext.getDefault(), "/ws", new LinkedBlockingQueue<>()))
                .isInstanceOf(ExecutionException.class);
    }
}
