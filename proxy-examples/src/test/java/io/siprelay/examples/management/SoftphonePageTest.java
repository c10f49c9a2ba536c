package io.siprelay.examples.management;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The softphone's static files on the management server: the page, its script and the JsSIP bundle with their
 * content types and {@code Cache-Control: no-cache}, without the bearer token that still guards {@code /rpc};
 * 404 for every other path under {@code /softphone}, traversal attempts sent byte for byte (raw socket, so no client
 * normalises them) included.
 */
class SoftphonePageTest {

    static final String TOKEN = "s3cret";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static ManagementServer server;
    static URI base;

    @BeforeAll
    static void start() {
        JsonRpc rpc = new JsonRpc(new ObjectMapper()).register("core.version", p -> "SipRelay test");
        server = ManagementServer.start(rpc, new InetSocketAddress("127.0.0.1", 0), TOKEN, () -> "up 1\n");
        base = URI.create("http://127.0.0.1:" + server.address().getPort());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code requestLine} exactly as given; returns the status line and headers of the answer. */
    static String raw(String requestLine) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.address().getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write((requestLine + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int end = answer.indexOf("\r\n\r\n");
            return end < 0 ? answer : answer.substring(0, end);
        }
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = SoftphonePageTest.class.getResourceAsStream("/softphone/" + name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void servesThePageWithoutToken() throws Exception {
        for (String path : new String[] {"/softphone/", "/softphone/index.html", "/softphone/?ws=ws://x&user=1003"}) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).as(path).hasValue("text/html; charset=utf-8");
            assertThat(r.headers().firstValue("Cache-Control")).as(path).hasValue("no-cache");
            assertThat(r.body()).as(path).isEqualTo(resource("index.html"))
                    .contains("<script src=\"jssip.min.js\"></script>").contains("<script src=\"softphone.js\">");
        }
    }

    @Test
    void servesTheScriptsAsJavaScript() throws Exception {
        HttpResponse<String> js = get("/softphone/softphone.js");
        assertThat(js.statusCode()).isEqualTo(200);
        assertThat(js.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(js.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(js.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
        // not filtered by Maven: the template literals are still there
        assertThat(js.body()).isEqualTo(resource("softphone.js")).contains("${domain}").contains("window.softphone");

        HttpResponse<String> jssip = get("/softphone/jssip.min.js");
        String bundle = resource("jssip.min.js");
        if (bundle == null) { // built without npm: the page says "JsSIP is missing"
            assertThat(jssip.statusCode()).isEqualTo(404);
        } else {
            assertThat(jssip.statusCode()).isEqualTo(200);
            assertThat(jssip.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
            assertThat(jssip.body()).isEqualTo(bundle).contains("JsSIP");
        }
    }

    @Test
    void headAndOtherMethods() throws Exception {
        assertThat(raw("HEAD /softphone/softphone.js HTTP/1.1")).startsWith("HTTP/1.1 200")
                .containsIgnoringCase("Content-Type: text/javascript; charset=utf-8");
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(base.resolve("/softphone/"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    @Test
    void withoutTrailingSlashRedirectsKeepingTheQuery() throws Exception {
        HttpResponse<String> r = get("/softphone?user=1003&autoregister=1");
        assertThat(r.statusCode()).isEqualTo(301);
        assertThat(r.headers().firstValue("Location")).hasValue("/softphone/?user=1003&autoregister=1");
    }

    @Test
    void nothingElseIsServed() throws Exception {
        for (String path : new String[] {
                "/softphone/../rpc", "/softphone/%2e%2e/x", "/softphone/%2E%2E/%2E%2E/etc/passwd",
                "/softphone/..%2frpc", "/softphone/..\\rpc", "/softphone/./index.html", "/softphone//index.html",
                "/softphone/index.html/", "/softphone/%69ndex.html", "/softphone/package.json",
                "/softphone/softphone.js.map", "/softphone/io/siprelay/examples/pbx/version.properties",
                "/softphone/../io/siprelay/examples/pbx/version.properties", "/softphonex", "/softphone/dist/",
                "/softphone/index.html?../../rpc"}) {
            String head = raw("GET " + path + " HTTP/1.1");
            if (path.endsWith("?../../rpc")) { // the query is not part of the path: still the page
                assertThat(head).as(path).startsWith("HTTP/1.1 200");
                continue;
            }
            // 404, or 400 where the JDK server refuses the request target itself (a backslash is no URI character)
            assertThat(head).as(path).matches("(?s)HTTP/1.1 (404|400) .*").doesNotContainIgnoringCase("Location:");
        }
    }

    @Test
    void theRpcStillNeedsTheToken() throws Exception {
        String body = "{\"jsonrpc\":\"2.0\",\"method\":\"core.version\",\"id\":1}";
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/rpc"))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        assertThat(HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
        HttpResponse<String> ok = HTTP.send(b.header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("SipRelay test");
        assertThat(raw("GET /softphone/../metrics HTTP/1.1")).startsWith("HTTP/1.1 404");
        assertThat(raw("GET /metrics HTTP/1.1")).startsWith("HTTP/1.1 401");
    }
}
