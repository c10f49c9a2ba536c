package io.siprelay.examples.interop;

import static io.siprelay.examples.interop.PbxAcceptanceSippTest.requireAll;
import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.testkit.Sipp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #7, acceptance 2: media-gateway mode of the real PBX process ({@code --dispatcher-set 1 --dispatcher-alg 9}),
 * two SIPp gateways added with {@code siprelayctl dispatcher add} with {@code weight=25} and {@code weight=75}; 1001
 * (digest-authenticated) calls a non-local number.
 *
 * <ol>
 * <li>2,000 calls: each gateway answers its weight's share within ±3 points;</li>
 * <li>one gateway answers 503: every call still completes, on the other one;</li>
 * <li>{@code siprelayctl dispatcher set-state dx} takes that gateway out of rotation, {@code dispatcher list} shows
 *     DX, and no more calls reach it.</li>
 * </ol>
 *
 * Each check prints PASS or FAIL; the run ends with {@code N passed, M failed}. Only with {@code -Pinterop}.
 */
@Tag("interop")
@Timeout(420)
class MediaGatewaySippTest {

    static final String DOMAIN = PbxAcceptanceSippTest.DOMAIN;
    static final int CALLS = 2000;
    static final String NUMBER = "004930123456"; // not a local extension: route TOCARRIER

    @TempDir
    Path tmp;

    @Test
    void weightedGatewaysFailoverAndDx() throws Exception {
        Sipp.assumeInstalled();
        int sipPort = Sipp.freeLocalPort();
        int mgmtPort = Sipp.freeLocalPort();
        int gw1 = Sipp.freeLocalPort();
        int gw2 = Sipp.freeLocalPort();
        String mg1 = "sip:127.0.0.1:" + gw1;
        String mg2 = "sip:127.0.0.1:" + gw2;
        Path caller = Files.writeString(tmp.resolve("caller1001.csv"),
                "SEQUENTIAL\n1001;" + DOMAIN + ";[authentication username=1001 password=secret1001]\n",
                StandardCharsets.ISO_8859_1);
        Checks checks = new Checks("media gateways");

        try (PbxProcess pbx = PbxProcess.create("media-gateways", tmp.resolve("data"), sipPort, mgmtPort,
                "--domain", DOMAIN, "--dispatcher-set", "1", "--dispatcher-alg", "9", "--probe-interval", "0")) {
            pbx.start(Duration.ofSeconds(60));
            pbx.ctl("user", "add", "1001@" + DOMAIN, "secret1001").require();
            pbx.ctl("dispatcher", "add", "1", mg1, "0", "0", "weight=25", "MG1").require();
            pbx.ctl("dispatcher", "add", "1", mg2, "0", "0", "weight=75", "MG2").require();
            pbx.ctl("dispatcher", "reload").require();

            checks.check(String.format(Locale.ROOT, "%,d calls split by weight 25/75 within 3 points", CALLS), () -> {
                try (Sipp.Running a = gateway("/sipp/pbx-uas-answer.xml", gw1);
                     Sipp.Running b = gateway("/sipp/pbx-uas-answer.xml", gw2)) {
                    Sipp.Result calls = PbxAcceptanceSippTest.sipp("/sipp/pbx-uac-auth-call.xml", pbx)
                            .injectionFile(caller).extraArgs("-s", NUMBER).calls(CALLS).rate(100).limit(200)
                            .globalTimeout(Duration.ofSeconds(150)).run();
                    Sipp.Result ra = a.stop(Duration.ofSeconds(3));
                    Sipp.Result rb = b.stop(Duration.ofSeconds(3));
                    long na = ra.count("_INVITE_Recv");
                    long nb = rb.count("_INVITE_Recv");
                    double shareA = 100.0 * na / Math.max(1, na + nb);
                    String split = String.format(Locale.ROOT, "MG1 (weight 25) %d calls = %.1f %%, MG2 (weight 75)"
                            + " %d calls = %.1f %%, %s", na, shareA, nb, 100 - shareA, calls.summary("caller"));
                    System.out.println("[media gateways] measured split: " + split);
                    requireAll(calls, CALLS);
                    assertThat(na + nb).as(split).isEqualTo(CALLS);
                    assertThat(shareA).as(split).isBetween(22.0, 28.0);
                    assertThat(ra.count("_BYE_Recv") + rb.count("_BYE_Recv")).as(split).isEqualTo(CALLS);
                }
            });

            checks.check("MG1 answers 503: every call completes on MG2", () -> {
                try (Sipp.Running a = gateway("/sipp/pbx-uas-503.xml", gw1);
                     Sipp.Running b = gateway("/sipp/pbx-uas-answer.xml", gw2)) {
                    Sipp.Result calls = PbxAcceptanceSippTest.sipp("/sipp/pbx-uac-auth-call.xml", pbx)
                            .injectionFile(caller).extraArgs("-s", NUMBER).calls(100).rate(20).limit(50)
                            .globalTimeout(Duration.ofSeconds(60)).run();
                    Sipp.Result ra = a.stop(Duration.ofSeconds(2));
                    Sipp.Result rb = b.stop(Duration.ofSeconds(3));
                    String what = String.format(Locale.ROOT, "MG1 refused %d with 503, MG2 answered %d; %s",
                            ra.count("_503_Sent"), rb.count("_INVITE_Recv"), calls.summary("caller"));
                    System.out.println("[media gateways] " + what);
                    requireAll(calls, 100);
                    assertThat(ra.count("_503_Sent")).as(what).isPositive();
                    assertThat(rb.count("_INVITE_Recv")).as(what).isEqualTo(100);
                }
            });

            checks.check("siprelayctl dispatcher set-state dx takes MG1 out; dispatcher list shows DX", () -> {
                pbx.ctl("dispatcher", "set-state", "dx", "1", mg1).require();
                String list = pbx.ctl("dispatcher", "list").require().output();
                String line1 = list.lines().filter(l -> l.contains(mg1)).findFirst().orElse("");
                String line2 = list.lines().filter(l -> l.contains(mg2)).findFirst().orElse("");
                assertThat(line1).as(list).contains("DX");
                assertThat(line2).as(list).doesNotContain("DX");
                try (Sipp.Running a = gateway("/sipp/pbx-uas-answer.xml", gw1);
                     Sipp.Running b = gateway("/sipp/pbx-uas-answer.xml", gw2)) {
                    Sipp.Result calls = PbxAcceptanceSippTest.sipp("/sipp/pbx-uac-auth-call.xml", pbx)
                            .injectionFile(caller).extraArgs("-s", NUMBER).calls(40).rate(20).limit(50)
                            .globalTimeout(Duration.ofSeconds(60)).run();
                    Sipp.Result ra = a.stop(Duration.ofSeconds(1));
                    Sipp.Result rb = b.stop(Duration.ofSeconds(3));
                    String what = String.format(Locale.ROOT, "MG1 (DX) got %d, MG2 got %d; %s",
                            ra.count("_INVITE_Recv"), rb.count("_INVITE_Recv"), calls.summary("caller"));
                    System.out.println("[media gateways] " + what);
                    requireAll(calls, 40);
                    assertThat(ra.count("_INVITE_Recv")).as(what).isZero();
                    assertThat(rb.count("_INVITE_Recv")).as(what).isEqualTo(40);
                }
            });
        }
        String report = checks.report();
        assertThat(checks.failed()).as(report).isZero();
    }

    /** A SIPp gateway on a fixed port, running until stopped, listening when this returns. */
    private static Sipp.Running gateway(String scenario, int port) throws Exception {
        for (int attempt = 1; ; attempt++) {
            Sipp.Running g = Sipp.scenario(scenario).localPort(port).calls(0).limit(1000)
                    .globalTimeout(Duration.ofSeconds(200)).start();
            try {
                g.awaitListening(Duration.ofSeconds(10));
                return g;
            } catch (AssertionError e) {
                // the gateway's fixed port may be held for a moment by a short-lived socket of another process
                // (seen once in CI: errno 98 when the third phase restarted the gateways); try again briefly
                if (attempt >= 5 || !String.valueOf(e.getMessage()).contains("Address already in use")) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }
}
