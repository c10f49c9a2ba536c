package io.siprelay.examples.management;

/** A JSON-RPC error: thrown by a method, turned into {@code {"error": {"code": ..., "message": ...}}}. */
public final class RpcException extends Exception {

    private static final long serialVersionUID = 1L;

    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** Not authorised (a server-defined code of the -32000..-32099 range). */
    public static final int UNAUTHORIZED = -32001;
    /** Kamailio's RPC codes for "not found" and "operation failed", used by ul.* and dispatcher.* the same way. */
    public static final int NOT_FOUND = 404;
    public static final int FAILED = 500;

    private final int code;

    public RpcException(int code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static RpcException invalidParams(String message) {
        return new RpcException(INVALID_PARAMS, "Invalid params: " + message);
    }
}
