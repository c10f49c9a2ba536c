package io.siprelay.examples.pbx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.media.MediaFlags;
import io.siprelay.media.RtpEngine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The media relay's options ({@code --rtpengine}, {@code --rtpengine-mode}, {@code --rtpengine-flags}) and checks. */
class PbxMediaConfigTest {

    @TempDir
    Path dir;

    private static PbxConfig parse(String... args) throws Exception {
        PbxMain m = new PbxMain();
        new CommandLine(m).parseArgs(args);
        return m.config();
    }

    @Test
    void noRtpengineIsNoMediaRelay() throws Exception {
        PbxConfig c = parse();
        assertThat(c.rtpengine).isEmpty();
        assertThat(c.hasMediaRelay()).isFalse();
        assertThat(c.mediaNatOnly()).isFalse();
        assertThat(c.mediaFlags()).isEqualTo(MediaFlags.builder().replaceOrigin().replaceSessionConnection().build());
        c.validate();
    }

    @Test
    void theOptionIsRepeatableWithWeights() throws Exception {
        PbxConfig c = parse("--rtpengine", "udp:127.0.0.1:2223", "--rtpengine", "udp:127.0.0.1:2224=3",
                "--rtpengine-mode", "nat", "--rtpengine-flags", "trust-address replace-origin");
        c.validate();
        assertThat(c.hasMediaRelay()).isTrue();
        assertThat(c.mediaNatOnly()).isTrue();
        assertThat(c.mediaFlags().has("trust-address")).isTrue();
        try (RtpEngine engine = c.rtpEngineBuilder().build()) {
            assertThat(engine.instances()).extracting(i -> i.url() + "=" + i.weight())
                    .containsExactly("udp:127.0.0.1:2223=1", "udp:127.0.0.1:2224=3");
        }
    }

    @Test
    void theFileHasTheSameFieldsAndTheOptionsWin() throws Exception {
        Path f = dir.resolve("pbx.json");
        Files.writeString(f, """
                {"rtpengine": ["udp:127.0.0.1:2223", "udp:127.0.0.1:2224=2"], "rtpengineMode": "nat",
                 "rtpengineFlags": "replace-origin"}
                """);
        PbxConfig fromFile = parse("--config", f.toString());
        assertThat(fromFile.rtpengine).containsExactly("udp:127.0.0.1:2223", "udp:127.0.0.1:2224=2");
        assertThat(fromFile.mediaNatOnly()).isTrue();
        assertThat(fromFile.mediaFlags().toString()).isEqualTo("replace-origin");
        PbxConfig c = parse("--config", f.toString(), "--rtpengine", "udp:127.0.0.1:3000", "--rtpengine-mode",
                "always");
        assertThat(c.rtpengine).containsExactly("udp:127.0.0.1:3000");
        assertThat(c.mediaNatOnly()).isFalse();
        c.validate();
    }

    @Test
    void badInstancesAreRefusedWithTheSpecAndTheReason() throws Exception {
        assertThatThrownBy(() -> parse("--rtpengine", "tcp:127.0.0.1:2223").validate())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tcp:127.0.0.1:2223")
                .hasMessageContaining("only udp");
        assertThatThrownBy(() -> parse("--rtpengine", "udp:127.0.0.1").validate())
                .hasMessageContaining("expected HOST:PORT");
        assertThatThrownBy(() -> parse("--rtpengine", "udp:127.0.0.1:70000").validate())
                .hasMessageContaining("port is out of range");
        assertThatThrownBy(() -> parse("--rtpengine", "udp:127.0.0.1:2223=0").validate())
                .hasMessageContaining("weight must be at least 1");
        assertThatThrownBy(() -> parse("--rtpengine", "udp:127.0.0.1:2223", "--rtpengine", "127.0.0.1:2223=2")
                .validate()).hasMessageContaining("given twice");
    }

    @Test
    void badModesAndFlagsAreRefused() throws Exception {
        assertThatThrownBy(() -> parse("--rtpengine-mode", "sometimes").validate())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rtpengine mode must be 'always' or 'nat', got 'sometimes'");
        assertThatThrownBy(() -> parse("--rtpengine-flags", "replace-origin ICE=").validate())
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("bad rtpengine flags:")
                .hasMessageContaining("ICE=");
        assertThatThrownBy(() -> parse("--rtpengine", "udp:127.0.0.1:2223", "--rtpengine-mode", "nat",
                "--nat-tests", "0").validate()).hasMessageContaining("--nat-tests");
        parse("--rtpengine-mode", "NAT", "--nat-tests", "0").validate(); // no media relay: nothing to decide
    }

    @Test
    void aBadOptionStopsTheStartWithExitCode2() {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = new CommandLine(new PbxMain()).execute("--rtpengine", "udp:127.0.0.1:x", "--data-dir",
                    dir.toString());
        } finally {
            System.setErr(old);
        }
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("configuration error: bad rtpengine instance "
                + "'udp:127.0.0.1:x': the port is not a number");
        assertThat(List.of(dir.toFile().list())).as("nothing started").isEmpty();
    }
}
