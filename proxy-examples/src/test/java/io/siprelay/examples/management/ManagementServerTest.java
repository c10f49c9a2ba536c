package io.siprelay.examples.management;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.siprelay.dispatcher.DispatcherEntry;
import io.siprelay.examples.pbx.Pbx;
import io.siprelay.examples.pbx.PbxConfig;
import io.siprelay.examples.pbx.UdpClient;
import io.siprelay.permissions.AddressEntry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every RPC method over HTTP against a running PBX (UDP on 127.0.0.1, H2 in a temporary directory), plus the bearer
 * token and the Prometheus endpoint.
 */
class ManagementServerTest {

    static final String DOMAIN = "pbx.test";
    static final String GW1 = "sip:192.0.2.21:5060";
    static final String GW2 = "sip:192.0.2.22:5060";

    @TempDir
    static Path dir;
    static Pbx pbx;
    static URI rpcUri;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper JSON = new ObjectMapper();
    static final AtomicInteger IDS = new AtomicInteger();

    @BeforeAll
    static void start() {
        PbxConfig c = new PbxConfig();
        c.listen = List.of("udp:127.0.0.1:0");
        c.domain = DOMAIN;
        c.dataDir = dir.toString();
        c.mgmt = "127.0.0.1:0";
        c.probeInterval = 0;
        c.shutdownGrace = 0;
        pbx = Pbx.start(c);
        InetSocketAddress m = pbx.management().address();
        rpcUri = URI.create("http://127.0.0.1:" + m.getPort() + "/rpc");
        pbx.subscribers().add("1001", DOMAIN, "secret1001");
        pbx.subscribers().add("1002", DOMAIN, "secret1002");
        pbx.dispatcher().add(DispatcherEntry.of(1, GW1, 0, 10, "weight=50;duid=gw1"));
        pbx.dispatcher().add(DispatcherEntry.of(1, GW2, 0, 5, ""));
    }

    @AfterAll
    static void stop() {
        pbx.close();
    }

    private static String register(String user) throws Exception {
        InetSocketAddress sip = new InetSocketAddress("127.0.0.1", pbx.proxy().listeners().get(0).port());
        try (UdpClient ua = new UdpClient(sip)) {
            String ok = ua.register(user, DOMAIN, "secret" + user);
            assertThat(UdpClient.status(ok)).as(ok).isEqualTo(200);
        }
        return user + "@" + DOMAIN;
    }

    static HttpResponse<String> post(URI uri, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Calls a method; returns the whole answer object. */
    static JsonNode call(String method, Object... params) throws Exception {
        String body = JSON.writeValueAsString(java.util.Map.of("jsonrpc", "2.0", "method", method,
                "params", List.of(params), "id", IDS.incrementAndGet()));
        HttpResponse<String> r = post(rpcUri, body, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        return JSON.readTree(r.body());
    }

    static JsonNode result(String method, Object... params) throws Exception {
        JsonNode r = call(method, params);
        assertThat(r.has("error")).as(r.toString()).isFalse();
        return r.get("result");
    }

    static int errorCode(String method, Object... params) throws Exception {
        JsonNode r = call(method, params);
        assertThat(r.has("error")).as(r.toString()).isTrue();
        return r.get("error").get("code").asInt();
    }

    @Test
    void coreVersion() throws Exception {
        assertThat(result("core.version").asText()).startsWith("SipRelay ");
        assertThat(errorCode("core.version", "extra")).isEqualTo(-32602);
    }

    @Test
    void ulDumpLookupAndRm() throws Exception {
        String aor = register("1001");
        JsonNode dump = result("ul.dump");
        JsonNode domain = dump.get("Domains").get(0).get("Domain");
        assertThat(domain.get("Domain").asText()).isEqualTo("location");
        JsonNode info = null;
        for (JsonNode a : domain.get("AoRs")) {
            if (a.get("Info").get("AoR").asText().equals(aor)) {
                info = a.get("Info");
            }
        }
        assertThat(info).isNotNull();
        assertThat(info.get("Contacts").get(0).get("Contact").get("Address").asText()).startsWith("sip:1001@127.0.0.1:");
        JsonNode brief = result("ul.dump", "brief");
        assertThat(brief.get("Domains").get(0).get("Domain").get("AoRs").get(0).get("Info").has("Contacts")).isFalse();
        assertThat(errorCode("ul.dump", "full")).isEqualTo(-32602);

        assertThat(result("ul.lookup", aor).get("AoR").asText()).isEqualTo(aor);
        assertThat(result("ul.lookup", "location", aor).get("AoR").asText()).isEqualTo(aor);
        assertThat(errorCode("ul.lookup", "nobody@" + DOMAIN)).isEqualTo(404);
        assertThat(errorCode("ul.lookup")).isEqualTo(-32602);
        assertThat(errorCode("ul.lookup", 1001)).isEqualTo(-32602);

        assertThat(result("ul.rm", aor).get("removed").asInt()).isEqualTo(1);
        assertThat(errorCode("ul.lookup", aor)).isEqualTo(404);
        assertThat(errorCode("ul.rm", aor)).isEqualTo(404);
        assertThat(pbx.registrar().registered(aor)).isFalse();
    }

    @Test
    void dispatcherListReloadAndSetState() throws Exception {
        JsonNode list = result("dispatcher.list");
        assertThat(list.get("NRSETS").asInt()).isEqualTo(1);
        JsonNode targets = list.get("RECORDS").get(0).get("SET").get("TARGETS");
        assertThat(targets).hasSize(2);
        assertThat(targets.get(0).get("DEST").get("URI").asText()).isEqualTo(GW1);

        assertThat(result("dispatcher.reload").get("destinations").asInt()).isEqualTo(2);
        assertThat(errorCode("dispatcher.reload", 1)).isEqualTo(-32602);

        JsonNode set = result("dispatcher.set_state", "ip", 1, GW2);
        assertThat(set.get("updated").asInt()).isEqualTo(1);
        assertThat(pbx.dispatcher().destination(1, GW2).state()).isEqualTo("IP");
        result("dispatcher.set_state", "dx", "1", GW2);
        assertThat(pbx.dispatcher().destination(1, GW2).state()).isEqualTo("DX");
        result("dispatcher.set_state", "AP", 1, "all");
        assertThat(pbx.dispatcher().destination(1, GW2).state()).isEqualTo("AP");
        assertThat(pbx.dispatcher().destination(1, GW1).state()).isEqualTo("AP");

        assertThat(errorCode("dispatcher.set_state", "zz", 1, GW2)).isEqualTo(-32602);
        assertThat(errorCode("dispatcher.set_state", "ip", "one", GW2)).isEqualTo(-32602);
        assertThat(errorCode("dispatcher.set_state", "ip", 1)).isEqualTo(-32602);
        assertThat(errorCode("dispatcher.set_state", "ip", 1, 5)).isEqualTo(-32602);
        assertThat(errorCode("dispatcher.set_state", "ip", 9, GW2)).isEqualTo(404);
        assertThat(errorCode("dispatcher.set_state", "ip", 1, "sip:nowhere.invalid")).isEqualTo(404);
    }

    @Test
    void permissionsReloadAndDump() throws Exception {
        pbx.addresses().add(new AddressEntry(200, "198.51.100.7", 32, 5060, "carrier-a"));
        assertThat(result("permissions.addressReload").get("entries").asInt()).isGreaterThanOrEqualTo(1);
        JsonNode dump = result("permissions.addressDump");
        assertThat(dump.isArray()).isTrue();
        boolean found = false;
        for (JsonNode e : dump) {
            if (e.get("ip").asText().equals("198.51.100.7")) {
                found = true;
                assertThat(e.get("gid").asInt()).isEqualTo(200);
                assertThat(e.get("port").asInt()).isEqualTo(5060);
                assertThat(e.get("tag").asText()).isEqualTo("carrier-a");
            }
        }
        assertThat(found).isTrue();
        assertThat(errorCode("permissions.addressDump", "x")).isEqualTo(-32602);
    }

    @Test
    void statsGet() throws Exception {
        register("1002");
        JsonNode s = result("stats.get");
        assertThat(s.get("core").get("received").asLong()).isGreaterThan(0);
        assertThat(s.get("core").has("active_relays")).isTrue();
        assertThat(s.get("pbx").get("requests").get("REGISTER").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(s.get("usrloc").get("registered_aors").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(s.get("dispatcher").get("sets").has("1")).isTrue();
        assertThat(result("stats.get", "all").has("core")).isTrue();
        assertThat(errorCode("stats.get", "tm")).isEqualTo(-32602);
    }

    @Test
    void httpLevelErrors() throws Exception {
        HttpResponse<String> bad = post(rpcUri, "{not json", null);
        assertThat(bad.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(bad.body()).get("error").get("code").asInt()).isEqualTo(-32700);
        assertThat(JSON.readTree(post(rpcUri, "{\"jsonrpc\":\"2.0\",\"method\":\"x.y\",\"id\":1}", null).body())
                .get("error").get("code").asInt()).isEqualTo(-32601);
        HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(rpcUri).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        HttpResponse<String> note = post(rpcUri, "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\"}", null);
        assertThat(note.statusCode()).isEqualTo(204);
    }

    @Test
    void tokenIsRequiredWhenConfigured() throws Exception {
        try (ManagementServer guarded = ManagementServer.start(pbx, new InetSocketAddress("127.0.0.1", 0), "s3cret")) {
            URI uri = URI.create("http://127.0.0.1:" + guarded.address().getPort() + "/rpc");
            String body = "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":1}";
            HttpResponse<String> none = post(uri, body, null);
            assertThat(none.statusCode()).isEqualTo(401);
            assertThat(JSON.readTree(none.body()).get("error").get("code").asInt()).isEqualTo(-32001);
            assertThat(post(uri, body, "wrong").statusCode()).isEqualTo(401);
            HttpResponse<String> ok = post(uri, body, "s3cret");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(ok.body()).get("result").asText()).startsWith("SipRelay");
            URI metrics = URI.create("http://127.0.0.1:" + guarded.address().getPort() + "/metrics");
            assertThat(HTTP.send(HttpRequest.newBuilder(metrics).GET().build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(401);
        }
    }

    @Test
    void prometheusMetrics() throws Exception {
        register("1001");
        URI metrics = rpcUri.resolve("/metrics");
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(metrics).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(r.body())
                .contains("siprelay_requests_total{method=\"REGISTER\"}")
                .contains("siprelay_registrations_total{result=\"inserted\"}")
                .contains("siprelay_auth_failures_total{result=\"no_credentials\"}")
                .contains("siprelay_core_received_total")
                .contains("siprelay_transactions_active")
                .contains("siprelay_overload_rejected_total{reason=\"queue_full\"}")
                .contains("siprelay_dispatcher_destinations{set=\"1\",state=\"AP\"}")
                .contains("siprelay_registered_aors");
    }
}
