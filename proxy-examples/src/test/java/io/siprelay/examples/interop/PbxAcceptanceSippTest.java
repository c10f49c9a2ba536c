package io.siprelay.examples.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.testkit.Sipp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #7, acceptance 1 and 3, against the real PBX process (the main class of {@code siprelay-example.jar}) on H2
 * in a fresh data directory, provisioned with the real {@code siprelayctl}:
 *
 * <ol>
 * <li>1001 and 1002 register with digest authentication (1002's contact is a SIPp callee);</li>
 * <li>1001 calls 1002: 407, credentials, answer, ACK and BYE through the proxy (Record-Route);</li>
 * <li>the carrier (address group 200, its source port) calls a user who is not registered: 404;</li>
 * <li>an INVITE without credentials from an address that is no carrier: 407;</li>
 * <li>Max-Forwards 0: 483;</li>
 * <li>1002 calls 1001, whose phone rings, and cancels: 487;</li>
 * <li>OPTIONS to the PBX: 200;</li>
 * <li>after SIGTERM and a new start, {@code ul dump}, {@code user list}, {@code address list} and
 *     {@code dispatcher show} still show the registrations, users, carrier address and gateway.</li>
 * </ol>
 *
 * Each check prints PASS or FAIL; the run ends with {@code N passed, M failed}. Only with {@code -Pinterop}.
 */
@Tag("interop")
@Timeout(300)
class PbxAcceptanceSippTest {

    /**
     * The subscribers' domain when given with {@code --domain}. The test also runs with the default domain (the
     * listen address 127.0.0.1), which used to fail: the PBX took an IP domain as its own on any port, so a phone's
     * Contact on 127.0.0.1 in a BYE's Request-URI counted as "myself", loose routing took it for a strict router's
     * and the BYE came back to the PBX and got 404 "Not here" (fixed in {@code Pbx}).
     */
    static final String DOMAIN = "pbx.test";

    @TempDir
    Path tmp;

    /** With {@code --domain pbx.test}: phones use {@code sip:1001@pbx.test}. */
    @Test
    void kamailio101PbxAcceptance() throws Exception {
        int sipPort = Sipp.freeLocalPort();
        acceptance("PBX acceptance", sipPort, DOMAIN, DOMAIN, "--domain", DOMAIN);
    }

    /**
     * As the README's first command, without {@code --domain}: the domain is the listen address 127.0.0.1, the
     * phones on 127.0.0.1 too (other ports) use {@code sip:1001@127.0.0.1:PORT}, PORT the PBX's.
     */
    @Test
    void kamailio101PbxAcceptanceDefaultDomain() throws Exception {
        int sipPort = Sipp.freeLocalPort();
        acceptance("PBX acceptance, default domain", sipPort, "127.0.0.1", "127.0.0.1:" + sipPort);
    }

    /**
     * @param domain    the subscribers' domain (siprelayctl user add 1001@domain)
     * @param uriDomain host[:port] the phones put in their URIs
     */
    private void acceptance(String title, int sipPort, String domain, String uriDomain, String... pbxOptions)
            throws Exception {
        Sipp.assumeInstalled();
        int mgmtPort = Sipp.freeLocalPort();
        int phone1001 = Sipp.freeLocalPort();
        int phone1002 = Sipp.freeLocalPort();
        int carrierPort = Sipp.freeLocalPort();
        int gatewayPort = Sipp.freeLocalPort();
        Path data = tmp.resolve("data");
        Checks checks = new Checks(title);

        try (PbxProcess pbx = PbxProcess.create("acceptance", data, sipPort, mgmtPort,
                concat(pbxOptions, "--probe-interval", "0"))) {
            pbx.start(Duration.ofSeconds(60));
            pbx.ctl("user", "add", "1001@" + domain, "secret1001").require();
            pbx.ctl("user", "add", "1002@" + domain, "secret1002").require();
            pbx.ctl("address", "add", "200", "127.0.0.1", "32", Integer.toString(carrierPort), "carrier").require();
            pbx.ctl("address", "reload").require();
            pbx.ctl("dispatcher", "add", "1", "sip:127.0.0.1:" + gatewayPort, "0", "0", "weight=25", "MG1")
                    .require();
            pbx.ctl("dispatcher", "reload").require();

            // Each phone registers from the socket it takes calls on: the registrar stores the REGISTER's source as
            // "received" when it differs from the Contact (its NAT heuristic), and calls then go to that source.
            Path register1001 = csv("register1001.csv",
                    "1001;" + uriDomain + ";[authentication username=1001 password=secret1001];" + phone1001);
            Path register1002 = csv("register1002.csv",
                    "1002;" + uriDomain + ";[authentication username=1002 password=secret1002];" + phone1002);
            Path caller1001 = csv("caller1001.csv",
                    "1001;" + uriDomain + ";[authentication username=1001 password=secret1001]");
            Path caller1002 = csv("caller1002.csv",
                    "1002;" + uriDomain + ";[authentication username=1002 password=secret1002]");

            checks.check("REGISTER 1001 and 1002 with digest auth (401, credentials, 200)", () -> {
                requireAll(sipp("/sipp/pbx-register.xml", pbx).injectionFile(register1001).localPort(phone1001).run(),
                        1);
                requireAll(sipp("/sipp/pbx-register.xml", pbx).injectionFile(register1002).localPort(phone1002).run(),
                        1);
                String ul = pbx.ctl("ul", "dump").require().output();
                assertThat(ul).as(ul).contains("1001@" + domain).contains("1002@" + domain)
                        .contains("127.0.0.1:" + phone1001).contains("127.0.0.1:" + phone1002);
            });

            checks.check("call 1001 -> 1002: 407, INVITE with credentials, 180/200, ACK and BYE via the proxy", () -> {
                try (Sipp.Running callee = Sipp.scenario("/sipp/pbx-uas-answer.xml").localPort(phone1002).calls(1)
                        .globalTimeout(Duration.ofSeconds(30)).start()) {
                    callee.awaitListening(Duration.ofSeconds(10));
                    Sipp.Result caller = sipp("/sipp/pbx-uac-auth-call.xml", pbx).injectionFile(caller1001)
                            .extraArgs("-s", "1002").run();
                    requireAll(caller, 1);
                    Sipp.Result uas = callee.stop(Duration.ofSeconds(5));
                    assertThat(uas.count("_BYE_Recv")).as(uas.diagnostics()).isEqualTo(1);
                }
            });

            checks.check("carrier call (group 200, from its port) to unregistered 1003 -> 404", () ->
                    requireAll(sipp("/sipp/pbx-carrier-invite-404.xml", pbx).injectionFile(caller1001).localPort(carrierPort)
                            .extraArgs("-s", "1003").run(), 1));

            checks.check("INVITE without credentials from a non-carrier address -> 407", () ->
                    requireAll(sipp("/sipp/pbx-invite-noauth-407.xml", pbx).injectionFile(caller1001).extraArgs("-s", "1002").run(), 1));

            checks.check("INVITE with Max-Forwards 0 -> 483", () ->
                    requireAll(sipp("/sipp/pbx-invite-maxfwd0-483.xml", pbx).injectionFile(caller1001).extraArgs("-s", "1002").run(), 1));

            checks.check("CANCEL of a ringing call (1002 -> 1001) -> 200 for the CANCEL, 487 for the INVITE", () -> {
                try (Sipp.Running callee = Sipp.scenario("/sipp/pbx-uas-ring.xml").localPort(phone1001).calls(1)
                        .globalTimeout(Duration.ofSeconds(30)).start()) {
                    callee.awaitListening(Duration.ofSeconds(10));
                    Sipp.Result caller = sipp("/sipp/pbx-uac-auth-cancel.xml", pbx).injectionFile(caller1002)
                            .extraArgs("-s", "1001").run();
                    requireAll(caller, 1);
                    Sipp.Result uas = callee.stop(Duration.ofSeconds(5));
                    assertThat(uas.count("_CANCEL_Recv")).as(uas.diagnostics()).isEqualTo(1);
                    assertThat(uas.successfulCalls()).as(uas.diagnostics()).isEqualTo(1);
                }
            });

            checks.check("OPTIONS to the PBX -> 200", () ->
                    requireAll(sipp("/sipp/pbx-options.xml", pbx).run(), 1));

            checks.check("restart (SIGTERM, start again): registrations, users, addresses, dispatcher kept", () -> {
                int rc = pbx.stop(Duration.ofSeconds(20));
                assertThat(pbx.output()).as("graceful stop").contains("PBX stopped");
                assertThat(rc).as("exit code after SIGTERM").isIn(0, 143);
                pbx.start(Duration.ofSeconds(60));
                String ul = pbx.ctl("ul", "dump").require().output();
                assertThat(ul).as(ul).contains("1001@" + domain).contains("1002@" + domain);
                String users = pbx.ctl("user", "list").require().output();
                assertThat(users).as(users).contains("1001").contains("1002");
                String addresses = pbx.ctl("address", "list").require().output();
                assertThat(addresses).as(addresses).contains("127.0.0.1").contains(Integer.toString(carrierPort));
                String dispatcher = pbx.ctl("dispatcher", "show").require().output();
                assertThat(dispatcher).as(dispatcher).contains("sip:127.0.0.1:" + gatewayPort).contains("weight=25");
                // and the restarted PBX still routes by them: the carrier is still trusted (404, not 403/407)
                requireAll(sipp("/sipp/pbx-carrier-invite-404.xml", pbx).injectionFile(caller1001).localPort(carrierPort)
                        .extraArgs("-s", "1003").run(), 1);
            });
        }
        String report = checks.report();
        assertThat(checks.failed()).as(report).isZero();
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private Path csv(String name, String... rows) throws java.io.IOException {
        return Files.writeString(tmp.resolve(name), "SEQUENTIAL\n" + String.join("\n", rows) + "\n",
                StandardCharsets.ISO_8859_1);
    }

    static Sipp sipp(String scenario, PbxProcess pbx) {
        return Sipp.scenario(scenario).target(pbx.sip()).rate(10).limit(10)
                .globalTimeout(Duration.ofSeconds(20)).recvTimeout(Duration.ofSeconds(5));
    }

    /** Every call of the run succeeded and none failed; else the diagnostics. */
    static void requireAll(Sipp.Result r, int calls) {
        String why = r.diagnostics();
        assertThat(r.timedOut()).as(why).isFalse();
        assertThat(r.successfulCalls()).as(why).isEqualTo(calls);
        assertThat(r.failedCalls()).as(why).isZero();
        assertThat(r.exitCode()).as(why).isZero();
    }
}
