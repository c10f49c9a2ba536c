package io.siprelay.examples.management;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management endpoint: JSON-RPC 2.0 at {@code POST /rpc} and a Prometheus scrape at {@code GET /metrics}, on the
 * JDK's HTTP server. When a token is configured every request needs {@code Authorization: Bearer <token>} (the PBX
 * refuses to start management on a non-loopback address without one).
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);
    private static final int MAX_BODY = 1 << 20;

    private final HttpServer server;
    private final ExecutorService executor;
    private final JsonRpc rpc;
    private final byte[] token;
    private final Supplier<String> metrics;

    private ManagementServer(HttpServer server, JsonRpc rpc, String token, Supplier<String> metrics) {
        this.server = server;
        this.rpc = rpc;
        this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
        this.metrics = metrics;
        AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "siprelay-mgmt-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/rpc", this::rpc);
        server.createContext("/metrics", this::metrics);
        server.start();
    }

    /** Serves the PBX's RPC methods and metrics on {@code address}. */
    public static ManagementServer start(ManagedPbx pbx, InetSocketAddress address, String token) {
        PbxMetrics m = PbxMetrics.bind(pbx);
        return start(PbxRpc.create(pbx, new ObjectMapper()), address, token, m::scrape);
    }

    /** Serves {@code rpc} (and {@code metrics}, when not null) on {@code address}. */
    public static ManagementServer start(JsonRpc rpc, InetSocketAddress address, String token,
                                         Supplier<String> metrics) {
        try {
            HttpServer s = HttpServer.create(address, 16);
            return new ManagementServer(s, rpc, token, metrics);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start management on " + address + ": " + e.getMessage(), e);
        }
    }

    /** The bound address (the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------------------------------ handlers

    private void rpc(HttpExchange ex) throws IOException {
        try (ex) {
            if (!authorized(ex)) {
                send(ex, 401, "application/json", rpc.write(rpc.error(null, RpcException.UNAUTHORIZED,
                        "Unauthorized: send Authorization: Bearer <token>")));
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().add("Allow", "POST");
                send(ex, 405, "application/json", rpc.write(rpc.error(null, RpcException.INVALID_REQUEST,
                        "Invalid Request: use POST")));
                return;
            }
            byte[] body = readBody(ex);
            if (body == null) {
                send(ex, 413, "application/json", rpc.write(rpc.error(null, RpcException.INVALID_REQUEST,
                        "Invalid Request: body larger than " + MAX_BODY + " bytes")));
                return;
            }
            String answer = rpc.handle(body);
            if (answer == null) {
                ex.sendResponseHeaders(204, -1);
                return;
            }
            send(ex, 200, "application/json", answer);
        } catch (RuntimeException e) {
            LOG.warn("management request failed", e);
        }
    }

    private void metrics(HttpExchange ex) throws IOException {
        try (ex) {
            if (!authorized(ex)) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer");
                send(ex, 401, "text/plain; charset=utf-8", "unauthorized\n");
                return;
            }
            if (!"GET".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().add("Allow", "GET");
                send(ex, 405, "text/plain; charset=utf-8", "use GET\n");
                return;
            }
            if (metrics == null) {
                send(ex, 404, "text/plain; charset=utf-8", "no metrics\n");
                return;
            }
            send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
        } catch (RuntimeException e) {
            LOG.warn("metrics request failed", e);
        }
    }

    private boolean authorized(HttpExchange ex) {
        if (token == null) {
            return true;
        }
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, token);
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            return b.length > MAX_BODY ? null : b;
        }
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }
}
