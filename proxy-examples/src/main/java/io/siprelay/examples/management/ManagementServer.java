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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The management endpoint: JSON-RPC 2.0 at {@code POST /rpc} and a Prometheus scrape at {@code GET /metrics}, on the
 * JDK's HTTP server. When a token is configured these requests need {@code Authorization: Bearer <token>} (the PBX
 * refuses to start management on a non-loopback address without one).
 *
 * <p>It also serves the browser softphone, {@code GET /softphone/}: the classpath files under {@code softphone/}
 * (the page, its script, and the JsSIP bundle the build makes with npm), with no token, since they hold no secret
 * and a browser opening the page sends none. Only those exact paths are answered, anything else under
 * {@code /softphone} is 404, so no path can reach another resource or list a directory.
 */
public final class ManagementServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ManagementServer.class);
    private static final int MAX_BODY = 1 << 20;
    /** The softphone's request paths (raw, not decoded) and the classpath file under {@code softphone/} of each. */
    private static final Map<String, String> SOFTPHONE_FILES = Map.of(
            "/softphone/", "index.html",
            "/softphone/index.html", "index.html",
            "/softphone/softphone.js", "softphone.js",
            "/softphone/jssip.min.js", "jssip.min.js");

    private final HttpServer server;
    private final ExecutorService executor;
    private final JsonRpc rpc;
    private final byte[] token;
    private final Supplier<String> metrics;
    private final Map<String, byte[]> staticFiles = new ConcurrentHashMap<>();

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
        server.createContext("/softphone", this::softphone);
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

    /** The softphone's static files: no token, {@code Cache-Control: no-cache} so a rebuilt jar is seen at once. */
    private void softphone(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            if ("/softphone".equals(path)) {
                // relative links (softphone.js, jssip.min.js) need the directory form; the query (the form's prefill)
                // goes along
                String q = ex.getRequestURI().getRawQuery();
                ex.getResponseHeaders().set("Location", "/softphone/" + (q == null ? "" : "?" + q));
                ex.sendResponseHeaders(301, -1);
                return;
            }
            String file = SOFTPHONE_FILES.get(path);
            byte[] body = file == null ? null : staticFile(file);
            if (body == null) {
                send(ex, 404, "text/plain; charset=utf-8", "not found\n");
                return;
            }
            String method = ex.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                ex.getResponseHeaders().add("Allow", "GET, HEAD");
                send(ex, 405, "text/plain; charset=utf-8", "use GET\n");
                return;
            }
            ex.getResponseHeaders().set("Content-Type", file.endsWith(".html")
                    ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            if ("HEAD".equals(method)) {
                ex.sendResponseHeaders(200, -1);
                return;
            }
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        } catch (RuntimeException e) {
            LOG.warn("softphone request failed", e);
        }
    }

    /** A file of {@code softphone/} on the classpath, read once; null when absent (jssip.min.js built without npm). */
    private byte[] staticFile(String name) throws IOException {
        byte[] cached = staticFiles.get(name);
        if (cached != null) {
            return cached;
        }
        try (InputStream in = ManagementServer.class.getResourceAsStream("/softphone/" + name)) {
            if (in == null) {
                return null;
            }
            byte[] b = in.readAllBytes();
            staticFiles.put(name, b);
            return b;
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
