package io.siprelay.examples.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.testkit.Sipp;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue #12: the example PBX as a newcomer runs it, against the clients people use, each with its default settings.
 *
 * <p>The PBX is README's first command, {@code java -jar proxy-examples/target/siprelay-example.jar}, with no flag at
 * all, in a fresh working directory (so {@code ./data} is new), and users are added with README's
 * {@code siprelayctl user add 1001@127.0.0.1 secret1001}. Then, as child processes: <b>baresip</b> 1.0 (two phones,
 * driven on stdin), <b>linphonec</b> 5.1 (auto-answer), <b>sipsak</b>, <b>SIPp</b> (a phone behind NAT) and
 * <b>SIPVicious</b> ({@code svwar}, {@code svmap}). Every check prints PASS or FAIL with the reason; every client's log
 * and SIP trace stays in {@code target/real-clients/<run>/}.
 *
 * <p>Failsafe forks this JVM into a network namespace whose only interface is loopback
 * ({@code src/test/loopback-jvm/bin/java}): the PBX gets README's default ports 5060 and 8088, and the clients,
 * which put "their" address into SDP, can only find 127.0.0.x. Without that namespace (not root) the PBX gets free
 * ports instead and the test says so. Runs in the {@code interop} profiles, which {@code .ci/run} turns on after
 * installing the Debian packages.
 */
@Timeout(600)
class RealClientsIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String HOST = "127.0.0.1";

    private final boolean isolated = System.getenv("SIPRELAY_LOOPBACK_NETNS") != null;
    private final Path target = Path.of(System.getProperty("siprelay.target", "target")).toAbsolutePath();
    private Path run;
    private int sipPort;
    private int mgmtPort;
    private final List<ClientProcess> started = new ArrayList<>();

    @Test
    void examplePbxWithRealClientsAndDefaultSettings() throws Exception {
        requireTools("sipp", "baresip", "linphonec", "sipsak", "svwar", "svmap", "python3");
        run = Files.createDirectories(target.resolve("real-clients")
                .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        Path tone = writeTone(run.resolve("tone-8k.wav"));
        Checks checks = new Checks("real clients");
        System.out.println("[real clients] logs and SIP traces in " + run + (isolated
                ? "; loopback-only network namespace, README's default ports"
                : "; NOT isolated (needs root for unshare): free ports, clients may put a non-loopback address in SDP"));

        ClientProcess pbx = startPbx();
        try {
            checks.check("PBX starts with README's command (java -jar siprelay-example.jar"
                    + (isolated ? ", no flags" : ", free ports") + ")", () -> {
                pbx.await(PbxProcess.READY, Duration.ofSeconds(60));
                for (String u : List.of("1001", "1002", "1003", "1004")) {
                    ctl("user", "add", u + "@" + HOST, "secret" + u);
                }
            });

            // ---------------------------------------------------------------------------- sipsak
            checks.check("sipsak OPTIONS keep-alive check (sipsak -s sip:127.0.0.1:" + sipPort + "): 200", () -> {
                ClientProcess.Result r = tool("sipsak-options", "sipsak", "-vv", "-s", "sip:" + HOST + ":" + sipPort);
                assertThat(r.exitCode()).as(r.output()).isZero();
                assertThat(r.output()).contains("SIP/2.0 200");
            });
            checks.check("sipsak REGISTER with digest auth (-U -u 1001 -a secret1001): 401, then 200", () -> {
                ClientProcess.Result r = tool("sipsak-register", "sipsak", "-vvv", "-U", "-s",
                        "sip:1001@" + HOST + ":" + sipPort, "-u", "1001", "-a", "secret1001");
                assertThat(r.exitCode()).as("exit code; see " + r.log()).isZero();
                assertThat(r.output()).contains("SIP/2.0 401 Unauthorized").contains("SIP/2.0 200 OK");
            });
            checks.check("sipsak REGISTER with a wrong password: refused (exit code 2, 401 again)", () -> {
                ClientProcess.Result r = tool("sipsak-wrong-password", "sipsak", "-vv", "-U", "-s",
                        "sip:1001@" + HOST + ":" + sipPort, "-u", "1001", "-a", "not-the-password");
                assertThat(r.exitCode()).as("see " + r.log()).isEqualTo(2);
                assertThat(r.output()).contains("authorization failed");
            });

            // ---------------------------------------------------------------------------- baresip
            ClientProcess b1001 = baresip("1001", "secret1001", tone);
            ClientProcess b1002 = baresip("1002", "secret1002", tone);
            checks.check("baresip 1001 and 1002 register with digest auth (401, then 200) and show in ul dump", () -> {
                for (ClientProcess b : List.of(b1001, b1002)) {
                    b.await("SIP/2.0 401 Unauthorized", WAIT);
                    b.await("{0/UDP/v4} 200 OK", WAIT);
                }
                String ul = ctl("ul", "dump");
                assertThat(ul).contains("1001@" + HOST).contains("1002@" + HOST);
            });
            checks.check("baresip with a wrong password: registration refused, no binding", () -> {
                ClientProcess bad = baresip("1001-wrong", "1001", "not-the-password", tone, "manual");
                bad.await("401 Unauthorized ()", WAIT);
                String ul = ctl("ul", "dump");
                assertThat(ul).doesNotContain(":" + portOf(bad));
                bad.stop("/quit");
            });
            checks.check("call baresip 1001 -> 1002: 407 answered, 180, answer, RTP both ways, BYE via the PBX", () -> {
                int m1 = b1001.mark();
                int m2 = b1002.mark();
                b1001.send("/dial sip:1002@" + HOST);
                b1001.await("SIP/2.0 407 Proxy Authentication Required", m1, WAIT);
                b1002.await("Incoming call from", m2, WAIT);
                b1002.send("/accept");
                b1001.await("Call established: sip:1002@" + HOST, m1, WAIT);
                b1002.await("Call established: sip:1001@" + HOST, m2, WAIT);
                rtpFrom(b1001, m1);
                rtpFrom(b1002, m2);
                Thread.sleep(2000);
                b1001.send("/hangup");
                b1002.await("terminated (duration", m2, WAIT);
                String trace = b1002.output().substring(m2);
                int bye = trace.indexOf("\nBYE sip:");
                assertThat(bye).as("1002 got the BYE").isPositive();
                assertThat(trace.substring(bye, Math.min(trace.length(), bye + 800)))
                        .as("the BYE came through the PBX (its Via)").contains("Via: SIP/2.0/UDP " + HOST + ":" + sipPort);
            });
            checks.check("baresip 1001 cancels a call to 1002 while it rings: 487", () -> {
                int m1 = b1001.mark();
                int m2 = b1002.mark();
                b1001.send("/dial sip:1002@" + HOST);
                b1002.await("Incoming call from", m2, WAIT);
                b1001.await("180 Ringing", m1, WAIT);
                b1001.send("/hangup");
                b1001.await("SIP/2.0 487 Request Terminated", m1, WAIT);
                b1002.await("CANCEL sip:", m2, WAIT);
            });

            // ---------------------------------------------------------------------------- linphonec
            ClientProcess lp = linphone("1003", "secret1003");
            checks.check("linphonec 1003 registers with digest auth", () -> {
                lp.send("soundcard use files");
                lp.send("play " + tone.getFileName()); // relative: linphonec's line editor mangles long lines
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (true) {
                    int m = lp.mark();
                    lp.send("status register");
                    String line = lp.awaitMatch(Pattern.compile("registered[=,][^\n]*"), m, WAIT).group();
                    if (line.startsWith("registered, identity=sip:1003@" + HOST)) {
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("linphonec: " + line + "; see " + lp.log());
                    }
                    Thread.sleep(500);
                }
                assertThat(ctl("ul", "dump")).contains("1003@" + HOST);
            });
            checks.check("call baresip 1001 -> linphonec 1003 (auto-answer): RTP both ways, BYE", () -> {
                int m1 = b1001.mark();
                int ml = lp.mark();
                b1001.send("/dial sip:1003@" + HOST);
                lp.await("Media streams established", ml, WAIT);
                b1001.await("Call established: sip:1003@" + HOST, m1, WAIT);
                rtpFrom(b1001, m1);
                linphoneRtpBothWays(lp);
                b1001.send("/hangup");
                lp.await("ended", ml, WAIT);
            });
            checks.check("call linphonec 1003 -> baresip 1002: linphone answers the 407, RTP both ways, BYE", () -> {
                int m2 = b1002.mark();
                int ml = lp.mark();
                lp.send("call sip:1002@" + HOST);
                b1002.await("Incoming call from", m2, WAIT);
                b1002.send("/accept");
                lp.await("Media streams established", ml, WAIT);
                rtpFrom(b1002, m2);
                linphoneRtpBothWays(lp);
                lp.send("terminate");
                b1002.awaitMatch(Pattern.compile("session closed|terminated \\(duration"), m2, WAIT);
            });

            // ---------------------------------------------------------------------------- SIPp behind NAT
            int natPort = Sipp.freeLocalPort();
            Path nat = csv("nat1004.csv", "1004;" + HOST + ";[authentication username=1004 password=secret1004]");
            Path caller = csv("caller1001.csv", "1001;" + HOST + ";[authentication username=1001 password=secret1001]");
            checks.check("SIPp phone behind NAT (Via/Contact 192.168.77.10:5060, no rport) registers through the 401",
                    () -> {
                        Sipp.Result r = sipp("/sipp/nat-register.xml").injectionFile(nat).localPort(natPort).run();
                        requireSuccess(r, 1);
                        assertThat(ctl("ul", "dump")).contains("192.168.77.10").contains("127.0.0.1:" + natPort);
                    });
            checks.check("SIPp 1001 calls the NATed phone 1004: reached at its public port, ACK and BYE reach it", () -> {
                try (Sipp.Running callee = Sipp.scenario("/sipp/nat-uas.xml").localPort(natPort).calls(1)
                        .globalTimeout(Duration.ofSeconds(30)).start()) {
                    callee.awaitListening(Duration.ofSeconds(10));
                    requireSuccess(sipp("/sipp/pbx-uac-auth-call.xml").injectionFile(caller).extraArgs("-s", "1004")
                            .run(), 1);
                    Sipp.Result uas = callee.stop(Duration.ofSeconds(5));
                    assertThat(uas.count("_BYE_Recv")).as(uas.diagnostics()).isEqualTo(1);
                }
            });
            checks.check("NAT keep-alive: the PBX sends the NATed phone an OPTIONS within 35 s (default every 30 s)",
                    () -> {
                        Sipp.Result r = Sipp.scenario("/sipp/nat-keepalive-uas.xml").localPort(natPort).calls(1)
                                .globalTimeout(Duration.ofSeconds(35)).run();
                        requireSuccess(r, 1);
                    });

            // ---------------------------------------------------------------------------- SIPVicious
            checks.check("svwar (User-Agent friendly-scanner) enumerates no extension: dropped unanswered", () -> {
                ClientProcess.Result r = tool("svwar", "svwar", "-e1000-1010", "-m", "REGISTER",
                        "udp://" + HOST + ":" + sipPort);
                assertThat(r.output()).as(r.log().toString()).contains("found nothing").doesNotContain("| 100");
            });
            Path disguised = resource("/sipvicious/svwar-as-phone.py", "svwar-as-phone.py");
            for (String method : List.of("REGISTER", "INVITE")) {
                checks.check("svwar with a phone's User-Agent (" + method + ", --force) enumerates no extension: "
                        + "known and unknown users get the same challenge", () -> {
                            ClientProcess.Result r = tool("svwar-as-phone-" + method, "python3", disguised.toString(),
                                    "--force", "-e1000-1010", "-m", method, "udp://" + HOST + ":" + sipPort);
                            assertThat(r.output()).as(r.log().toString()).contains("found nothing")
                                    .doesNotContain("| 100");
                        });
            }
            checks.check("svmap does not fingerprint the PBX (scanner dropped)", () -> {
                ClientProcess.Result r = tool("svmap", "svmap", HOST, "-p", Integer.toString(sipPort));
                assertThat(r.output()).as(r.log().toString()).contains("found nothing");
            });
            checks.check("the PBX keeps answering after the scans (sipsak OPTIONS: 200)", () -> {
                ClientProcess.Result r = tool("sipsak-after-scans", "sipsak", "-vv", "-s", "sip:" + HOST + ":"
                        + sipPort);
                assertThat(r.exitCode()).as(r.output()).isZero();
                assertThat(pbx.isAlive()).isTrue();
            });
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                ClientProcess c = started.get(i);
                c.stop(c == pbx ? null : quitCommandOf(c));
            }
        }
        String report = checks.report();
        Files.writeString(run.resolve("checks.txt"), report);
        assertThat(checks.failed()).as(report).isZero();
    }

    // ------------------------------------------------------------------------------------------ the PBX and ctl

    private ClientProcess startPbx() throws IOException {
        List<String> cmd = java("siprelay-example.jar");
        if (isolated) {
            sipPort = 5060; // README's defaults: nothing else can hold them in this namespace
            mgmtPort = 8088;
        } else {
            sipPort = Sipp.freeLocalPort();
            mgmtPort = Sipp.freeLocalPort();
            cmd.addAll(List.of("-l", "udp:" + HOST + ":" + sipPort, "-l", "tcp:" + HOST + ":" + sipPort, "--mgmt",
                    HOST + ":" + mgmtPort));
        }
        return track(ClientProcess.start("pbx", cmd, run, Map.of()));
    }

    /** README's {@code siprelayctl ...} in the PBX's working directory; its output, or an error naming it. */
    private String ctl(String... args) throws IOException, InterruptedException {
        List<String> cmd = java("siprelayctl.jar");
        if (!isolated) {
            cmd.addAll(List.of("--mgmt-url", "http://" + HOST + ":" + mgmtPort + "/rpc"));
        }
        cmd.addAll(List.of(args));
        ClientProcess.Result r = ClientProcess.run("siprelayctl-" + String.join("-", args).replaceAll("[^\\w.-]", "_"),
                cmd, run, Duration.ofSeconds(60));
        if (r.exitCode() != 0) {
            throw new AssertionError("siprelayctl " + String.join(" ", args) + " exited " + r.exitCode() + ": "
                    + r.output().strip());
        }
        return r.output();
    }

    private List<String> java(String jar) {
        Path j = target.resolve(jar);
        if (!Files.exists(j)) {
            throw new IllegalStateException(j + " is missing: run this in the integration-test phase (mvn verify)");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ArrayList<>(List.of(java, "-jar", j.toString()));
    }

    // ------------------------------------------------------------------------------------------ clients

    private ClientProcess baresip(String user, String password, Path tone) throws IOException {
        return baresip(user, user, password, tone, "manual");
    }

    /**
     * A baresip 1.0 phone as README's quick start sets it up: account {@code <sip:USER@127.0.0.1>}, its password,
     * outbound proxy {@code sip:127.0.0.1:5060} (UDP); audio from a tone file, to ALSA's null device; {@code -s}
     * prints its SIP trace into the log.
     */
    private ClientProcess baresip(String name, String user, String password, Path tone, String answerMode)
            throws IOException {
        Path dir = Files.createDirectories(run.resolve("baresip-" + name));
        int port = freePortPair();
        int rtp = 20000 + (port % 200) * 50;
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
        Files.writeString(dir.resolve("accounts"), "<sip:" + user + "@" + HOST + ">;auth_pass=" + password
                + ";outbound=\"sip:" + HOST + ":" + sipPort + "\";regint=600;answermode=" + answerMode + "\n");
        Files.writeString(dir.resolve("port"), Integer.toString(port));
        return track(ClientProcess.start("baresip-" + name, List.of("baresip", "-f", dir.toString(), "-s"), run,
                Map.of()));
    }

    private int portOf(ClientProcess baresip) throws IOException {
        String name = baresip.log().getFileName().toString().replace(".log", "");
        return Integer.parseInt(Files.readString(run.resolve(name).resolve("port")).strip());
    }

    /**
     * linphonec 5.1 as a newcomer configures it: identity {@code sip:USER@127.0.0.1}, proxy {@code sip:127.0.0.1:5060},
     * user and password; {@code -a} answers calls. The configuration is written fresh each run (linphonec rewrites
     * it, replacing the password by a hash), and {@code register_only_when_network_is_up=0} because this host has
     * no network beyond loopback.
     */
    private ClientProcess linphone(String user, String password) throws IOException {
        Path home = Files.createDirectories(run.resolve("linphone-" + user));
        Files.createDirectories(home.resolve(".local/share/linphone"));
        int port = freePortPair();
        Path rc = home.resolve("linphonerc");
        Files.writeString(rc, String.join("\n",
                "[sip]",
                "sip_port=" + port,
                "sip_tcp_port=0",
                "sip_tls_port=0",
                "default_proxy=0",
                "ipv6=0",
                "register_only_when_network_is_up=0",
                "[rtp]",
                "audio_rtp_port=" + (21000 + port % 500 * 2),
                "[sound]",
                "echocancellation=0",
                "[proxy_0]",
                "reg_proxy=sip:" + HOST + ":" + sipPort,
                "reg_identity=sip:" + user + "@" + HOST,
                "reg_expires=600",
                "reg_sendregister=1",
                "[auth_info_0]",
                "username=" + user,
                "userid=" + user,
                "passwd=" + password,
                "realm=" + HOST,
                "domain=" + HOST,
                ""));
        return track(ClientProcess.start("linphonec-" + user, List.of("linphonec", "-c", rc.toString(), "-a", "-d",
                "6", "-l", home.resolve("linphone-sip-trace.log").toString()), run, Map.of("HOME", home.toString())));
    }

    private static String quitCommandOf(ClientProcess c) {
        String n = c.log().getFileName().toString();
        return n.startsWith("baresip") ? "/quit" : n.startsWith("linphonec") ? "quit" : null;
    }

    /** baresip printed that RTP from the other side arrives (after {@code from}). */
    private static void rtpFrom(ClientProcess baresip, int from) throws IOException, InterruptedException {
        Matcher m = baresip.awaitMatch(Pattern.compile("incoming rtp for 'audio' established, receiving from ([^\\s]+)"),
                from, WAIT);
        assertThat(m.group(1)).as("RTP from a loopback address").startsWith("127.");
    }

    /** linphone's per-second bandwidth line shows RTP coming in (d) and going out (u). */
    private void linphoneRtpBothWays(ClientProcess lp) throws IOException, InterruptedException {
        String user = lp.log().getFileName().toString().replace("linphonec-", "").replace(".log", "");
        Path trace = run.resolve("linphone-" + user).resolve("linphone-sip-trace.log");
        Pattern bw = Pattern.compile("RTP : \\[d=([\\d.]+),u=([\\d.]+)\\]");
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(trace)) {
                Matcher m = bw.matcher(Files.readString(trace, StandardCharsets.ISO_8859_1));
                while (m.find()) {
                    if (Double.parseDouble(m.group(1)) > 10 && Double.parseDouble(m.group(2)) > 10) {
                        return;
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("linphone shows no RTP both ways (RTP : [d=..,u=..] above 10 kbit/s) in " + trace);
    }

    private ClientProcess.Result tool(String name, String... command) throws IOException, InterruptedException {
        return ClientProcess.run(name, List.of(command), run, Duration.ofSeconds(120));
    }

    private ClientProcess track(ClientProcess p) {
        started.add(p);
        return p;
    }

    // ------------------------------------------------------------------------------------------ SIPp

    private Sipp sipp(String scenario) {
        return Sipp.scenario(scenario).target(new java.net.InetSocketAddress(HOST, sipPort)).calls(1)
                .globalTimeout(Duration.ofSeconds(30));
    }

    private static void requireSuccess(Sipp.Result r, int calls) {
        assertThat(r.successfulCalls()).as(r.diagnostics()).isEqualTo(calls);
        assertThat(r.failedCalls()).as(r.diagnostics()).isZero();
    }

    private Path csv(String name, String row) throws IOException {
        return Files.writeString(run.resolve(name), "SEQUENTIAL\n" + row + ";\n");
    }

    private Path resource(String name, String as) throws IOException {
        try (var in = RealClientsIT.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("no resource " + name);
            }
            Path p = run.resolve(as);
            Files.copy(in, p);
            return p;
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** A UDP/TCP port free together with the next one (baresip also binds port + 1 for TLS). */
    private static int freePortPair() throws IOException {
        for (int i = 0; i < 50; i++) {
            int p = Sipp.freeLocalPort();
            if (p < 65535 && portFree(p + 1)) {
                return p;
            }
        }
        throw new IOException("no two free ports in a row");
    }

    private static boolean portFree(int port) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.bind(new java.net.InetSocketAddress(HOST, port));
            try (java.net.DatagramSocket d = new java.net.DatagramSocket(new java.net.InetSocketAddress(HOST, port))) {
                return true;
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** 30 s of a 440 Hz tone, 8 kHz mono 16 bit: what the phones send (baresip's tone source needs 48 kHz). */
    private static Path writeTone(Path file) throws IOException {
        int rate = 8000;
        int samples = rate * 30;
        ByteBuffer b = ByteBuffer.allocate(44 + samples * 2).order(ByteOrder.LITTLE_ENDIAN);
        b.put("RIFF".getBytes(StandardCharsets.US_ASCII)).putInt(36 + samples * 2)
                .put("WAVEfmt ".getBytes(StandardCharsets.US_ASCII)).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(rate).putInt(rate * 2).putShort((short) 2).putShort((short) 16)
                .put("data".getBytes(StandardCharsets.US_ASCII)).putInt(samples * 2);
        for (int i = 0; i < samples; i++) {
            b.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / rate)));
        }
        return Files.write(file, b.array());
    }

    private static void requireTools(String... tools) throws IOException, InterruptedException {
        List<String> missing = new ArrayList<>();
        for (String t : tools) {
            Process p = new ProcessBuilder("sh", "-c", "command -v " + t).redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                missing.add(t);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String msg = "missing " + missing + ": install the Debian packages sip-tester baresip-core linphone-cli sipsak"
                + " sipvicious (.ci/run does)";
        if (System.getenv("SIPRELAY_INTEROP") != null || System.getenv("SIPRELAY_ALL_EXTERNAL") != null) {
            throw new AssertionError(msg + " (SIPRELAY_INTEROP or SIPRELAY_ALL_EXTERNAL is set: not skipped)");
        }
        Assumptions.assumeTrue(false, msg);
    }
}
