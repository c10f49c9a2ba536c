package io.siprelay.media;

import static org.assertj.core.api.Assertions.assertThat;

import io.siprelay.testkit.RtpEngineProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client against a real rtpengine daemon (Debian package rtpengine-daemon, userspace only: {@code --table=-1}).
 * Skipped when {@code /usr/bin/rtpengine} is missing; only with the interop tests.
 */
@Tag("interop")
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RtpEngineDaemonTest {

    private static final Pattern AUDIO_PORT = Pattern.compile("(?m)^m=audio (\\d+) ");

    private static RtpEngineProcess daemon;
    private static RtpEngine ng;
    private static int portMin;
    private static int portMax;

    @BeforeAll
    static void startDaemon() {
        Assumptions.assumeTrue(RtpEngineProcess.isInstalled(), "rtpengine not installed");
        daemon = RtpEngineProcess.start(Path.of("target"));
        portMin = daemon.portMin();
        portMax = daemon.portMax();
        ng = RtpEngine.builder().instance(daemon.ngSpec()).timeout(Duration.ofMillis(500)).retries(2).build();
    }

    @AfterAll
    static void stopDaemon() {
        if (ng != null) {
            ng.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    void answersPing() throws Exception {
        assertThat(ng.ping(ng.instances().get(0)).get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void relaysACallFromOfferToDelete() throws Exception {
        String callId = "daemon-test-" + ThreadLocalRandom.current().nextLong(1L << 40) + "@127.0.0.1";

        Map<String, Object> offer = call(callId, Map.of("command", "offer", "call-id", callId, "from-tag", "caller-tag",
                "sdp", sdp(40_000), "flags", List.of("trust-address"),
                "replace", List.of("origin", "session-connection")));
        assertThat(offer).containsEntry("result", "ok");
        String offered = (String) offer.get("sdp");
        int offerPort = audioPort(offered);
        assertThat(offerPort).isBetween(portMin, portMax);
        assertThat(offered).contains("c=IN IP4 127.0.0.1");

        Map<String, Object> answer = call(callId, Map.of("command", "answer", "call-id", callId,
                "from-tag", "caller-tag", "to-tag", "callee-tag", "sdp", sdp(40_002),
                "flags", List.of("trust-address"), "replace", List.of("origin", "session-connection")));
        assertThat(answer).containsEntry("result", "ok");
        int answerPort = audioPort((String) answer.get("sdp"));
        assertThat(answerPort).isBetween(portMin, portMax).isNotEqualTo(offerPort);

        Map<String, Object> query = call(callId, Map.of("command", "query", "call-id", callId));
        assertThat(query).containsEntry("result", "ok");
        assertThat(query.keySet()).containsAnyOf("totals", "tags");

        assertThat(calls()).contains(callId);

        Map<String, Object> delete = call(callId, Map.of("command", "delete", "call-id", callId,
                "from-tag", "caller-tag"));
        assertThat(delete).containsEntry("result", "ok");
        assertThat(calls()).doesNotContain(callId);
    }

    @Test
    void anUnknownCommandIsAnErrorReply() throws Exception {
        try {
            ng.send("any", Map.of("command", "no-such-command")).get(5, TimeUnit.SECONDS);
            throw new AssertionError("accepted an unknown command");
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(NgException.class);
            NgException ngFailure = (NgException) e.getCause();
            assertThat(ngFailure.kind()).isEqualTo(NgException.Kind.ERROR_REPLY);
            assertThat(ngFailure.getMessage()).contains("no-such-command");
        }
        assertThat(ng.instances().get(0).isEnabled()).isTrue();
    }

    private static Map<String, Object> call(String callId, Map<String, ?> command) throws Exception {
        return ng.send(callId, command).get(5, TimeUnit.SECONDS);
    }

    private static List<Object> calls() throws Exception {
        Map<String, Object> list = call("list", Map.of("command", "list"));
        assertThat(list).containsEntry("result", "ok");
        @SuppressWarnings("unchecked")
        List<Object> calls = (List<Object>) list.get("calls");
        return calls;
    }

    private static String sdp(int port) {
        return "v=0\r\n"
                + "o=- 1545997027 1 IN IP4 127.0.0.1\r\n"
                + "s=-\r\n"
                + "c=IN IP4 127.0.0.1\r\n"
                + "t=0 0\r\n"
                + "m=audio " + port + " RTP/AVP 0\r\n";
    }

    private static int audioPort(String sdp) {
        Matcher m = AUDIO_PORT.matcher(sdp);
        assertThat(m.find()).as("m=audio in " + sdp).isTrue();
        return Integer.parseInt(m.group(1));
    }
}
