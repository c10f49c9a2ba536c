package io.siprelay.examples.management;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * Positional parameters, as kamcmd sends them ({@code "params": ["ip", 1, "sip:gw1.example.com"]}). Every accessor
 * checks position and type and throws {@link RpcException#INVALID_PARAMS} naming the parameter.
 */
public final class RpcParams {

    private final ArrayNode params;

    RpcParams(ArrayNode params) {
        this.params = params != null ? params : JsonNodeFactory.instance.arrayNode();
    }

    public int size() {
        return params.size();
    }

    /** Requires between {@code min} and {@code max} parameters. */
    public RpcParams expect(int min, int max, String usage) throws RpcException {
        if (params.size() < min || params.size() > max) {
            throw RpcException.invalidParams("expected " + usage + ", got " + params.size() + " parameter(s)");
        }
        return this;
    }

    /** A string parameter. */
    public String string(int i, String name) throws RpcException {
        JsonNode n = params.get(i);
        if (n == null || !n.isTextual()) {
            throw RpcException.invalidParams(name + " (parameter " + (i + 1) + ") must be a string");
        }
        return n.textValue();
    }

    /** A string parameter, or null when absent. */
    public String optionalString(int i, String name) throws RpcException {
        return i < params.size() ? string(i, name) : null;
    }

    /** An integer parameter (a JSON number, or a string of digits as kamcmd's command line gives it). */
    public int integer(int i, String name) throws RpcException {
        JsonNode n = params.get(i);
        if (n != null && n.canConvertToInt() && n.isIntegralNumber()) {
            return n.intValue();
        }
        if (n != null && n.isTextual() && n.textValue().matches("-?\\d{1,9}")) {
            return Integer.parseInt(n.textValue());
        }
        throw RpcException.invalidParams(name + " (parameter " + (i + 1) + ") must be an integer");
    }
}
