package io.siprelay.examples.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A JSON-RPC 2.0 client for the PBX's management endpoint: {@code POST <url>} with positional params (like
 * {@code kamcmd}) and {@code Authorization: Bearer <token>} when a token is given. Failures become
 * {@link CtlException}s: exit 2 when the PBX cannot be reached, 3 when it answers with an error.
 */
final class RpcClient {

    private static final AtomicLong IDS = new AtomicLong(1);

    private final String url;
    private final String token;
    private final Duration timeout;

    RpcClient(String url, String token, Duration timeout) {
        this.url = url;
        this.token = token == null || token.isBlank() ? null : token.trim();
        this.timeout = timeout;
    }

    private URI uri() {
        URI u;
        try {
            u = URI.create(url.trim());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw CtlException.usage("invalid --mgmt-url '" + url + "'");
        }
        if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
                || u.getHost() == null) {
            throw CtlException.usage("invalid --mgmt-url '" + url + "': expected http://HOST:PORT/rpc");
        }
        return u;
    }

    /** The request body {@link #call} sends. */
    static String requestBody(String method, List<?> params, long id) {
        ObjectNode req = Output.MAPPER.createObjectNode();
        req.put("jsonrpc", "2.0");
        req.put("method", method);
        ArrayNode p = req.putArray("params");
        params.forEach(p::addPOJO);
        req.put("id", id);
        try {
            return Output.MAPPER.writer().withoutFeatures(com.fasterxml.jackson.databind.SerializationFeature
                    .INDENT_OUTPUT).writeValueAsString(req);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Calls {@code method} and returns its {@code result} (a NullNode when there is none). */
    JsonNode call(String method, List<?> params) {
        URI uri = uri();
        long id = IDS.getAndIncrement();
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestBody(method, params, id), StandardCharsets.UTF_8));
        if (token != null) {
            rb.header("Authorization", "Bearer " + token);
        }
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .build();
        HttpResponse<String> resp;
        String where = "PBX not reachable at " + uri;
        try {
            resp = client.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpConnectTimeoutException e) {
            throw new CtlException(SiprelayCtl.EXIT_UNREACHABLE, where + ": no connection within "
                    + timeout.toSeconds() + " s", e);
        } catch (HttpTimeoutException e) {
            throw new CtlException(SiprelayCtl.EXIT_UNREACHABLE, where + ": no answer within "
                    + timeout.toSeconds() + " s", e);
        } catch (ConnectException e) {
            throw new CtlException(SiprelayCtl.EXIT_UNREACHABLE, where + ": connection refused (is the PBX "
                    + "running? see --mgmt-url)", e);
        } catch (IOException e) {
            String why = e.getCause() instanceof ConnectException ? "connection refused (is the PBX running? see "
                    + "--mgmt-url)" : CtlException.rootMessage(e);
            throw new CtlException(SiprelayCtl.EXIT_UNREACHABLE, where + ": " + why, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CtlException(SiprelayCtl.EXIT_UNREACHABLE, where + ": interrupted", e);
        }
        JsonNode body = null;
        try {
            body = Output.MAPPER.readTree(resp.body());
        } catch (IOException | RuntimeException e) {
            // not JSON: reported below with the HTTP status
        }
        int status = resp.statusCode();
        if (body != null && body.isObject() && body.hasNonNull("error")) {
            JsonNode err = body.get("error");
            String msg = err.path("message").asText("");
            JsonNode data = err.get("data");
            StringBuilder sb = new StringBuilder(method).append(" failed: ")
                    .append(msg.isEmpty() ? "no message" : msg);
            if (data != null && !data.isNull()) {
                sb.append(" (").append(data.isValueNode() ? data.asText() : data.toString()).append(")");
            }
            sb.append(" [JSON-RPC error ").append(err.path("code").asText("?")).append("]");
            throw new CtlException(SiprelayCtl.EXIT_RPC_ERROR, sb.toString());
        }
        if (status == 401 || status == 403) {
            throw new CtlException(SiprelayCtl.EXIT_RPC_ERROR, "the PBX refused the request: HTTP " + status
                    + (token == null ? " (give --mgmt-token or SIPRELAY_MGMT_TOKEN)" : " (wrong --mgmt-token?)"));
        }
        if (status / 100 != 2) {
            throw new CtlException(SiprelayCtl.EXIT_RPC_ERROR, method + " failed: HTTP " + status + " from " + uri);
        }
        if (body == null || !body.isObject() || !body.has("jsonrpc") && !body.has("result")) {
            throw new CtlException(SiprelayCtl.EXIT_RPC_ERROR, method + ": the answer from " + uri
                    + " is not a JSON-RPC response");
        }
        JsonNode result = body.get("result");
        return result == null ? NullNode.getInstance() : result;
    }

    /** " (n ...)" for a numeric result or an object with a count, else "". */
    static String summary(JsonNode r) {
        if (r == null || r.isNull() || r.isMissingNode()) {
            return "";
        }
        if (r.isNumber()) {
            return " (" + r.asText() + ")";
        }
        if (r.isTextual() && !r.asText().equalsIgnoreCase("ok")) {
            return ": " + r.asText();
        }
        if (r.isObject()) {
            StringBuilder sb = new StringBuilder();
            r.fields().forEachRemaining(e -> {
                if (e.getValue().isValueNode()) {
                    sb.append(sb.length() == 0 ? " (" : ", ").append(e.getKey()).append(": ")
                            .append(e.getValue().asText());
                }
            });
            return sb.length() == 0 ? "" : sb.append(")").toString();
        }
        return "";
    }
}
