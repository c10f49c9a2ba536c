package io.siprelay.examples.pbx;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.core.proxy.Listener;
import io.siprelay.dispatcher.DispatcherEntry;
import io.siprelay.permissions.AddressEntry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PBX as it runs for real: UDP sockets on 127.0.0.1, the system clock, H2 in a temporary data directory. */
class PbxLoopbackTest {

    @TempDir
    Path dir;

    private PbxConfig config() {
        PbxConfig c = new PbxConfig();
        c.listen = List.of("udp:127.0.0.1:0");
        c.domain = "pbx.test";
        c.dataDir = dir.toString();
        c.mgmt = "off";
        c.probeInterval = 0;
        c.shutdownGrace = 1;
        return c;
    }

    private static InetSocketAddress sip(Pbx pbx) {
        Listener l = pbx.proxy().listeners().get(0);
        return new InetSocketAddress("127.0.0.1", l.port());
    }

    @Test
    void startAnswersOptionsOverUdp() throws Exception {
        try (Pbx pbx = Pbx.start(config()); UdpClient ua = new UdpClient(sip(pbx))) {
            assertThat(pbx.banner()).contains("UDP 127.0.0.1:" + sip(pbx).getPort()).contains("pbx.test");
            ua.send(ua.options("pbx.test"));
            String answer = ua.receiveFinal();
            assertThat(UdpClient.status(answer)).isEqualTo(200);
        }
    }

    @Test
    void everythingSurvivesARestart() throws Exception {
        try (Pbx pbx = Pbx.start(config())) {
            pbx.subscribers().add("1001", "pbx.test", "secret1001");
            pbx.addresses().add(new AddressEntry(200, "192.0.2.10", 32, 0, "carrier"));
            pbx.dispatcher().add(DispatcherEntry.of(1, "sip:192.0.2.20:5060", 0, 0, "weight=50"));
            try (UdpClient ua = new UdpClient(sip(pbx))) {
                String ok = ua.register("1001", "pbx.test", "secret1001");
                assertThat(UdpClient.status(ok)).as(ok).isEqualTo(200);
            }
            assertThat(pbx.registrar().registered("1001@pbx.test")).isTrue();
        }
        try (Pbx again = Pbx.start(config())) {
            assertThat(again.registrar().registered("1001@pbx.test")).isTrue();
            assertThat(again.registrar().locationService().lookup("1001@pbx.test")).isPresent();
            assertThat(again.subscribers().find("1001", "pbx.test")).isPresent();
            assertThat(again.permissions().entries()).extracting(AddressEntry::ip).containsExactly("192.0.2.10");
            assertThat(again.dispatcher().destinations(1)).extracting(d -> d.uri())
                    .containsExactly("sip:192.0.2.20:5060");
        }
    }

    @Test
    void startsOnADatabaseTheCliCreatedFirst() {
        PbxConfig c = config();
        // siprelayctl may create the subscriber table before the PBX ever ran
        try (io.siprelay.db.Database db = io.siprelay.db.Database.builder().url(c.jdbcUrl()).open()) {
            new io.siprelay.auth.db.JdbcSubscriberStore(io.siprelay.auth.db.AuthDatabase.on(db))
                    .add("1001", "pbx.test", "secret1001");
        }
        try (Pbx pbx = Pbx.start(c)) {
            assertThat(pbx.subscribers().find("1001", "pbx.test")).isPresent();
            assertThat(pbx.registrar().locationService().dump().domains()).hasSize(1);
        }
    }

    @Test
    void sharedDatabaseUrlIsTheDocumentedOne() {
        PbxConfig c = config();
        assertThat(c.jdbcUrl()).isEqualTo("jdbc:h2:file:" + dir.toAbsolutePath().normalize().resolve("siprelay")
                + ";AUTO_SERVER=TRUE");
    }

    /** Issue #12: a phone behind NAT (private Contact) gets OPTIONS keep-alives over real UDP, on schedule. */
    @Test
    void natKeepaliveReachesAPhoneBehindNatOverUdp() throws Exception {
        PbxConfig c = config();
        c.natPingInterval = 1;
        try (Pbx pbx = Pbx.start(c); UdpClient phone = new UdpClient(sip(pbx))) {
            pbx.subscribers().add("1001", "pbx.test", "secret1001");
            String ok = phone.register("1001", "pbx.test", "secret1001", "192.168.1.20");
            assertThat(UdpClient.status(ok)).as(ok).isEqualTo(200);
            long start = System.nanoTime();
            String ping = phone.receive();
            assertThat(ping).startsWith("OPTIONS sip:1001@192.168.1.20:" + phone.port() + " SIP/2.0");
            phone.answer200(ping);
            String second = phone.receive();
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;
            assertThat(second).startsWith("OPTIONS ");
            assertThat(seconds).as("one ping a second, not a burst").isBetween(0L, 4L);
            long deadline = System.currentTimeMillis() + 5000;
            while (pbx.proxy().stats().ownStatelessAnswers() < 1 && System.currentTimeMillis() < deadline) {
                Thread.sleep(20);
            }
            assertThat(pbx.proxy().stats().ownStatelessAnswers()).isEqualTo(1);
        }
    }
}
