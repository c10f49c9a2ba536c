package io.siprelay.examples.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.siprelay.auth.Subscriber;
import io.siprelay.auth.db.AuthDatabase;
import io.siprelay.db.Database;
import io.siprelay.auth.db.JdbcAddressStore;
import io.siprelay.auth.db.JdbcSubscriberStore;
import io.siprelay.permissions.AddressEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The database commands against an embedded H2 database in a temporary data directory. */
class ProvisioningCommandsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @BeforeEach
    void quietLogs() {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }

    private CtlRunner.Result ctl(String... args) {
        return ctlIn("", args);
    }

    private CtlRunner.Result ctlIn(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of("--data-dir", dir.toString()));
        all.addAll(List.of(args));
        return CtlRunner.run(stdin, all.toArray(String[]::new));
    }

    private Database authDb() {
        return Database.builder().url(CtlDatabase.h2Url(dir)).open();
    }

    @Test
    void userAddListPasswdRm() {
        CtlRunner.Result r = ctl("user", "add", "1001@example.com", "secret");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("added user 1001@example.com\n");
        assertThat(r.err()).isEmpty();
        assertThat(dir.resolve("siprelay.mv.db")).exists();

        assertThat(ctl("user", "add", "1002", "pw2", "--domain", "example.com").code()).isZero();
        assertThat(ctlIn("from-stdin\n", "user", "add", "1003@example.org", "-").code()).isZero();

        r = ctl("user", "list");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("""
                USERNAME  DOMAIN       CREDENTIALS
                1001      example.com  password
                1002      example.com  password
                1003      example.org  password
                3 subscribers
                """);
        assertThat(r.out()).doesNotContain("secret");

        try (Database pool = authDb()) {
            AuthDatabase db = AuthDatabase.on(pool);
            JdbcSubscriberStore s = new JdbcSubscriberStore(db);
            assertThat(s.find("1001", "example.com")).map(Subscriber::password).contains("secret");
            assertThat(s.find("1003", "example.org")).map(Subscriber::password).contains("from-stdin");
            assertThat(s.find("1001", "example.com").orElseThrow().ha1()).isEqualTo(
                    Subscriber.withPassword("1001", "example.com", "secret").ha1());
        }

        r = ctlIn("newsecret\n", "user", "passwd", "1001@example.com", "-");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("changed the password of 1001@example.com\n");
        try (Database pool = authDb()) {
            AuthDatabase db = AuthDatabase.on(pool);
            assertThat(new JdbcSubscriberStore(db).find("1001", "example.com")).map(Subscriber::password)
                    .contains("newsecret");
        }

        r = ctl("user", "rm", "1002", "-d", "example.com");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("removed user 1002@example.com\n");
        r = ctl("user", "list", "--domain", "example.com");
        assertThat(r.out()).contains("1001").doesNotContain("1002").doesNotContain("1003").endsWith("1 subscriber\n");
    }

    @Test
    void userErrors() {
        assertThat(ctl("user", "add", "1001@example.com", "secret").code()).isZero();

        CtlRunner.Result r = ctl("user", "add", "1001@example.com", "other");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: user 1001@example.com already exists (change the password "
                + "with 'siprelayctl user passwd')\n");
        assertThat(r.out()).isEmpty();

        r = ctl("user", "add", "1002", "secret");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("no domain for user '1002'");

        r = ctl("user", "add", "bad user@example.com", "secret");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("invalid user name 'bad user'");

        r = ctl("user", "add", "1002@exa mple.com", "secret");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("invalid domain 'exa mple.com'");

        r = ctl("user", "add", "1002@example.com", "secret", "--domain", "example.org");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("two domains");

        r = ctlIn("", "user", "add", "1002@example.com", "-");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: no password on standard input\n");

        r = ctl("user", "passwd", "9999@example.com", "x");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: no such user: 9999@example.com\n");

        r = ctl("user", "rm", "9999@example.com");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: no such user: 9999@example.com\n");

        r = ctl("user", "add");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("siprelayctl user add: Missing required parameter")
                .endsWith("(see 'siprelayctl user add --help')\n");
        assertThat(r.err().lines()).hasSize(1);

        r = ctl("user", "frobnicate");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err().lines().findFirst().orElseThrow()).startsWith("siprelayctl user: Unmatched argument");

        r = ctl("user");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("Missing required subcommand");
    }

    @Test
    void readCommandsRefuseAMissingDatabase() {
        CtlRunner.Result r = CtlRunner.run("", "user", "list", "--data-dir", dir.resolve("nope").toString());
        assertThat(r.code()).isEqualTo(4);
        assertThat(r.err()).startsWith("siprelayctl: no database at ").contains("nope")
                .contains("give --data-dir DIR of the PBX, or --db-url");
        assertThat(dir.resolve("nope")).doesNotExist();
    }

    @Test
    void databaseErrorsAreOneLine() {
        CtlRunner.Result r = CtlRunner.run("", "user", "add", "1001@example.com", "pw",
                "--db-url", "jdbc:nosuchdb://localhost/x");
        assertThat(r.code()).isEqualTo(4);
        assertThat(r.err()).startsWith("siprelayctl: cannot open database jdbc:nosuchdb://localhost/x: ");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void optionsWorkBeforeAndAfterTheSubcommand() {
        CtlRunner.Result r = CtlRunner.run("", "user", "add", "1001@example.com", "pw", "--data-dir", dir.toString());
        assertThat(r.code()).as(r.toString()).isZero();
        r = CtlRunner.run("", "--data-dir", dir.toString(), "user", "list", "--json");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("\"username\" : \"1001\"");
    }

    @Test
    void jsonOutput() throws Exception {
        CtlRunner.Result r = ctl("--json", "user", "add", "1001@example.com", "pw");
        assertThat(JSON.readTree(r.out())).isEqualTo(JSON.readTree(
                "{\"action\":\"added\",\"username\":\"1001\",\"domain\":\"example.com\"}"));
        r = ctl("user", "list", "--json");
        assertThat(JSON.readTree(r.out())).isEqualTo(JSON.readTree(
                "[{\"username\":\"1001\",\"domain\":\"example.com\",\"credentials\":\"password\"}]"));

        ctl("address", "add", "200", "10.0.1.102", "32", "5060", "Carrier IP address");
        r = ctl("address", "list", "--json");
        assertThat(JSON.readTree(r.out())).isEqualTo(JSON.readTree(
                "[{\"grp\":200,\"ip_addr\":\"10.0.1.102\",\"mask\":32,\"port\":5060,\"tag\":\"Carrier IP address\"}]"));

        ctl("dispatcher", "add", "1", "sip:mg1:5060", "0", "0", "", "Media Gateway 1");
        r = ctl("dispatcher", "show", "--json");
        JsonNode n = JSON.readTree(r.out());
        assertThat(n).hasSize(1);
        assertThat(n.get(0).get("destination").asText()).isEqualTo("sip:mg1:5060");
        assertThat(n.get(0).get("description").asText()).isEqualTo("Media Gateway 1");
        assertThat(n.get(0).get("id").asLong()).isPositive();
    }

    @Test
    void addresses() {
        CtlRunner.Result r = ctl("address", "add", "200", "10.0.1.102", "32", "5060", "Carrier IP address");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("added address group 200 10.0.1.102/32 port 5060 tag 'Carrier IP address'\n");
        assertThat(ctl("address", "add", "1", "192.168.0.0/24").code()).isZero();
        assertThat(ctl("address", "add", "1", "2001:db8::1").code()).isZero();

        r = ctl("address", "list");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("""
                GRP  IP_ADDR      MASK  PORT  TAG
                200  10.0.1.102   32    5060  Carrier IP address
                1    192.168.0.0  24    0
                1    2001:db8::1  128   0
                3 entries
                """);
        try (Database pool = authDb()) {
            AuthDatabase db = AuthDatabase.on(pool);
            assertThat(new JdbcAddressStore(db).load()).contains(
                    new AddressEntry(200, "10.0.1.102", 32, 5060, "Carrier IP address"));
        }

        r = ctl("address", "add", "200", "10.0.1.102", "32", "5060");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: address entry already exists: group 200 10.0.1.102/32 port "
                + "5060 tag 'Carrier IP address'\n");

        r = ctl("address", "list", "-g", "1");
        assertThat(r.out()).doesNotContain("10.0.1.102").endsWith("2 entries\n");

        r = ctl("address", "rm", "200", "10.0.1.102");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("removed address group 200 10.0.1.102/32 port 5060");
        r = ctl("address", "rm", "200", "10.0.1.102");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: no address entry of group 200 matches 10.0.1.102\n");
        assertThat(ctl("address", "rm", "1", "192.168.0.0/24").code()).isZero();
        assertThat(ctl("address", "list").out()).endsWith("1 entry\n");
    }

    @Test
    void addressValidation() {
        CtlRunner.Result r = ctl("address", "add", "200", "10.0.1.300", "32", "5060");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: invalid address entry: not an IPv4 or IPv6 address: "
                + "'10.0.1.300'\n");

        r = ctl("address", "add", "200", "10.0.1.1", "33");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("mask must be 0..32");

        r = ctl("address", "add", "200", "10.0.1.1", "32", "70000");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("port must be 0..65535");

        r = ctl("address", "add", "200", "example.com");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("not an IPv4 or IPv6 address");

        r = ctl("address", "add", "x", "10.0.0.1");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("siprelayctl address add: Invalid value for positional parameter at index 0 "
                + "(GROUP): 'x' is not an int");
        assertThat(dir.resolve("siprelay.mv.db")).as("nothing was stored").doesNotExist();
    }

    @Test
    void dispatcherEntries() {
        CtlRunner.Result r = ctl("dispatcher", "add", "1", "sip:mg1:5060", "0", "0", "", "Media Gateway 1");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("added set 1 destination sip:mg1:5060 (id ");
        assertThat(ctl("dispatcher", "add", "1", "sip:10.0.0.2:5060;transport=tcp", "8", "5", "weight=50;duid=gw2")
                .code()).isZero();
        assertThat(ctl("dispatcher", "add", "2", "sip:10.0.0.3").code()).isZero();

        r = ctl("dispatcher", "show");
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).isEqualTo(
                "ID  SETID  DESTINATION                      FLAGS  PRIORITY  ATTRS               DESCRIPTION");
        assertThat(lines.get(1)).matches("\\d+ +1 +sip:mg1:5060 +0 +0 +Media Gateway 1");
        assertThat(lines.get(2)).matches("\\d+ +1 +sip:10.0.0.2:5060;transport=tcp +8 +5 +weight=50;duid=gw2");
        assertThat(lines.get(4)).isEqualTo("3 destinations");

        assertThat(ctl("dispatcher", "show", "--set", "2").out()).contains("sip:10.0.0.3").doesNotContain("mg1");

        r = ctl("dispatcher", "add", "1", "sip:mg1:5060");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("siprelayctl: set 1 already has destination sip:mg1:5060 (id ");

        r = ctl("dispatcher", "rm", "1", "sip:mg1:5060");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("removed set 1 destination sip:mg1:5060\n");
        r = ctl("dispatcher", "rm", "1", "sip:mg1:5060");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: set 1 has no destination sip:mg1:5060\n");
        assertThat(ctl("dispatcher", "show").out()).endsWith("2 destinations\n");
    }

    @Test
    void dispatcherValidation() {
        CtlRunner.Result r = ctl("dispatcher", "add", "1", "http://mg1:5060");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("siprelayctl: invalid SIP URI 'http://mg1:5060'");

        r = ctl("dispatcher", "add", "1", "sip:");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("siprelayctl: invalid SIP URI 'sip:'");

        r = ctl("dispatcher", "add", "1", "sip:mg1", "64");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("flags must be 0..63");

        r = ctl("dispatcher", "add", "1", "sip:mg1", "0", "0", "weight=abc");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("siprelayctl: invalid attrs 'weight=abc': attrs weight=abc is not a number\n");

        assertThat(Files.exists(dir.resolve("siprelay.mv.db"))).isFalse();
    }
}
