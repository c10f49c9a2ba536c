package io.siprelay.core.transport;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static io.siprelay.core.transport.StreamTestSupport.await;
import static io.siprelay.core.transport.StreamTestSupport.read;
import static io.siprelay.core.transport.StreamTestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.testkit.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** TLS over loopback with a self-signed certificate (CN=localhost, SAN localhost and 127.0.0.1) made by keytool. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TlsTransportTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final char[] PASSWORD = TestCertificates.PASSWORD;

    @TempDir
    static Path dir;
    private static Path keyStorePath;
    private static KeyStore keyStore;
    /** Trusts our certificate and presents it (the JDK side of the tests). */
    private static SSLContext jdkContext;

    record Received(Transport transport, InetSocketAddress source, String text) {
    }

    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private TlsTransport transport;

    @BeforeAll
    static void makeCertificate() throws Exception {
        keyStorePath = TestCertificates.selfSigned(dir);
        keyStore = TlsSettings.load(keyStorePath, PASSWORD);

        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore, PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keyStore);
        jdkContext = SSLContext.getInstance("TLS");
        jdkContext.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : cleanup) {
            c.close();
        }
        if (transport != null) {
            transport.close();
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    private static String msg(String firstLine, String body) {
        return firstLine + "\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bK-" + firstLine.length()
                + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    private static TlsSettings.Builder settings() throws Exception {
        return TlsSettings.fromKeyStore(keyStorePath, PASSWORD).trustStore(keyStore);
    }

    private TlsTransport newTransport(TransportOptions options, TlsSettings tls) throws IOException {
        TlsTransport t = new TlsTransport(new InetSocketAddress(LOOPBACK, 0), options, tls);
        t.start((tr, source, message) -> received.add(new Received(tr, source, new String(message, US_ASCII))));
        cleanup.add(t);
        return t;
    }

    private void start() throws Exception {
        transport = newTransport(TransportOptions.defaults(), settings().build());
    }

    private SSLSocket client(SSLContext context) throws IOException {
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(LOOPBACK, transport.localAddress().getPort());
        cleanup.add(s);
        s.setSoTimeout(5_000);
        s.setTcpNoDelay(true);
        return s;
    }

    private SSLSocket client() throws IOException {
        SSLSocket s = client(jdkContext);
        s.startHandshake();
        return s;
    }

    private Received next() throws InterruptedException {
        Received r = received.poll(5, TimeUnit.SECONDS);
        assertThat(r).as("message within 5 s").isNotNull();
        return r;
    }

    /** True when the peer closes the socket (EOF, reset or a TLS alert) within the socket timeout. */
    private static boolean closedByPeer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        byte[] buf = new byte[512];
        try {
            for (int i = 0; i < 100; i++) { // a plain socket may first see the alert the server sends
                if (in.read(buf) < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (SocketException | SSLException reset) {
            return true;
        }
    }

    // --------------------------------------------------------------------------------------------------- tests

    @Test
    void jdkClientSendsTwoMessagesAndGetsTheReplyOnItsConnection() throws Exception {
        start();
        assertThat(transport.type()).isEqualTo(TransportType.TLS);
        assertThat(Thread.getAllStackTraces().keySet())
                .anyMatch(t -> t.getName().equals("siprelay-tls-" + transport.localAddress().getPort()));
        SSLSocket c = client();
        String m1 = msg("REGISTER sip:a SIP/2.0", "");
        String m2 = msg("MESSAGE sip:b SIP/2.0", "hello");
        write(c, m1 + m2);
        Received r1 = next();
        assertThat(r1.text()).isEqualTo(m1);
        assertThat(r1.source()).isEqualTo(c.getLocalSocketAddress());
        assertThat(r1.transport()).isSameAs(transport);
        assertThat(next().text()).isEqualTo(m2);

        String reply = msg("SIP/2.0 200 OK", "body");
        transport.send(r1.source(), reply.getBytes(US_ASCII));
        assertThat(read(c, reply.length())).isEqualTo(reply);
        assertThat(transport.connectionCount()).isEqualTo(1);
        assertThat(c.getSession().getProtocol()).isEqualTo("TLSv1.3");
    }

    @Test
    void messageSplitAcrossWritesIsFramedWhole() throws Exception {
        start();
        SSLSocket c = client();
        String m = msg("INVITE sip:c SIP/2.0", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n");
        write(c, m.substring(0, 10));
        Thread.sleep(30);
        write(c, m.substring(10, m.length() - 5));
        Thread.sleep(30);
        write(c, m.substring(m.length() - 5));
        assertThat(next().text()).isEqualTo(m);
        assertThat(received.poll(100, TimeUnit.MILLISECONDS)).isNull();
    }

    @Test
    void pingGetsAPongInsideTls() throws Exception {
        start();
        SSLSocket c = client();
        write(c, "\r\n\r\n");
        assertThat(read(c, 2)).isEqualTo("\r\n");
        write(c, msg("OPTIONS sip:a SIP/2.0", "") + "\r\n\r\n");
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:a SIP/2.0", ""));
        assertThat(read(c, 2)).isEqualTo("\r\n");
        assertThat(received).isEmpty();
    }

    @Test
    void outboundConnectionToJdkServerIsOpenedAndReused() throws Exception {
        start();
        try (SSLServerSocket peer = (SSLServerSocket) jdkContext.getServerSocketFactory().createServerSocket(0, 5,
                LOOPBACK)) {
            // LOOPBACK carries the name "localhost": SNI and hostname verification against dns:localhost
            InetSocketAddress dest = new InetSocketAddress(LOOPBACK, peer.getLocalPort());
            String first = msg("OPTIONS sip:first SIP/2.0", "");
            String second = msg("OPTIONS sip:second SIP/2.0", "2");
            transport.send(dest, first.getBytes(US_ASCII)); // waits for the handshake in the connection
            peer.setSoTimeout(5_000);
            Socket accepted = peer.accept();
            cleanup.add(accepted);
            accepted.setSoTimeout(5_000);
            assertThat(read(accepted, first.length())).isEqualTo(first);
            transport.send(dest, second.getBytes(US_ASCII));
            assertThat(read(accepted, second.length())).isEqualTo(second);
            assertThat(transport.connectionCount()).isEqualTo(1);

            String reply = msg("SIP/2.0 200 OK", "");
            write(accepted, reply);
            Received r = next();
            assertThat(r.text()).isEqualTo(reply);
            assertThat(r.source()).isEqualTo(dest);

            peer.setSoTimeout(200);
            assertThatThrownBy(peer::accept).as("no second connection").isInstanceOf(IOException.class);
        }
    }

    @Test
    void tlsTransportToTlsTransportBothWays() throws Exception {
        TlsTransport a = newTransport(TransportOptions.defaults(), settings().build());
        TlsTransport b = newTransport(TransportOptions.defaults(), settings().build());
        String request = msg("MESSAGE sip:b SIP/2.0", "from a");
        a.send(b.localAddress(), request.getBytes(US_ASCII));
        Received atB = next();
        assertThat(atB.transport()).isSameAs(b);
        assertThat(atB.text()).isEqualTo(request);

        String response = msg("SIP/2.0 200 OK", "");
        b.send(atB.source(), response.getBytes(US_ASCII));
        Received atA = next();
        assertThat(atA.transport()).isSameAs(a);
        assertThat(atA.text()).isEqualTo(response);
        assertThat(atA.source()).isEqualTo(b.localAddress());
        assertThat(a.connectionCount()).isEqualTo(1);
        assertThat(b.connectionCount()).isEqualTo(1);

        String back = msg("MESSAGE sip:a SIP/2.0", "from b");
        b.send(a.localAddress(), back.getBytes(US_ASCII));
        Received atA2 = next();
        assertThat(atA2.transport()).isSameAs(a);
        assertThat(atA2.text()).isEqualTo(back);
        assertThat(a.connectionCount()).isEqualTo(2);
        assertThat(b.connectionCount()).isEqualTo(2);
    }

    @Test
    void clientThatDoesNotTrustTheCertificateFailsAndTheListenerKeepsWorking() throws Exception {
        start();
        SSLSocket untrusting = client(SSLContext.getDefault()); // the JDK's CA certificates only
        assertThatThrownBy(untrusting::startHandshake).isInstanceOf(SSLException.class);
        await("failed connection closed", () -> transport.connectionCount() == 0);
        assertThat(received).isEmpty();

        SSLSocket good = client();
        write(good, msg("OPTIONS sip:next SIP/2.0", ""));
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:next SIP/2.0", ""));
    }

    @Test
    void plainBytesOnTheTlsPortCloseThatConnectionOnly() throws Exception {
        start();
        SSLSocket good = client();
        Socket plain = new Socket(LOOPBACK, transport.localAddress().getPort());
        cleanup.add(plain);
        plain.setSoTimeout(5_000);
        await("two connections", () -> transport.connectionCount() == 2);
        write(plain, msg("OPTIONS sip:plain SIP/2.0", ""));
        assertThat(closedByPeer(plain)).isTrue();
        await("one connection", () -> transport.connectionCount() == 1);
        write(good, msg("OPTIONS sip:still SIP/2.0", ""));
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:still SIP/2.0", ""));
    }

    @Test
    void hostnameThatTheCertificateDoesNotNameFailsTheOutboundHandshake() throws Exception {
        TlsTransport server = newTransport(TransportOptions.defaults(), settings().build());
        transport = newTransport(TransportOptions.defaults(), settings().build());
        InetAddress misnamed = InetAddress.getByAddress("wrong.example", LOOPBACK.getAddress());
        InetSocketAddress dest = new InetSocketAddress(misnamed, server.localAddress().getPort());
        transport.send(dest, msg("OPTIONS sip:x SIP/2.0", "").getBytes(US_ASCII));
        await("failed connection closed", () -> transport.connectionCount() == 0);
        assertThat(received.poll(200, TimeUnit.MILLISECONDS)).isNull();

        // the same address as a bare IP is not checked by default; ALWAYS checks it against the IP SAN
        TlsTransport always = newTransport(TransportOptions.defaults(), settings()
                .hostnameVerification(TlsSettings.HostnameVerification.ALWAYS).build());
        InetSocketAddress byIp = new InetSocketAddress(InetAddress.getByName("127.0.0.1"),
                server.localAddress().getPort());
        always.send(byIp, msg("OPTIONS sip:ip SIP/2.0", "").getBytes(US_ASCII));
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:ip SIP/2.0", ""));
    }

    @Test
    void connectionThatNeverHandshakesIsClosedAfterTheConnectTimeout() throws Exception {
        transport = newTransport(TransportOptions.builder().connectTimeout(Duration.ofMillis(300)).build(),
                settings().build());
        Socket silent = new Socket(LOOPBACK, transport.localAddress().getPort());
        cleanup.add(silent);
        silent.setSoTimeout(5_000);
        await("connection accepted", () -> transport.connectionCount() == 1);
        assertThat(closedByPeer(silent)).isTrue();
        assertThat(transport.connectionCount()).isZero();
    }

    @Test
    void clientCertificateCanBeRequired() throws Exception {
        transport = newTransport(TransportOptions.defaults(), settings().requireClientCertificate(true).build());
        SSLContext noIdentity = SSLContext.getInstance("TLS");
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(keyStore);
        noIdentity.init(null, tmf.getTrustManagers(), null);
        SSLSocket anonymous = client(noIdentity);
        boolean rejected;
        try {
            anonymous.startHandshake(); // TLSv1.3: the server's verdict may only show on the first read
            write(anonymous, msg("OPTIONS sip:anon SIP/2.0", ""));
            rejected = closedByPeer(anonymous);
        } catch (SSLException | SocketException e) {
            rejected = true;
        }
        assertThat(rejected).isTrue();
        assertThat(received.poll(200, TimeUnit.MILLISECONDS)).isNull();

        SSLSocket withCertificate = client();
        write(withCertificate, msg("OPTIONS sip:cert SIP/2.0", ""));
        assertThat(next().text()).isEqualTo(msg("OPTIONS sip:cert SIP/2.0", ""));
    }

    @Test
    void closeEndsTheClientsStreamCleanly() throws Exception {
        start();
        SSLSocket c = client();
        write(c, msg("OPTIONS sip:a SIP/2.0", ""));
        next();
        transport.close();
        assertThat(c.getInputStream().read()).as("clean TLS end of stream").isEqualTo(-1);
        assertThat(transport.connectionCount()).isZero();
    }

    @Test
    void largeMessagesBothWaysSpanManyRecords() throws Exception {
        start();
        SSLSocket c = client();
        String bigRequest = msg("MESSAGE sip:big SIP/2.0", "q".repeat(60_000));
        write(c, bigRequest + bigRequest);
        Received r = next();
        assertThat(r.text()).isEqualTo(bigRequest);
        assertThat(next().text()).isEqualTo(bigRequest);
        String big = msg("SIP/2.0 200 OK", "z".repeat(60_000));
        int count = 15;
        for (int i = 0; i < count; i++) {
            transport.send(r.source(), big.getBytes(US_ASCII));
        }
        for (int i = 0; i < count; i++) {
            assertThat(read(c, big.length())).isEqualTo(big);
        }
        assertThat(transport.connectionCount()).isEqualTo(1);
    }

    @Test
    void settingsRejectUnknownProtocolsAndNeedOne() throws Exception {
        assertThatThrownBy(() -> settings().protocols("SSLv2").build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> settings().protocols().build()).isInstanceOf(IllegalArgumentException.class);
        TlsSettings defaults = settings().build();
        assertThat(defaults.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(defaults.requireClientCertificate()).isFalse();
        assertThat(defaults.hostnameVerification()).isEqualTo(TlsSettings.HostnameVerification.HOST_NAMES);
    }
}
