package io.siprelay.core.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.SipProxy;
import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.testkit.TestCertificates;
import io.siprelay.core.transport.TlsSettings;
import io.siprelay.core.transport.TlsTransport;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.sip.header.RecordRouteHeader;
import javax.sip.header.ViaHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A stateful relay over real TLS sockets on 127.0.0.1 to a {@code sips:} target, certificate made at test time. */
@Timeout(30)
class TlsRelayLoopbackTest {

    @TempDir
    Path dir;

    private SipProxy proxy;
    private TlsTransport alice;
    private TlsTransport bob;

    @AfterEach
    void close() {
        for (AutoCloseable c : new AutoCloseable[] {alice, bob, proxy}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception ignored) {
                // test cleanup
            }
        }
    }

    @Test
    void inviteRelayedOverTlsToASipsTarget() throws Exception {
        Path ks = TestCertificates.selfSigned(dir);
        TlsSettings tls = TlsSettings.fromKeyStore(ks, TestCertificates.PASSWORD)
                .trustStore(TlsSettings.load(ks, TestCertificates.PASSWORD)).build();
        SipCodec codec = SipCodec.create();

        bob = new TlsTransport(new InetSocketAddress("127.0.0.1", 0), tls);
        BlockingQueue<SipMessage> atBob = new LinkedBlockingQueue<>();
        bob.start((t, src, bytes) -> {
            try {
                SipMessage m = codec.parse(bytes);
                atBob.add(m);
                if (m.isRequest() && "INVITE".equals(m.method())) {
                    var ok = codec.messageFactory().createResponse(200, m.request());
                    ((javax.sip.header.ToHeader) ok.getHeader("To")).setTag("bob1");
                    t.send(src, codec.encode(ok));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        int bobPort = bob.localAddress().getPort();

        TlsTransport proxyTls = new TlsTransport(new InetSocketAddress("127.0.0.1", 0), tls);
        proxy = SipProxy.builder().listen(proxyTls).requestRoute(ctx -> {
            ctx.recordRoute();
            ctx.setRequestUri("sips:bob@127.0.0.1:" + bobPort);
            return ctx.relay();
        }).build().start();
        int proxyPort = proxyTls.localAddress().getPort();

        alice = new TlsTransport(new InetSocketAddress("127.0.0.1", 0), tls);
        BlockingQueue<SipMessage> atAlice = new LinkedBlockingQueue<>();
        alice.start((t, src, bytes) -> {
            try {
                atAlice.add(codec.parse(bytes));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        int alicePort = alice.localAddress().getPort();
        String invite = "INVITE sips:bob@example.com SIP/2.0\r\n"
                + "Via: SIP/2.0/TLS 127.0.0.1:" + alicePort + ";branch=z9hG4bK-tls-1;rport\r\n"
                + "Max-Forwards: 70\r\n"
                + "From: <sips:alice@example.com>;tag=a1\r\n"
                + "To: <sips:bob@example.com>\r\n"
                + "Call-ID: tls-relay-1@127.0.0.1\r\n"
                + "CSeq: 1 INVITE\r\n"
                + "Contact: <sips:alice@127.0.0.1:" + alicePort + ">\r\n"
                + "Content-Length: 0\r\n\r\n";
        alice.send(new InetSocketAddress("127.0.0.1", proxyPort), invite.getBytes(StandardCharsets.UTF_8));

        SipMessage relayed = atBob.poll(10, TimeUnit.SECONDS);
        assertThat(relayed).as("INVITE reached bob over TLS").isNotNull();
        assertThat(relayed.topVia().getTransport()).isEqualTo("TLS");
        assertThat(((RecordRouteHeader) relayed.message().getHeader(RecordRouteHeader.NAME)).getAddress().getURI()
                .toString()).contains("transport=tls");
        SipMessage first = atAlice.poll(10, TimeUnit.SECONDS);
        SipMessage second = first != null && first.statusCode() == 100 ? atAlice.poll(10, TimeUnit.SECONDS) : first;
        assertThat(second).isNotNull();
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(((ViaHeader) second.message().getHeader(ViaHeader.NAME)).getBranch()).isEqualTo("z9hG4bK-tls-1");
    }
}
