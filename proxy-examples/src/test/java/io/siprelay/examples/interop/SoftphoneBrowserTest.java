package io.siprelay.examples.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.testkit.Sipp;
import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Issue #14 in a real browser: Debian's Chromium (headless, fake microphone) opens the softphone page the PBX's
 * management server serves, registers as 1003 over WebSocket with JsSIP, and calls baresip (1001, UDP, auto-answer,
 * a tone from a file) through the PBX process and a real rtpengine, which turns the browser's ICE and DTLS-SRTP into
 * the phone's plain RTP. Checks: the page reaches "in call", baresip has the call, RTP flows through rtpengine on
 * both legs and arrives in the browser (getStats), the hang-up's BYE reaches baresip through the PBX, and rtpengine
 * forgets the call. Then the other way: baresip dials 1003, the page answers, media again, baresip hangs up.
 * Writes {@code target/softphone-in-call.png} and prints the page's timeline.
 *
 * <p>Chromium runs with loopback candidates allowed and mDNS host names off, so it offers plain addresses
 * rtpengine (on 127.0.0.1) can check; it may still pick a pair from another local interface to 127.0.0.1, which
 * the kernel delivers locally as well.
 *
 * <p>Driven by Selenium through {@code /usr/bin/chromedriver}, set explicitly, so Selenium Manager downloads
 * nothing. Skipped when Chromium, ChromeDriver, baresip or rtpengine is missing; only with the interop tests. Logs:
 * {@code target/softphone-runs/<run>/} (baresip, chromedriver, rtpengine) and {@code target/pbx-runs/} (the PBX).
 */
@Tag("interop")
@Timeout(240)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SoftphoneBrowserTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String HOST = "127.0.0.1";
    /** Held so the setting stays: Selenium's "no CDP implementation matching 156" warning (CDP is not used here). */
    private static final java.util.logging.Logger CDP_LOG =
            java.util.logging.Logger.getLogger("org.openqa.selenium.devtools.CdpVersionFinder");

    private static Path run;
    private static RtpEngineDaemon rtpengine;
    private static PbxProcess pbx;
    private static int sipPort;
    private static int wsPort;
    private static int mgmtPort;
    private static ClientProcess baresip;
    private static ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM), "no " + CHROMIUM + " (Debian package chromium)");
        Assumptions.assumeTrue(Files.isExecutable(CHROMEDRIVER), "no " + CHROMEDRIVER + " (chromium-driver)");
        Assumptions.assumeTrue(onPath("baresip"), "no baresip (Debian package baresip-core)");
        Assumptions.assumeTrue(RtpEngineDaemon.installed(), "no /usr/bin/rtpengine (rtpengine-daemon)");
        Assumptions.assumeTrue(SoftphoneBrowserTest.class.getResource("/softphone/jssip.min.js") != null,
                "no softphone/jssip.min.js on the class path: build with npm installed");
        run = Files.createDirectories(Path.of("target", "softphone-runs",
                LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toAbsolutePath());
        rtpengine = RtpEngineDaemon.start(run);
        sipPort = Sipp.freeLocalPort();
        wsPort = Sipp.freeLocalPort();
        mgmtPort = Sipp.freeLocalPort();
        pbx = PbxProcess.create("softphone", run.resolve("data"), sipPort, mgmtPort, "-l", "ws:" + HOST + ":" + wsPort,
                "--rtpengine", rtpengine.ngSpec()).start(Duration.ofSeconds(60));
        pbx.ctl("user", "add", "1001@" + HOST, "secret1001").require();
        pbx.ctl("user", "add", "1003@" + HOST, "secret1003").require();
        baresip = startBaresip();
        baresip.await("{0/UDP/v4} 200 OK", WAIT);
        browser = startChromium();
        browser.get("http://" + HOST + ":" + mgmtPort + "/softphone/?ws=ws://" + HOST + ":" + wsPort
                + "&user=1003&password=secret1003&domain=" + HOST + "&number=1001&autoregister=1");
        await("the page registers", () -> state().equals("registered"));
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.quit();
            }
        } finally {
            try {
                if (baresip != null) {
                    baresip.stop("/quit");
                }
            } finally {
                try {
                    if (pbx != null) {
                        pbx.close();
                    }
                } finally {
                    if (rtpengine != null) {
                        rtpengine.close();
                    }
                }
            }
        }
    }

    @Test
    @Order(1)
    void browserCallsADeskPhoneThroughThePbxAndRtpengine() throws Exception {
        int mark = baresip.mark();
        browser.findElement(By.id("call")).click();
        await("the page is in call (ACK sent)", () -> state().equals("in call"));
        baresip.await("Call established: sip:1003@" + HOST, mark, WAIT);
        String callId = theOnlyCall();

        Thread.sleep(3000); // media runs
        Path shot = Path.of("target", "softphone-in-call.png").toAbsolutePath();
        Files.copy(browser.getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("[softphone] screenshot in call: " + shot);
        requireMediaBothWays(callId);

        mark = baresip.mark();
        browser.findElement(By.id("hangup")).click();
        baresip.await("terminated (duration", mark, WAIT);
        String trace = baresip.output().substring(mark);
        int bye = trace.indexOf("\nBYE sip:");
        assertThat(bye).as(() -> "baresip got a BYE " + diagnostics()).isPositive();
        String byeText = trace.substring(bye, Math.min(trace.length(), bye + 1000));
        System.out.println("[softphone] the BYE at baresip:\n  " + String.join("\n  ",
                byeText.lines().filter(l -> !l.isBlank()).limit(2).toList()));
        assertThat(byeText).as("the BYE came from the browser over WebSocket, through the PBX")
                .contains("Via: SIP/2.0/UDP " + HOST + ":" + sipPort).containsPattern("Via: SIP/2.0/WSS? ");
        awaitGone(callId);
        await("the page is registered again", () -> state().startsWith("registered"));
        String timeline = pageLog();
        System.out.println("[softphone] page timeline (browser calls 1001):\n" + timeline.stripTrailing());
        assertThat(timeline).contains("REGISTER 200").contains("INVITE to sip:1001@" + HOST)
                .contains("200: call answered").contains("ACK: call established").contains("BYE sent");
    }

    @Test
    @Order(2)
    void deskPhoneCallsTheBrowser() throws Exception {
        int from = pageLog().length();
        int mark = baresip.mark();
        baresip.send("/dial sip:1003@" + HOST);
        await("the page rings", () -> state().startsWith("incoming call from 1001"));
        browser.findElement(By.id("answer")).click();
        await("the page is in call (ACK received)", () -> state().equals("in call"));
        baresip.await("Call established: sip:1003@" + HOST, mark, WAIT);
        String callId = theOnlyCall();

        Thread.sleep(2000);
        requireMediaBothWays(callId);

        baresip.send("/hangup");
        await("the page got the BYE", () -> pageLog().contains("BYE received"));
        awaitGone(callId);
        await("the page is registered again", () -> state().startsWith("registered"));
        String timeline = pageLog().substring(from);
        System.out.println("[softphone] page timeline (1001 calls the browser):\n" + timeline.stripTrailing());
        assertThat(timeline).contains("INVITE from sip:1001@" + HOST).contains("answering")
                .contains("ACK: call established").contains("BYE received");
    }

    /** The Call-ID of rtpengine's one session. */
    private static String theOnlyCall() throws Exception {
        List<Object> calls = rtpengine.calls();
        assertThat(calls).as(() -> "rtpengine sessions " + diagnostics()).hasSize(1);
        return calls.get(0).toString();
    }

    /** rtpengine counts RTP from both legs, the browser sent RTP and received baresip's (through rtpengine). */
    private static void requireMediaBothWays(String callId) throws Exception {
        Map<?, ?> stats = pageStats();
        Map<String, Long> perLeg = packetsPerLeg(rtpengine.query(callId));
        System.out.println("[softphone] browser getStats: " + stats);
        System.out.println("[softphone] rtpengine query " + callId + ": RTP packets received per leg (tag) " + perLeg);
        assertThat(perLeg).as(() -> "rtpengine legs " + diagnostics()).hasSize(2);
        assertThat(perLeg.values()).as(() -> "RTP on both legs of rtpengine " + diagnostics()).allMatch(n -> n > 0);
        assertThat(((Number) stats.get("packetsSent")).longValue())
                .as(() -> "RTP sent by the browser " + diagnostics()).isPositive();
        assertThat(((Number) stats.get("packetsReceived")).longValue())
                .as(() -> "RTP from baresip received by the browser " + diagnostics()).isPositive();
    }

    /** rtpengine's {@code list} no longer has the call (the PBX deleted it on the BYE). */
    private static void awaitGone(String callId) throws InterruptedException {
        await("rtpengine no longer lists " + callId, () -> {
            try {
                return !rtpengine.calls().contains(callId);
            } catch (Exception e) {
                return false;
            }
        });
    }

    // ------------------------------------------------------------------------------------------ browser

    private static ChromeDriver startChromium() throws IOException {
        CDP_LOG.setLevel(Level.SEVERE);
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                "--allow-loopback-in-peer-connection", "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--autoplay-policy=no-user-gesture-required", "--no-first-run", "--window-size=900,1000",
                "--user-data-dir=" + run.resolve("chromium-profile"));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .withLogFile(run.resolve("chromedriver.log").toFile()).usingAnyFreePort().build();
        ChromeDriver d = new ChromeDriver(service, o);
        d.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
        return d;
    }

    private static String state() {
        return String.valueOf(((JavascriptExecutor) browser).executeScript("return window.softphone.state()"));
    }

    private static String pageLog() {
        return String.valueOf(((JavascriptExecutor) browser).executeScript("return window.softphone.log()"));
    }

    private static Map<?, ?> pageStats() {
        Object r = ((JavascriptExecutor) browser).executeAsyncScript(
                "window.softphone.stats().then(arguments[arguments.length - 1])");
        assertThat(r).as(() -> "softphone.stats() " + diagnostics()).isInstanceOf(Map.class);
        return (Map<?, ?>) r;
    }

    /** Polls {@code condition} for up to {@link #WAIT}; fails with the page's log and the other logs. */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("not within " + WAIT.toSeconds() + " s: " + what + diagnostics());
    }

    /** The page's state and timeline, the browser console, the ends of the PBX and baresip logs, where all logs are. */
    private static String diagnostics() {
        StringBuilder b = new StringBuilder("\n--- page state: ");
        try {
            b.append(state()).append("\n--- page log:\n").append(pageLog());
            Object sdp = ((JavascriptExecutor) browser).executeScript("return window.softphone.sdp()");
            if (sdp instanceof Map<?, ?> m) {
                b.append("--- browser's peer connection: ICE ").append(m.get("ice")).append(", connection ")
                        .append(m.get("connection")).append("\n--- its local SDP:\n").append(m.get("local"))
                        .append("--- its remote SDP (rtpengine's):\n").append(m.get("remote"));
            }
            b.append("--- browser console:\n");
            for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
                b.append(e.getLevel()).append(' ').append(e.getMessage()).append('\n');
            }
        } catch (RuntimeException e) {
            b.append("(browser gone: ").append(e.getMessage()).append(")\n");
        }
        try {
            b.append("--- PBX log (end, all of it in ").append(pbx.log()).append("):\n").append(tail(pbx.output()));
            b.append("--- baresip log (end, all of it in ").append(baresip.log()).append("):\n")
                    .append(tail(baresip.output()));
        } catch (IOException e) {
            b.append("(logs unreadable: ").append(e.getMessage()).append(")\n");
        }
        return b.append("--- rtpengine log: ").append(rtpengine.log()).append(", chromedriver log: ")
                .append(run.resolve("chromedriver.log")).toString();
    }

    /** The RTP packets rtpengine received from each leg (by tag), from a {@code query} answer. */
    @SuppressWarnings("unchecked")
    private static Map<String, Long> packetsPerLeg(Map<String, Object> query) {
        Map<String, Long> out = new java.util.LinkedHashMap<>();
        ((Map<String, Object>) query.getOrDefault("tags", Map.of())).forEach((tag, leg) -> {
            long packets = 0;
            for (Object m : (List<Object>) ((Map<String, Object>) leg).getOrDefault("medias", List.of())) {
                for (Object s : (List<Object>) ((Map<String, Object>) m).getOrDefault("streams", List.of())) {
                    Map<String, Object> stream = (Map<String, Object>) s;
                    if (((List<Object>) stream.getOrDefault("flags", List.of())).contains("RTP")) {
                        Map<String, Object> stats = (Map<String, Object>) stream.getOrDefault("stats", Map.of());
                        packets += ((Number) stats.getOrDefault("packets", 0L)).longValue();
                    }
                }
            }
            out.put(tag, packets);
        });
        return out;
    }

    private static String tail(String text) {
        return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
    }

    // ------------------------------------------------------------------------------------------ baresip

    /**
     * baresip 1.0 as desk phone 1001: UDP on a free port, registered through the PBX, answering every call at once
     * ({@code answermode=auto}), sending a tone from a file (aufile) and playing to ALSA's null device; G.711 only,
     * which the browser offers too. {@code -s} puts its SIP trace into the log.
     */
    private static ClientProcess startBaresip() throws IOException {
        Path dir = Files.createDirectories(run.resolve("baresip-1001"));
        Path tone = writeTone(run.resolve("tone-8k.wav"));
        int port = freePortPair();
        int rtp = 30_000 + (port % 100) * 50;
        Files.writeString(dir.resolve("config"), String.join("\n",
                "poll_method epoll",
                "sip_listen " + HOST + ":" + port,
                "audio_player alsa,null",
                "audio_alert alsa,null",
                "audio_source aufile," + tone,
                "rtp_ports " + rtp + "-" + (rtp + 49),
                "module_path /usr/lib/baresip/modules",
                "module stdio.so",
                "module g711.so",
                "module aufile.so",
                "module alsa.so",
                "module account.so",
                "module_app menu.so",
                ""));
        Files.writeString(dir.resolve("accounts"), "<sip:1001@" + HOST + ">;auth_pass=secret1001;outbound=\"sip:"
                + HOST + ":" + sipPort + "\";regint=600;answermode=auto\n");
        return ClientProcess.start("baresip-1001", List.of("baresip", "-f", dir.toString(), "-s"), run, Map.of());
    }

    /** 60 s of a 440 Hz sine, 8 kHz 16-bit mono WAV: baresip's microphone. */
    private static Path writeTone(Path file) throws IOException {
        int rate = 8000;
        int n = rate * 60;
        ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + 2 * n)
                .put("WAVE".getBytes(StandardCharsets.US_ASCII));
        b.put("fmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(rate).putInt(2 * rate).putShort((short) 2).putShort((short) 16);
        b.put("data".getBytes(StandardCharsets.US_ASCII)).putInt(2 * n);
        for (int i = 0; i < n; i++) {
            b.putShort((short) Math.round(6000 * Math.sin(2 * Math.PI * 440 * i / rate)));
        }
        return Files.write(file, b.array());
    }

    /** A port free for UDP and TCP together with the next one (baresip binds port + 1 for TLS). */
    private static int freePortPair() throws IOException {
        for (int i = 0; i < 50; i++) {
            int p = Sipp.freeLocalPort();
            if (p < 65535 && free(p + 1)) {
                return p;
            }
        }
        throw new IOException("no two free ports in a row");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket();
             DatagramSocket d = new DatagramSocket(new InetSocketAddress(HOST, port))) {
            s.bind(new InetSocketAddress(HOST, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
