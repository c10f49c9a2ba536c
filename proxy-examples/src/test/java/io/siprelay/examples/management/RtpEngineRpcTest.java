package io.siprelay.examples.management;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.siprelay.examples.pbx.Pbx;
import io.siprelay.examples.pbx.PbxConfig;
import io.siprelay.media.MediaRelay;
import io.siprelay.media.RtpEngine;
import io.siprelay.media.RtpEngineInstance;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rtpengine.* RPC methods over a real {@link RtpEngine} talking UDP to stand-in daemons (one answering, one
 * answering errors), their errors, and the PBX's wiring: banner, start-up ping, JSON-RPC over HTTP, metrics, close.
 */
class RtpEngineRpcTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private NgResponder up;
    private NgResponder down;
    private RtpEngine engine;
    private JsonRpc rpc;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        up = new NgResponder(NgResponder.Mode.ANSWER);
        down = new NgResponder(NgResponder.Mode.ERROR);
        engine = RtpEngine.builder().instance(up.spec()).instance(down.spec() + "=2")
                .timeout(Duration.ofMillis(200)).retries(1).build();
        rpc = new JsonRpc(mapper);
        RtpEngineRpc.register(rpc, engine, MediaRelay.on(engine));
    }

    @AfterEach
    void stop() {
        engine.close();
        up.close();
        down.close();
    }

    private JsonNode call(JsonRpc on, String method, Object... params) throws Exception {
        String body = mapper.writeValueAsString(Map.of("jsonrpc", "2.0", "method", method, "params", List.of(params),
                "id", 1));
        return mapper.readTree(on.handle(body.getBytes(StandardCharsets.UTF_8)));
    }

    private JsonNode result(String method, Object... params) throws Exception {
        JsonNode r = call(rpc, method, params);
        assertThat(r.has("error")).as(r.toString()).isFalse();
        return r.get("result");
    }

    private JsonNode error(String method, Object... params) throws Exception {
        JsonNode r = call(rpc, method, params);
        assertThat(r.has("error")).as(r.toString()).isTrue();
        return r.get("error");
    }

    @Test
    void showListsEveryInstanceAndTheRelayCounters() throws Exception {
        JsonNode r = result("rtpengine.show");
        assertThat(r.get("instances")).hasSize(2);
        JsonNode first = r.get("instances").get(0);
        assertThat(first.get("url").asText()).isEqualTo(up.spec());
        assertThat(first.get("weight").asInt()).isEqualTo(1);
        assertThat(first.get("enabled").asBoolean()).isTrue();
        assertThat(first.get("disabled_by_operator").asBoolean()).isFalse();
        for (String counter : List.of("requests", "timeouts", "errors")) {
            assertThat(first.get(counter).isIntegralNumber()).as(counter).isTrue();
        }
        assertThat(r.get("instances").get(1).get("weight").asInt()).isEqualTo(2);
        assertThat(r.get("relay").fieldNames()).toIterable().containsExactly("offers", "answers", "deletes",
                "failures", "ack_timeouts", "awaiting_ack");
        assertThat(result("rtpengine.show", "all").get("instances")).hasSize(2);
        assertThat(result("rtpengine.show", down.spec()).get("instances")).hasSize(1);

        JsonNode unknown = error("rtpengine.show", "udp:127.0.0.1:1");
        assertThat(unknown.get("code").asInt()).isEqualTo(404);
        assertThat(unknown.get("message").asText()).isEqualTo("rtpengine instance not found: udp:127.0.0.1:1 "
                + "(configured: " + up.spec() + ", " + down.spec() + ")");
    }

    @Test
    void enableTakesAnInstanceOutAndBackIn() throws Exception {
        JsonNode off = result("rtpengine.enable", up.spec(), 0);
        assertThat(off.get("updated").asInt()).isEqualTo(1);
        assertThat(off.get("instances").get(0).get("enabled").asBoolean()).isFalse();
        assertThat(off.get("instances").get(0).get("disabled_by_operator").asBoolean()).isTrue();
        assertThat(engine.instance(up.spec()).isDisabledByOperator()).isTrue();
        assertThat(result("rtpengine.enable", up.spec(), "1").get("instances").get(0).get("enabled").asBoolean())
                .isTrue();
        assertThat(result("rtpengine.enable", "all", 0).get("updated").asInt()).isEqualTo(2);
        assertThat(engine.instances()).allMatch(RtpEngineInstance::isDisabledByOperator);
        result("rtpengine.enable", "all", 1);

        assertThat(error("rtpengine.enable", up.spec(), 2).get("code").asInt()).isEqualTo(-32602);
        assertThat(error("rtpengine.enable", up.spec()).get("code").asInt()).isEqualTo(-32602);
        JsonNode unknown = error("rtpengine.enable", "udp:192.0.2.1:2223", 0);
        assertThat(unknown.get("code").asInt()).isEqualTo(404);
        assertThat(unknown.get("message").asText()).contains("not found: udp:192.0.2.1:2223");
    }

    @Test
    void pingReportsWhichInstancesAnswer() throws Exception {
        JsonNode all = result("rtpengine.ping");
        assertThat(all.get("answered").asInt()).isEqualTo(1);
        assertThat(all.get("instances").get(0).get("url").asText()).isEqualTo(up.spec());
        assertThat(all.get("instances").get(0).get("answered").asBoolean()).isTrue();
        assertThat(all.get("instances").get(1).get("answered").asBoolean()).isFalse();
        JsonNode one = result("rtpengine.ping", up.spec());
        assertThat(one.get("instances")).hasSize(1);
        assertThat(one.get("answered").asInt()).isEqualTo(1);
        assertThat(up.commands()).containsOnly("ping").hasSize(2);
    }

    @Test
    void reloadProbesEveryInstanceAndTakesBackOneThatAnswersAgain() throws Exception {
        up.mode = NgResponder.Mode.SILENT;
        assertThat(engine.ping(engine.instance(up.spec())).get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(engine.instance(up.spec()).isEnabled()).as("a timeout disables").isFalse();
        result("rtpengine.enable", down.spec(), 0);
        up.mode = NgResponder.Mode.ANSWER;
        down.mode = NgResponder.Mode.ANSWER;

        JsonNode r = result("rtpengine.reload");
        assertThat(r.get("note").asText()).contains("no rtpengine table");
        assertThat(r.get("answered").asInt()).isEqualTo(2);
        assertThat(r.get("reenabled").asInt()).isEqualTo(1);
        assertThat(r.get("instances").get(0).get("enabled").asBoolean()).isTrue();
        assertThat(r.get("instances").get(1).get("enabled").asBoolean()).as("the operator's choice stays")
                .isFalse();
        assertThat(r.get("instances").get(1).get("disabled_by_operator").asBoolean()).isTrue();
        assertThat(error("rtpengine.reload", "all").get("code").asInt()).isEqualTo(-32602);
    }

    @Test
    void withoutAMediaRelayEveryMethodSaysSo() throws Exception {
        JsonRpc none = new JsonRpc(mapper);
        RtpEngineRpc.register(none, null, null);
        for (Object[] call : List.of(new Object[] {"rtpengine.show"}, new Object[] {"rtpengine.enable", "all", 1},
                new Object[] {"rtpengine.reload"}, new Object[] {"rtpengine.ping", "all"})) {
            JsonNode r = call(none, (String) call[0], java.util.Arrays.copyOfRange(call, 1, call.length));
            assertThat(r.get("error").get("code").asInt()).as(call[0].toString()).isEqualTo(RpcException.FAILED);
            assertThat(r.get("error").get("message").asText()).isEqualTo("no rtpengine configured (--rtpengine)");
        }
    }

    @Test
    void thePbxBuildsPingsServesAndClosesItsRtpEngine() throws Exception {
        PbxConfig c = new PbxConfig();
        c.listen = List.of("udp:127.0.0.1:0");
        c.domain = "pbx.test";
        c.dataDir = dir.toString();
        c.mgmt = "127.0.0.1:0";
        c.probeInterval = 0;
        c.shutdownGrace = 0;
        c.rtpengine = List.of(up.spec(), down.spec());
        Pbx pbx = Pbx.start(c);
        RtpEngine own;
        try {
            own = pbx.rtpEngine();
            assertThat(own).isNotNull();
            assertThat(own.clock()).isSameAs(pbx.proxy().clock());
            assertThat(pbx.media().engine()).isSameAs(own);
            assertThat(pbx.banner()).contains("  media      rtpengine " + up.spec() + " (weight 1), " + down.spec()
                    + " (weight 1), mode always, flags replace-origin replace-session-connection");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while ((up.commands().isEmpty() || down.commands().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(up.commands()).as("one ping at start").containsExactly("ping");
            assertThat(down.commands()).containsExactly("ping");

            URI base = URI.create("http://127.0.0.1:" + pbx.management().address().getPort());
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> show = http.send(HttpRequest.newBuilder(base.resolve("/rpc"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"method\":\"rtpengine.show\","
                            + "\"id\":1}")).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode instances = mapper.readTree(show.body()).get("result").get("instances");
            assertThat(instances).hasSize(2);
            assertThat(instances.get(0).get("requests").asInt()).isEqualTo(1);
            String metrics = http.send(HttpRequest.newBuilder(base.resolve("/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("siprelay_rtpengine_enabled{url=\"" + up.spec() + "\"} 1.0")
                    .contains("siprelay_rtpengine_requests_total{url=\"" + up.spec() + "\"} 1.0")
                    .contains("siprelay_rtpengine_errors_total{url=\"" + down.spec() + "\"} 1.0")
                    .contains("siprelay_rtpengine_timeouts_total{url=\"" + up.spec() + "\"} 0.0")
                    .contains("siprelay_media_commands_total{command=\"delete\"} 0.0")
                    .contains("siprelay_media_failures_total 0.0");
        } finally {
            pbx.close();
        }
        try {
            own.send("after-close", Map.of("command", "ping")).get(5, TimeUnit.SECONDS);
            throw new AssertionError("the rtpengine client still sends after the PBX closed");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).hasMessageContaining("closed");
        }
    }
}
