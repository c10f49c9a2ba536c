package io.siprelay.examples.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The runtime commands against a JDK HttpServer that answers JSON-RPC 2.0 like the PBX's management endpoint. */
class RuntimeCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer server;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorization = new CopyOnWriteArrayList<>();
    /** method → the JSON text of "result", or an object with "error" to answer with a JSON-RPC error. */
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private volatile String requiredToken;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/rpc", ex -> {
            byte[] in = ex.getRequestBody().readAllBytes();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            authorization.add(auth == null ? "" : auth);
            int status = 200;
            String body;
            if (!"POST".equals(ex.getRequestMethod())) {
                status = 405;
                body = "";
            } else if (requiredToken != null && !("Bearer " + requiredToken).equals(auth)) {
                status = 401;
                body = "";
            } else {
                JsonNode req = JSON.readTree(in);
                requests.add(req);
                String method = req.path("method").asText();
                String id = req.get("id").toString();
                String a = answers.get(method);
                if (a == null) {
                    body = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":"
                            + id + "}";
                } else if (a.startsWith("{\"error\"")) {
                    body = "{\"jsonrpc\":\"2.0\"," + a.substring(1, a.length() - 1) + ",\"id\":" + id + "}";
                } else {
                    body = "{\"jsonrpc\":\"2.0\",\"result\":" + a + ",\"id\":" + id + "}";
                }
            }
            byte[] out = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                ex.getResponseBody().write(out);
            }
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/rpc";
    }

    private CtlRunner.Result ctl(String... args) {
        List<String> all = new ArrayList<>(List.of("--mgmt-url", url()));
        all.addAll(List.of(args));
        return CtlRunner.run("", all.toArray(String[]::new));
    }

    private JsonNode lastRequest() {
        assertThat(requests).isNotEmpty();
        return requests.get(requests.size() - 1);
    }

    private void assertCall(String method, String params) throws IOException {
        JsonNode r = lastRequest();
        assertThat(r.get("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(r.get("method").asText()).isEqualTo(method);
        assertThat(r.get("params")).isEqualTo(JSON.readTree(params));
        assertThat(r.get("id").isIntegralNumber()).isTrue();
        assertThat(r.size()).isEqualTo(4);
    }

    private static final String UL_DUMP = """
            {"Domains":[{"Domain":{"Domain":"location","Size":2,"AoRs":[
              {"Info":{"AoR":"1001@example.com","HashID":1,"Contacts":[{"Contact":{"Address":"sip:1001@192.0.2.10:5060",
                "Expires":3580,"Q":-1.0,"Call-ID":"c1","CSeq":2,"User-Agent":"Linphone","Received":"sip:198.51.100.7:40000",
                "Path":"[not set]","State":"CS_SYNC","Last-Modified":1700000000}}]}},
              {"Info":{"AoR":"1002@example.com","HashID":2,"Contacts":[{"Contact":{"Address":"sip:1002@192.0.2.11:5062;transport=tcp",
                "Expires":120,"Q":0.5,"User-Agent":"[not set]","Received":"[not set]","Last-Modified":1700000100}}]}}],
              "Stats":{"Records":2,"Max-Slots":1}}}]}
            """;

    @Test
    void ulDump() throws IOException {
        answers.put("ul.dump", UL_DUMP);
        CtlRunner.Result r = ctl("ul", "dump");
        assertThat(r.code()).as(r.toString()).isZero();
        assertCall("ul.dump", "[]");
        assertThat(r.out()).isEqualTo("""
                AOR               CONTACT                                 EXPIRES  Q     RECEIVED                USER-AGENT  LAST-MODIFIED
                1001@example.com  sip:1001@192.0.2.10:5060                3580     -1.0  sip:198.51.100.7:40000  Linphone    2023-11-14T22:13:20Z
                1002@example.com  sip:1002@192.0.2.11:5062;transport=tcp  120      0.5                                       2023-11-14T22:15:00Z
                2 AoRs, 2 contacts
                """);

        r = ctl("ul", "dump", "--brief");
        assertCall("ul.dump", "[\"brief\"]");
        assertThat(r.out()).isEqualTo("AOR\n1001@example.com\n1002@example.com\n2 AoRs\n");

        r = ctl("ul", "dump", "--json");
        assertThat(JSON.readTree(r.out())).isEqualTo(JSON.readTree(UL_DUMP));
    }

    @Test
    void ulLookupAndRm() throws IOException {
        answers.put("ul.lookup", "{\"AoR\":\"1001@example.com\",\"HashID\":1,\"Contacts\":[{\"Contact\":"
                + "{\"Address\":\"sip:1001@192.0.2.10:5060\",\"Expires\":60,\"Q\":-1.0,\"User-Agent\":\"Linphone\"}}]}");
        CtlRunner.Result r = ctl("ul", "lookup", "1001@example.com");
        assertThat(r.code()).as(r.toString()).isZero();
        assertCall("ul.lookup", "[\"1001@example.com\"]");
        assertThat(r.out()).contains("1001@example.com  sip:1001@192.0.2.10:5060  60       -1.0")
                .contains("Linphone");

        answers.put("ul.rm", "1");
        r = ctl("ul", "rm", "1001@example.com");
        assertThat(r.code()).as(r.toString()).isZero();
        assertCall("ul.rm", "[\"1001@example.com\"]");
        assertThat(r.out()).isEqualTo("removed 1001@example.com (1)\n");
    }

    @Test
    void dispatcherListSetStateReload() throws IOException {
        answers.put("dispatcher.list", """
                {"NRSETS":1,"RECORDS":[{"SET":{"ID":1,"TARGETS":[
                  {"DEST":{"URI":"sip:mg1:5060","FLAGS":"AP","PRIORITY":0,
                    "LATENCY":{"AVG":12.5,"STD":1.2,"EST":11.0,"MAX":20,"TIMEOUT":0}}},
                  {"DEST":{"URI":"sip:mg2:5060","FLAGS":"IP","PRIORITY":5,"ATTRS":{"BODY":"weight=50;duid=gw2",
                    "DUID":"gw2","MAXLOAD":0,"WEIGHT":50,"RWEIGHT":0},
                    "LATENCY":{"AVG":0.0,"STD":0.0,"EST":0.0,"MAX":0,"TIMEOUT":3},"RUNTIME":{"DLGLOAD":2}}}]}}]}
                """);
        CtlRunner.Result r = ctl("dispatcher", "list");
        assertThat(r.code()).as(r.toString()).isZero();
        assertCall("dispatcher.list", "[]");
        assertThat(r.out()).isEqualTo("""
                SET  URI           FLAGS  PRIORITY  ATTRS               AVG_MS  TIMEOUTS  CALLS
                1    sip:mg1:5060  AP     0                             12.5    0
                1    sip:mg2:5060  IP     5         weight=50;duid=gw2  0.0     3         2
                1 sets, 2 destinations
                """);

        answers.put("dispatcher.set_state", "\"OK\"");
        r = ctl("dispatcher", "set-state", "dx", "1", "sip:mg1:5060");
        assertThat(r.code()).as(r.toString()).isZero();
        assertCall("dispatcher.set_state", "[\"dx\", 1, \"sip:mg1:5060\"]");
        assertThat(r.out()).isEqualTo("set 1 sip:mg1:5060: state dx\n");

        answers.put("dispatcher.reload", "{\"destinations\":2}");
        r = ctl("dispatcher", "reload");
        assertThat(r.code()).as(r.toString()).isZero();
        assertCall("dispatcher.reload", "[]");
        assertThat(r.out()).isEqualTo("dispatcher reloaded (destinations: 2)\n");
    }

    @Test
    void setStateIsValidatedBeforeAnyCall() {
        CtlRunner.Result r = ctl("dispatcher", "set-state", "zz", "1", "sip:mg1:5060");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("siprelayctl: invalid state 'zz'");
        r = ctl("dispatcher", "set-state", "ip", "1", "mg1:5060 x");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("siprelayctl: invalid SIP URI");
        assertThat(requests).isEmpty();
    }

    @Test
    void addressReloadDumpStatsVersionAndRpc() throws IOException {
        answers.put("permissions.addressReload", "\"OK\"");
        CtlRunner.Result r = ctl("address", "reload");
        assertThat(r.code()).as(r.toString()).isZero();
        assertCall("permissions.addressReload", "[]");
        assertThat(r.out()).isEqualTo("address table reloaded\n");

        answers.put("permissions.addressDump", "[{\"grp\":200,\"ip\":\"10.0.1.102\",\"mask\":32,\"port\":5060,"
                + "\"tag\":\"Carrier\"}]");
        r = ctl("address", "dump");
        assertCall("permissions.addressDump", "[]");
        assertThat(r.out()).isEqualTo("GRP  IP          MASK  PORT  TAG\n200  10.0.1.102  32    5060  Carrier\n");

        answers.put("stats.get", "{\"core\":{\"rcv_requests\":10,\"fwd_requests\":8},\"usrloc\":{\"registered_users\":2}}");
        r = ctl("stats");
        assertThat(r.code()).as(r.toString()).isZero();
        assertCall("stats.get", "[]");
        assertThat(r.out()).isEqualTo("""
                core.rcv_requests:       10
                core.fwd_requests:       8
                usrloc.registered_users: 2
                """);
        ctl("stats", "core");
        assertCall("stats.get", "[\"core\"]");

        answers.put("core.version", "\"SipRelay 0.1.0-SNAPSHOT\"");
        r = ctl("core", "version");
        assertCall("core.version", "[]");
        assertThat(r.out()).isEqualTo("SipRelay 0.1.0-SNAPSHOT\n");

        r = ctl("rpc", "dispatcher.set_state", "ip", "2", "sip:mg2:5060");
        assertThat(r.code()).isEqualTo(3); // not in answers: Method not found
        assertCall("dispatcher.set_state", "[\"ip\", 2, \"sip:mg2:5060\"]");
    }

    @Test
    void tokenIsSentAsBearer() {
        requiredToken = "s3cret";
        answers.put("core.version", "\"x\"");
        CtlRunner.Result r = ctl("core", "version");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("siprelayctl: the PBX refused the request: HTTP 401 (give --mgmt-token or "
                + "SIPRELAY_MGMT_TOKEN)\n");
        r = ctl("core", "version", "--mgmt-token", "s3cret");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(authorization.get(authorization.size() - 1)).isEqualTo("Bearer s3cret");
    }

    @Test
    void jsonRpcErrorExits3() {
        answers.put("ul.lookup", "{\"error\":{\"code\":404,\"message\":\"AOR not found\"}}");
        CtlRunner.Result r = ctl("ul", "lookup", "9999@example.com");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("siprelayctl: ul.lookup failed: AOR not found [JSON-RPC error 404]\n");

        answers.put("dispatcher.reload", "{\"error\":{\"code\":-32000,\"message\":\"dispatcher reload refused\","
                + "\"data\":\"set 1 destination sip:nohost.invalid: unresolvable host nohost.invalid\"}}");
        r = ctl("dispatcher", "reload");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("siprelayctl: dispatcher.reload failed: dispatcher reload refused (set 1 "
                + "destination sip:nohost.invalid: unresolvable host nohost.invalid) [JSON-RPC error -32000]\n");
    }

    @Test
    void unreachablePbxExits2() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/rpc";
        CtlRunner.Result r = CtlRunner.run("", "ul", "dump", "--mgmt-url", url);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("siprelayctl: PBX not reachable at " + url
                + ": connection refused (is the PBX running? see --mgmt-url)\n");

        r = CtlRunner.run("", "stats", "--mgmt-url", "ftp://x/rpc");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("siprelayctl: invalid --mgmt-url 'ftp://x/rpc'");
    }

    @Test
    void notJsonRpcIsAnError() {
        server.removeContext("/rpc");
        CtlRunner.Result r = ctl("stats");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).startsWith("siprelayctl: stats.get failed: HTTP 404 from ");
    }
}
