package io.siprelay.dispatcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.siprelay.core.clock.VirtualClock;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dispatcher.list files, the dispatcher table on H2, reload that validates and keeps state, dispatcher.list JSON. */
class ReloadTest {

    @TempDir
    Path dir;

    static InetAddress resolve(String host) throws UnknownHostException {
        if (host.endsWith(".invalid")) {
            throw new UnknownHostException(host);
        }
        return InetAddress.getByAddress(host, new byte[] {10, 0, 0, (byte) (host.length() % 250)});
    }

    private Dispatcher fromFile(Path file) {
        return Dispatcher.builder().source(new ListFileSource(file)).clock(new VirtualClock())
                .resolver(ReloadTest::resolve).build();
    }

    @Test
    void listFileWithAttrsAndUnknownKeys() throws Exception {
        Path f = dir.resolve("dispatcher.list");
        Files.writeString(f, """
                # setid destination flags priority attrs
                1 sip:mg1.test:5060 0 10 duid=mg1;weight=75;maxload=20;socket=udp:10.0.0.1:5060;carrier=acme
                1 sip:mg2.test:5060 8 5 weight=25;ping_from=sip:probe@proxy.test
                2 sip:pbx.test
                """);
        Dispatcher ds = fromFile(f);
        assertThat(ds.setIds()).containsExactlyInAnyOrder(1, 2);
        Destination mg1 = ds.destination(1, "sip:mg1.test:5060");
        assertThat(mg1.attrs().duid()).isEqualTo("mg1");
        assertThat(mg1.attrs().maxload()).isEqualTo(20);
        assertThat(mg1.attrs().socket()).isEqualTo("udp:10.0.0.1:5060");
        assertThat(mg1.attrs().get("carrier")).isEqualTo("acme");
        assertThat(ds.destination(1, "sip:mg2.test:5060").state()).isEqualTo("AP");
        assertThat(ds.destination(1, "sip:mg2.test:5060").attrs().pingFrom()).isEqualTo("sip:probe@proxy.test");

        String json = new ObjectMapper().writeValueAsString(ds.list());
        assertThat(json).startsWith("{\"NRSETS\":2,\"RECORDS\":[{\"SET\":{\"ID\":1,\"TARGETS\":[{\"DEST\":{\"URI\":"
                + "\"sip:mg1.test:5060\",\"FLAGS\":\"AX\",\"PRIORITY\":10,\"ATTRS\":{\"BODY\":\"duid=mg1;weight=75;"
                + "maxload=20;socket=udp:10.0.0.1:5060;carrier=acme\",\"DUID\":\"mg1\",\"MAXLOAD\":20,\"WEIGHT\":75,");
        assertThat(json).contains("\"LATENCY\":{\"AVG\":0.0,\"STD\":0.0,\"EST\":0.0,\"MAX\":0,\"TIMEOUT\":0}");
        assertThat(json).contains("{\"DEST\":{\"URI\":\"sip:pbx.test\",\"FLAGS\":\"AX\",\"PRIORITY\":0,\"LATENCY\"");
    }

    @Test
    void reloadKeepsHealthOfRemainingDestinationsAndRefusesBadEntries() throws Exception {
        Path f = dir.resolve("dispatcher.list");
        Files.writeString(f, "1 sip:mg1.test\n1 sip:mg2.test\n");
        Dispatcher ds = fromFile(f);
        ds.setState("ip", 1, "sip:mg1.test");
        ds.destination(1, "sip:mg1.test").health().sample(42, 0.1);

        Files.writeString(f, "1 sip:mg1.test\n1 sip:mg3.test 0 0 weight=10\n");
        assertThat(ds.reload()).isEqualTo(2);
        assertThat(ds.destination(1, "sip:mg1.test").state()).as("health kept").isEqualTo("IP");
        assertThat(ds.destination(1, "sip:mg1.test").latency().max()).as("latency kept").isEqualTo(42);
        assertThat(ds.destination(1, "sip:mg2.test")).isNull();
        assertThat(ds.destination(1, "sip:mg3.test").state()).isEqualTo("AX");

        Files.writeString(f, "1 sip:mg1.test\n1 sip:gone.invalid\n");
        assertThatThrownBy(ds::reload).isInstanceOf(DispatcherReloadException.class)
                .hasMessageContaining("set 1 destination sip:gone.invalid").hasMessageContaining("unresolvable");
        Files.writeString(f, "1 sip:mg1.test\n1 http://x.test/\n");
        assertThatThrownBy(ds::reload).isInstanceOf(DispatcherReloadException.class)
                .hasMessageContaining("http://x.test/");
        Files.writeString(f, "1 sip:mg1.test 0 0 weight=abc\n");
        assertThatThrownBy(ds::reload).isInstanceOf(DispatcherReloadException.class)
                .hasMessageContaining(":1").hasMessageContaining("weight=abc");
        assertThat(ds.destinations(1)).extracting(Destination::uri).as("old sets stay")
                .containsExactly("sip:mg1.test", "sip:mg3.test");

        Files.writeString(f, "1 sip:mg1.test 4\n1 sip:mg3.test\n");
        ds.reload();
        assertThat(ds.destination(1, "sip:mg1.test").state()).as("configured disabled wins").isEqualTo("DX");
    }

    @Test
    void dispatcherTableOnH2WithAddAndRemove() {
        JdbiDispatcherSource src = JdbiDispatcherSource.h2(dir);
        Dispatcher ds = Dispatcher.builder().source(src).clock(new VirtualClock()).resolver(ReloadTest::resolve)
                .build();
        assertThat(ds.setIds()).isEmpty();
        DispatcherEntry added = ds.add(DispatcherEntry.of(1, "sip:mg1.test", 0, 10, "weight=50;x=y"));
        assertThat(added.id()).isPositive();
        ds.add(DispatcherEntry.of(1, "sip:mg2.test", 0, 5, "weight=50"));
        ds.setState("ip", 1, "sip:mg2.test");
        ds.reload();
        assertThat(ds.destinations(1)).extracting(Destination::uri).containsExactly("sip:mg1.test", "sip:mg2.test");
        assertThat(ds.destination(1, "sip:mg1.test").attrs().get("x")).isEqualTo("y");
        assertThat(ds.destination(1, "sip:mg2.test").state()).isEqualTo("IP");
        assertThatThrownBy(() -> ds.add(DispatcherEntry.of(1, "sip:bad.invalid")))
                .isInstanceOf(DispatcherReloadException.class);
        assertThat(ds.remove(1, "sip:mg1.test")).isEqualTo(1);
        ds.reload();
        assertThat(ds.destinations(1)).extracting(Destination::uri).containsExactly("sip:mg2.test");
        // a second instance on the same table sees the same sets
        Dispatcher other = Dispatcher.builder().source(JdbiDispatcherSource.h2(dir)).clock(new VirtualClock())
                .resolver(ReloadTest::resolve).build();
        assertThat(other.destinations(1)).extracting(Destination::uri).containsExactly("sip:mg2.test");
    }
}
