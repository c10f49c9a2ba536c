package io.siprelay.examples.management;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The JSON-RPC 2.0 envelope: errors, batches, notifications, parameter checks. No HTTP, no PBX. */
class JsonRpcTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final JsonRpc rpc = new JsonRpc(mapper)
            .register("echo", p -> {
                p.expect(1, 1, "[text]");
                return p.string(0, "text");
            })
            .register("add", p -> {
                p.expect(2, 2, "[a, b]");
                return p.integer(0, "a") + p.integer(1, "b");
            })
            .register("boom", p -> {
                throw new IllegalStateException("secret internals at com.example.Foo");
            })
            .register("map", p -> Map.of("k", 1));

    private JsonNode call(String body) throws Exception {
        String out = rpc.handle(body.getBytes(StandardCharsets.UTF_8));
        return out == null ? null : mapper.readTree(out);
    }

    @Test
    void resultAndIdAreEchoed() throws Exception {
        JsonNode r = call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"hi\"],\"id\":7}");
        assertThat(r.get("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(r.get("result").asText()).isEqualTo("hi");
        assertThat(r.get("id").asInt()).isEqualTo(7);
        assertThat(call("{\"jsonrpc\":\"2.0\",\"method\":\"map\",\"id\":\"a\"}").get("result").get("k").asInt())
                .isEqualTo(1);
    }

    @Test
    void malformedJsonIsParseError() throws Exception {
        JsonNode r = call("{\"jsonrpc\":\"2.0\",\"method\":");
        assertThat(r.get("error").get("code").asInt()).isEqualTo(-32700);
        assertThat(r.get("id").isNull()).isTrue();
        assertThat(call("").get("error").get("code").asInt()).isEqualTo(-32700);
    }

    @Test
    void invalidRequests() throws Exception {
        assertThat(code(call("[]"))).isEqualTo(-32600);
        assertThat(code(call("42"))).isEqualTo(-32600);
        assertThat(code(call("{\"method\":\"echo\",\"params\":[\"x\"],\"id\":1}"))).isEqualTo(-32600);
        assertThat(code(call("{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":1}"))).isEqualTo(-32600);
        assertThat(code(call("{\"jsonrpc\":\"2.0\",\"method\":5,\"id\":1}"))).isEqualTo(-32600);
        assertThat(code(call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":{}}"))).isEqualTo(-32600);
    }

    @Test
    void unknownMethod() throws Exception {
        JsonNode r = call("{\"jsonrpc\":\"2.0\",\"method\":\"core.nothing\",\"id\":1}");
        assertThat(code(r)).isEqualTo(-32601);
        assertThat(r.get("error").get("message").asText()).contains("core.nothing");
    }

    @Test
    void wrongParams() throws Exception {
        assertThat(code(call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[],\"id\":1}"))).isEqualTo(-32602);
        assertThat(code(call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[1],\"id\":1}"))).isEqualTo(-32602);
        assertThat(code(call("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,\"x\"],\"id\":1}")))
                .isEqualTo(-32602);
        assertThat(code(call("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2.5],\"id\":1}")))
                .isEqualTo(-32602);
        assertThat(code(call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"text\":\"x\"},\"id\":1}")))
                .isEqualTo(-32602);
        assertThat(call("{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,\"2\"],\"id\":1}").get("result")
                .asInt()).as("digits in a string, as kamcmd's command line gives them").isEqualTo(3);
    }

    @Test
    void internalErrorHidesTheException() throws Exception {
        JsonNode r = call("{\"jsonrpc\":\"2.0\",\"method\":\"boom\",\"id\":1}");
        assertThat(code(r)).isEqualTo(-32603);
        assertThat(r.toString()).doesNotContain("secret").doesNotContain("Exception").doesNotContain("com.example");
    }

    @Test
    void notificationsGetNoAnswerAndBatchesAnswerEach() throws Exception {
        assertThat(call("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"x\"]}")).isNull();
        JsonNode r = call("[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"a\"],\"id\":1},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"b\"]},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":3}]");
        assertThat(r.isArray()).isTrue();
        assertThat(r).hasSize(2);
        assertThat(r.get(0).get("result").asText()).isEqualTo("a");
        assertThat(code(r.get(1))).isEqualTo(-32601);
    }

    private static int code(JsonNode r) {
        return r.get("error").get("code").asInt();
    }
}
