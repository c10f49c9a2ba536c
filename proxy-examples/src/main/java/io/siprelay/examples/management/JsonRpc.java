package io.siprelay.examples.management;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A JSON-RPC 2.0 dispatcher (transport-free: bytes in, JSON out), with positional parameters as Kamailio's jsonrpcs
 * takes them. Batches are supported; notifications (no {@code id}) run and get no answer. Errors follow the spec
 * (-32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid params, -32603 internal
 * error); an exception inside a method is logged and answered -32603 without its stack trace.
 */
public final class JsonRpc {

    private static final Logger LOG = LoggerFactory.getLogger(JsonRpc.class);

    private final ObjectMapper mapper;
    private final Map<String, RpcMethod> methods = new TreeMap<>();

    public JsonRpc(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    public JsonRpc register(String name, RpcMethod method) {
        methods.put(name, Objects.requireNonNull(method, "method"));
        return this;
    }

    /** The registered method names, sorted. */
    public java.util.Set<String> methodNames() {
        return java.util.Collections.unmodifiableSet(methods.keySet());
    }

    /** Handles one HTTP body; returns the JSON answer, or null when there is nothing to answer (notifications). */
    public String handle(byte[] body) {
        JsonNode root;
        try {
            root = mapper.readTree(body);
        } catch (IOException e) {
            return write(error(null, RpcException.PARSE_ERROR, "Parse error"));
        }
        if (root == null || root.isMissingNode()) {
            return write(error(null, RpcException.PARSE_ERROR, "Parse error: empty body"));
        }
        if (root.isArray()) {
            if (root.isEmpty()) {
                return write(error(null, RpcException.INVALID_REQUEST, "Invalid Request: empty batch"));
            }
            ArrayNode out = mapper.createArrayNode();
            for (JsonNode r : root) {
                ObjectNode a = handleOne(r);
                if (a != null) {
                    out.add(a);
                }
            }
            return out.isEmpty() ? null : write(out);
        }
        ObjectNode a = handleOne(root);
        return a == null ? null : write(a);
    }

    private ObjectNode handleOne(JsonNode r) {
        if (!r.isObject()) {
            return error(null, RpcException.INVALID_REQUEST, "Invalid Request: not an object");
        }
        JsonNode id = r.get("id");
        if (id != null && !(id.isTextual() || id.isNumber() || id.isNull())) {
            return error(null, RpcException.INVALID_REQUEST, "Invalid Request: id must be a string, number or null");
        }
        JsonNode version = r.get("jsonrpc");
        JsonNode method = r.get("method");
        if (version == null || !"2.0".equals(version.asText()) || !version.isTextual()) {
            return error(id, RpcException.INVALID_REQUEST, "Invalid Request: \"jsonrpc\" must be \"2.0\"");
        }
        if (method == null || !method.isTextual()) {
            return error(id, RpcException.INVALID_REQUEST, "Invalid Request: \"method\" must be a string");
        }
        JsonNode params = r.get("params");
        if (params != null && !params.isNull() && !params.isArray()) {
            return error(id, RpcException.INVALID_PARAMS,
                    "Invalid params: positional parameters (an array) are expected, as kamcmd sends them");
        }
        boolean notification = id == null;
        RpcMethod m = methods.get(method.textValue());
        if (m == null) {
            return notification ? null : error(id, RpcException.METHOD_NOT_FOUND,
                    "Method not found: " + method.textValue());
        }
        Object result;
        try {
            result = m.call(new RpcParams(params != null && params.isArray() ? (ArrayNode) params : null));
        } catch (RpcException e) {
            return notification ? null : error(id, e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("RPC {} failed", method.textValue(), e);
            return notification ? null : error(id, RpcException.INTERNAL_ERROR, "Internal error");
        }
        if (notification) {
            return null;
        }
        ObjectNode ok = mapper.createObjectNode();
        ok.put("jsonrpc", "2.0");
        try {
            ok.set("result", mapper.valueToTree(result));
        } catch (IllegalArgumentException e) {
            LOG.warn("RPC {}: result not serialisable", method.textValue(), e);
            return error(id, RpcException.INTERNAL_ERROR, "Internal error");
        }
        ok.set("id", id);
        return ok;
    }

    /** An error object. */
    public ObjectNode error(JsonNode id, int code, String message) {
        ObjectNode e = mapper.createObjectNode();
        e.put("jsonrpc", "2.0");
        ObjectNode err = e.putObject("error");
        err.put("code", code);
        err.put("message", message);
        e.set("id", id);
        return e;
    }

    /** Serialises a node (never fails for trees built here). */
    public String write(JsonNode n) {
        try {
            return mapper.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
