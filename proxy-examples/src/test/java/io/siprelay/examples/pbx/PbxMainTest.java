package io.siprelay.examples.pbx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Flags, the JSON file and their precedence. */
class PbxMainTest {

    @TempDir
    Path dir;

    private static PbxConfig parse(String... args) throws Exception {
        PbxMain m = new PbxMain();
        new CommandLine(m).parseArgs(args);
        return m.config();
    }

    @Test
    void defaultsAreTheOneCommandSetup() throws Exception {
        PbxConfig c = parse();
        assertThat(c.listen).containsExactly("udp:127.0.0.1:5060", "tcp:127.0.0.1:5060");
        assertThat(c.effectiveDomain()).isEqualTo("127.0.0.1");
        assertThat(c.jdbcUrl()).isEqualTo("jdbc:h2:file:" + Path.of("data").toAbsolutePath().normalize()
                .resolve("siprelay") + ";AUTO_SERVER=TRUE");
        assertThat(c.mgmtAddress().getPort()).isEqualTo(8088);
        c.validate();
    }

    @Test
    void flagsOverrideTheFile() throws Exception {
        Path f = dir.resolve("pbx.json");
        Files.writeString(f, """
                {"listen": ["udp:0.0.0.0:5070"], "domain": "pbx.example.com", "dispatcherSet": 1,
                 "dispatcherAlgorithm": 9, "carrier": "sip:203.0.113.1", "mgmtToken": "s3cret"}
                """);
        PbxConfig c = parse("--config", f.toString(), "--domain", "other.example.com", "--probe-interval", "3",
                "--db-url", "jdbc:postgresql://db/kamailio");
        assertThat(c.listen).containsExactly("udp:0.0.0.0:5070");
        assertThat(c.domain).isEqualTo("other.example.com");
        assertThat(c.dispatcherSet).isEqualTo(1);
        assertThat(c.dispatcherAlgorithm).isEqualTo(9);
        assertThat(c.probeInterval).isEqualTo(3);
        assertThat(c.jdbcUrl()).isEqualTo("jdbc:postgresql://db/kamailio");
        c.validate();
    }

    @Test
    void unknownFieldInTheFileIsAnError() throws Exception {
        Path f = dir.resolve("bad.json");
        Files.writeString(f, "{\"domian\": \"typo.example.com\"}");
        assertThatThrownBy(() -> parse("--config", f.toString())).hasMessageContaining("domian");
    }

    @Test
    void managementOffLoopbackNeedsAToken() throws Exception {
        PbxConfig c = parse("--mgmt", "0.0.0.0:8088");
        assertThatThrownBy(c::validate).hasMessageContaining("--mgmt-token");
        parse("--mgmt", "0.0.0.0:8088", "--mgmt-token", "t").validate();
        assertThat(parse("--mgmt", "off").mgmtAddress()).isNull();
    }

    @Test
    void badListenAddressIsAnError() throws Exception {
        assertThatThrownBy(() -> parse("--listen", "sctp:1.2.3.4:5060").validate())
                .hasMessageContaining("udp, tcp, tls, ws or wss");
        assertThatThrownBy(() -> parse("--listen", "tls:127.0.0.1:5061").validate())
                .hasMessageContaining("--tls-keystore");
    }

    @Test
    void theExampleFileInTheModuleParses() throws Exception {
        Path example = Path.of("pbx-example.json");   // surefire runs in the module directory
        PbxConfig c = parse("--config", example.toString());
        assertThat(c.domain).isEqualTo("pbx.example.com");
        assertThat(c.listeners()).extracting(PbxConfig.ListenSpec::proto).containsExactly("udp", "tcp", "tls");
        assertThat(c.dispatcherSet).isEqualTo(1);
        assertThat(c.jdbcUrl()).isEqualTo("jdbc:h2:file:/var/lib/siprelay/siprelay;AUTO_SERVER=TRUE");
        c.validate();
    }
}
