package io.siprelay.examples.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.siprelay.examples.management.JsonRpc;
import io.siprelay.examples.management.ManagementServer;
import io.siprelay.examples.management.NgResponder;
import io.siprelay.examples.management.RtpEngineRpc;
import io.siprelay.media.MediaRelay;
import io.siprelay.media.RtpEngine;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code siprelayctl rtpengine show|enable|reload|ping} against the real management server and RPC methods, over a
 * real {@link RtpEngine} whose two instances are stand-in daemons (one answers, one is silent).
 */
class RtpEngineCommandTest {

    private NgResponder up;
    private NgResponder silent;
    private RtpEngine engine;
    private ManagementServer server;

    @BeforeEach
    void start() throws Exception {
        up = new NgResponder(NgResponder.Mode.ANSWER);
        silent = new NgResponder(NgResponder.Mode.SILENT);
        engine = RtpEngine.builder().instance(up.spec()).instance(silent.spec() + "=3")
                .timeout(Duration.ofMillis(200)).retries(1).build();
        JsonRpc rpc = new JsonRpc(new ObjectMapper());
        RtpEngineRpc.register(rpc, engine, MediaRelay.on(engine));
        server = ManagementServer.start(rpc, new InetSocketAddress("127.0.0.1", 0), null, null);
    }

    @AfterEach
    void stop() {
        server.close();
        engine.close();
        up.close();
        silent.close();
    }

    private CtlRunner.Result ctl(ManagementServer on, String... args) {
        List<String> all = new ArrayList<>(List.of("--mgmt-url", "http://127.0.0.1:" + on.address().getPort()
                + "/rpc"));
        all.addAll(List.of(args));
        return CtlRunner.run("", all.toArray(String[]::new));
    }

    private CtlRunner.Result ok(String... args) {
        CtlRunner.Result r = ctl(server, args);
        assertThat(r.code()).as(r.toString()).isZero();
        return r;
    }

    @Test
    void showPrintsATableAndTheRelayCounters() {
        CtlRunner.Result r = ok("rtpengine", "show");
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).matches("URL +WEIGHT +STATE +REQUESTS +TIMEOUTS +ERRORS");
        assertThat(lines.get(1)).startsWith(up.spec()).contains(" 1 ").contains("enabled");
        assertThat(lines.get(2)).startsWith(silent.spec()).contains(" 3 ");
        assertThat(lines.get(3)).isEqualTo("relay: offers 0, answers 0, deletes 0, failures 0, ack_timeouts 0, "
                + "awaiting_ack 0");
        assertThat(ok("rtpengine", "show", up.spec()).out().lines()).hasSize(3);
    }

    @Test
    void showAsJson() throws Exception {
        JsonNode j = new ObjectMapper().readTree(ok("--json", "rtpengine", "show").out());
        assertThat(j.get("instances").get(1).get("weight").asInt()).isEqualTo(3);
        assertThat(j.get("relay").has("offers")).isTrue();
    }

    @Test
    void enableAndDisable() {
        assertThat(ok("rtpengine", "enable", up.spec(), "0").out()).isEqualTo(up.spec() + ": disabled (operator)\n");
        assertThat(engine.instance(up.spec()).isDisabledByOperator()).isTrue();
        assertThat(ok("rtpengine", "show").out()).contains("disabled (operator)");
        assertThat(ok("rtpengine", "enable", up.spec(), "1").out()).isEqualTo(up.spec() + ": enabled\n");
        assertThat(engine.instance(up.spec()).isEnabled()).isTrue();

        CtlRunner.Result bad = ctl(server, "rtpengine", "enable", up.spec(), "2");
        assertThat(bad.code()).isEqualTo(SiprelayCtl.EXIT_USAGE);
        assertThat(bad.err()).contains("the state must be 0 (disable) or 1 (enable), got '2'");
        CtlRunner.Result unknown = ctl(server, "rtpengine", "enable", "udp:127.0.0.1:1", "0");
        assertThat(unknown.code()).isEqualTo(SiprelayCtl.EXIT_RPC_ERROR);
        assertThat(unknown.err()).contains("rtpengine instance not found: udp:127.0.0.1:1");
    }

    @Test
    void pingAndReload() {
        CtlRunner.Result ping = ok("rtpengine", "ping");
        assertThat(ping.out()).containsPattern(up.spec().replace(".", "\\.") + " +yes")
                .containsPattern(silent.spec().replace(".", "\\.") + " +no").endsWith("1 of 2 answered\n");
        assertThat(engine.instance(silent.spec()).isEnabled()).as("its ping timed out").isFalse();
        assertThat(ok("rtpengine", "ping", up.spec()).out()).endsWith("1 of 1 answered\n");

        silent.mode = NgResponder.Mode.ANSWER;
        CtlRunner.Result reload = ok("rtpengine", "reload");
        assertThat(reload.out()).containsPattern(silent.spec().replace(".", "\\.") + " +yes +enabled")
                .endsWith("2 of 2 answered, 1 back in use\n");
        assertThat(engine.instance(silent.spec()).isEnabled()).isTrue();
    }

    @Test
    void withoutAMediaRelayTheErrorIsClear() {
        JsonRpc rpc = new JsonRpc(new ObjectMapper());
        RtpEngineRpc.register(rpc, null, null);
        try (ManagementServer none = ManagementServer.start(rpc, new InetSocketAddress("127.0.0.1", 0), null, null)) {
            CtlRunner.Result r = ctl(none, "rtpengine", "show");
            assertThat(r.code()).isEqualTo(SiprelayCtl.EXIT_RPC_ERROR);
            assertThat(r.err()).contains("rtpengine.show failed: no rtpengine configured (--rtpengine)");
        }
    }
}
