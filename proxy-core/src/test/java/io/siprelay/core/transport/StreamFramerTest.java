package io.siprelay.core.transport;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.siprelay.core.transport.FramingException.Reason;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class StreamFramerTest {

    private static final String OPTIONS = "OPTIONS sip:a@example.com SIP/2.0\r\n"
            + "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
            + "Call-ID: c1\r\n"
            + "CSeq: 1 OPTIONS\r\n";

    /** Collects what the framer reports; "PING" stands for a keep-alive. */
    private static final class Collector implements StreamFramer.Sink {
        final List<String> events = new ArrayList<>();

        @Override
        public void onMessage(byte[] message) {
            events.add(new String(message, US_ASCII));
        }

        @Override
        public void onPing() {
            events.add("PING");
        }
    }

    private final StreamFramer framer = new StreamFramer(1024, 4096);
    private final Collector out = new Collector();

    private static String msg(String body) {
        return OPTIONS + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    }

    private static String withHeader(String header, String body) {
        return OPTIONS + header + "\r\n\r\n" + body;
    }

    private void feed(String s) throws FramingException {
        framer.feed(s.getBytes(US_ASCII), out);
    }

    private void feedBytewise(String s) throws FramingException {
        for (byte b : s.getBytes(US_ASCII)) {
            framer.feed(new byte[] {b}, out);
        }
    }

    private FramingException failureOf(String s) {
        try {
            feed(s);
        } catch (FramingException e) {
            return e;
        }
        throw new AssertionError("no framing error for " + s);
    }

    @Test
    void oneMessageWithoutBody() throws Exception {
        feed(msg(""));
        assertThat(out.events).containsExactly(msg(""));
        assertThat(framer.atMessageBoundary()).isTrue();
    }

    @Test
    void oneMessageWithBody() throws Exception {
        feed(msg("v=0\r\nbody"));
        assertThat(out.events).containsExactly(msg("v=0\r\nbody"));
    }

    @Test
    void severalMessagesInOneFeed() throws Exception {
        feed(msg("one") + msg("") + msg("three!"));
        assertThat(out.events).containsExactly(msg("one"), msg(""), msg("three!"));
    }

    @Test
    void messageSplitAcrossEveryByte() throws Exception {
        feedBytewise(msg("hello body\r\n\r\nwith blank line") + msg("x"));
        assertThat(out.events).containsExactly(msg("hello body\r\n\r\nwith blank line"), msg("x"));
    }

    @Test
    void messageSplitAtEveryPossiblePoint() throws Exception {
        String two = msg("abc") + msg("defgh");
        for (int cut = 1; cut < two.length(); cut++) {
            StreamFramer f = new StreamFramer(1024, 4096);
            Collector c = new Collector();
            f.feed(two.substring(0, cut).getBytes(US_ASCII), c);
            f.feed(two.substring(cut).getBytes(US_ASCII), c);
            assertThat(c.events).as("cut at %d", cut).containsExactly(msg("abc"), msg("defgh"));
        }
    }

    @Test
    void byteBufferFeedConsumesEverything() throws Exception {
        ByteBuffer direct = ByteBuffer.allocateDirect(1024);
        direct.put((msg("a") + msg("bb").substring(0, 20)).getBytes(US_ASCII)).flip();
        framer.feed(direct, out);
        assertThat(direct.hasRemaining()).isFalse();
        framer.feed(ByteBuffer.wrap(msg("bb").substring(20).getBytes(US_ASCII)), out);
        assertThat(out.events).containsExactly(msg("a"), msg("bb"));
    }

    @Test
    void largeMessageGrowsTheBufferAndLaterMessagesStillFrame() throws Exception {
        String big = "x".repeat(3000);
        feedBytewise(msg(big).substring(0, 100));
        feed(msg(big).substring(100) + msg("small"));
        assertThat(out.events).containsExactly(msg(big), msg("small"));
        assertThat(framer.buffered()).isZero();
    }

    @Test
    void compactHeaderNameAndCaseAndWhitespace() throws Exception {
        feed(withHeader("l: 3", "abc"));
        feed(withHeader("L:3", "def"));
        feed(withHeader("CONTENT-length   :  \t 2  ", "gh"));
        feed(withHeader("Content-Length:\r\n   1", "i")); // folded value
        assertThat(out.events).containsExactly(withHeader("l: 3", "abc"), withHeader("L:3", "def"),
                withHeader("CONTENT-length   :  \t 2  ", "gh"), withHeader("Content-Length:\r\n   1", "i"));
    }

    @Test
    void leadingZerosAndEqualDuplicatesAreAccepted() throws Exception {
        feed(withHeader("Content-Length: 003", "abc"));
        feed(OPTIONS + "Content-Length: 2\r\nl: 2\r\n\r\nxy");
        assertThat(out.events).hasSize(2);
    }

    @Test
    void similarHeaderNamesAreNotContentLength() throws Exception {
        String m = OPTIONS + "Content-Lengthy: 99\r\nX-l: 5\r\nll: 7\r\nContent-Length: 1\r\n\r\nz";
        feed(m);
        assertThat(out.events).containsExactly(m);
    }

    @Test
    void contentLengthInStartLineOrBodyIsIgnored() throws Exception {
        String m = "OPTIONS sip:l:5@example.com SIP/2.0\r\nContent-Length: 14\r\n\r\nContent-Length";
        feed(m);
        assertThat(out.events).containsExactly(m);
    }

    @Test
    void crlfCrlfBetweenMessagesIsAPing() throws Exception {
        feed("\r\n\r\n" + msg("a") + "\r\n\r\n\r\n\r\n" + msg("b"));
        assertThat(out.events).containsExactly("PING", msg("a"), "PING", "PING", msg("b"));
    }

    @Test
    void pingSplitAcrossReads() throws Exception {
        feed("\r");
        feed("\n\r");
        assertThat(out.events).isEmpty();
        feed("\n");
        assertThat(out.events).containsExactly("PING");
        assertThat(framer.atMessageBoundary()).isTrue();
    }

    @Test
    void loneCrlfBetweenMessagesIsSkipped() throws Exception {
        feed("\r\n" + msg("a") + "\r\n" + msg("b"));
        assertThat(out.events).containsExactly(msg("a"), msg("b"));
    }

    @Test
    void pingThenLoneCrlf() throws Exception {
        feed("\r\n\r\n\r\n" + msg(""));
        assertThat(out.events).containsExactly("PING", msg(""));
    }

    @Test
    void pendingCrlfWaitsForMoreBytes() throws Exception {
        feed("\r\n");
        assertThat(out.events).isEmpty();
        assertThat(framer.buffered()).isEqualTo(2);
        feed(msg(""));
        assertThat(out.events).containsExactly(msg(""));
    }

    @Test
    void crlfInsideABodyIsBodyNotKeepAlive() throws Exception {
        feed(msg("\r\n\r\n"));
        assertThat(out.events).containsExactly(msg("\r\n\r\n"));
    }

    @Test
    void missingContentLengthFails() {
        assertThat(failureOf(OPTIONS + "\r\n").reason()).isEqualTo(Reason.MISSING_CONTENT_LENGTH);
    }

    @Test
    void negativeContentLengthFails() { // RFC 4475 ncl
        assertThat(failureOf(withHeader("Content-Length: -999", "")).reason())
                .isEqualTo(Reason.INVALID_CONTENT_LENGTH);
    }

    @Test
    void nonNumericContentLengthFails() {
        assertThat(failureOf(withHeader("Content-Length: abc", "")).reason()).isEqualTo(Reason.INVALID_CONTENT_LENGTH);
    }

    @Test
    void emptyContentLengthFails() {
        assertThat(failureOf(withHeader("Content-Length:   ", "")).reason()).isEqualTo(Reason.INVALID_CONTENT_LENGTH);
    }

    @Test
    void trailingGarbageInContentLengthFails() {
        assertThat(failureOf(withHeader("Content-Length: 5 5", "")).reason()).isEqualTo(Reason.INVALID_CONTENT_LENGTH);
        assertThat(new StreamFramer(1024, 4096)).satisfies(f -> assertThatThrownBy(
                () -> f.feed(withHeader("l: 5, 5", "").getBytes(US_ASCII), out))
                .isInstanceOf(FramingException.class));
    }

    @Test
    void conflictingContentLengthsFail() { // RFC 4475 mcl01
        FramingException e = failureOf(OPTIONS + "Content-Length: 3\r\nl: 300\r\n\r\nabc");
        assertThat(e.reason()).isEqualTo(Reason.CONFLICTING_CONTENT_LENGTH);
    }

    @Test
    void headerSectionOverLimitFailsBeforeTheBlankLineArrives() throws Exception {
        feed("OPTIONS sip:a SIP/2.0\r\n");
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 1100) {
            sb.append("X-Filler: 0123456789\r\n");
        }
        assertThatThrownBy(() -> feed(sb.toString()))
                .isInstanceOfSatisfying(FramingException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.HEADER_SECTION_TOO_LARGE));
        assertThat(out.events).isEmpty();
    }

    @Test
    void headerSectionOverLimitInOneFeedFails() {
        String m = withHeader("X-Filler: " + "y".repeat(1100) + "\r\nContent-Length: 0", "");
        assertThat(failureOf(m).reason()).isEqualTo(Reason.HEADER_SECTION_TOO_LARGE);
    }

    @Test
    void messageOverLimitFailsAsSoonAsContentLengthIsKnown() {
        assertThat(failureOf(withHeader("Content-Length: 5000", "")).reason()).isEqualTo(Reason.MESSAGE_TOO_LARGE);
        StreamFramer f = new StreamFramer(1024, 4096);
        assertThatThrownBy(() -> f.feed(withHeader("Content-Length: 99999999999999999999999", "")
                .getBytes(US_ASCII), out))
                .isInstanceOfSatisfying(FramingException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.MESSAGE_TOO_LARGE));
    }

    @Test
    void messageExactlyAtLimitPasses() throws Exception {
        String head = OPTIONS + "Content-Length: 0000\r\n\r\n";
        int bodyLength = 4096 - head.length();
        String m = OPTIONS + "Content-Length: " + String.format("%04d", bodyLength) + "\r\n\r\n" + "b".repeat(bodyLength);
        assertThat(m).hasSize(4096);
        feedBytewise(m);
        assertThat(out.events).containsExactly(m);
    }

    @Test
    void messagesBeforeAnErrorAreDeliveredAndTheFramerStaysFailed() {
        assertThat(failureOf(msg("ok") + withHeader("Content-Length: -1", "")).reason())
                .isEqualTo(Reason.INVALID_CONTENT_LENGTH);
        assertThat(out.events).containsExactly(msg("ok"));
        assertThatThrownBy(() -> feed(msg("later"))).isInstanceOf(FramingException.class);
        assertThat(out.events).containsExactly(msg("ok"));
    }

    @Test
    void rejectsNonsenseLimits() {
        assertThatThrownBy(() -> new StreamFramer(2048, 1024)).isInstanceOf(IllegalArgumentException.class);
    }
}
