package io.siprelay.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Limits and individual sanity rules, on small hand-made messages. */
class SipCodecValidationTest {

    private final SipCodec codec = SipCodec.create();

    private static String request(String extraHeaders) {
        return "OPTIONS sip:user@example.com SIP/2.0\r\n"
                + "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK-1\r\n"
                + "From: <sip:a@example.com>;tag=1\r\n"
                + "To: <sip:user@example.com>\r\n"
                + "Call-ID: unit@example.com\r\n"
                + "CSeq: 1 OPTIONS\r\n"
                + extraHeaders
                + "Content-Length: 0\r\n\r\n";
    }

    private SipParseException reject(SipCodec c, String msg) {
        // a lazily parsed message is refused when it is parsed in full: the same exception, later
        SipParseException e = catchThrowableOfType(SipParseException.class, () -> {
            try {
                c.parse(msg.getBytes(StandardCharsets.UTF_8)).message();
            } catch (SipMessage.Unparsable u) {
                throw u.parseError();
            }
        });
        assertThat(e).as("must be rejected:\n" + msg).isNotNull();
        return e;
    }

    private SipParseException reject(String msg) {
        return reject(codec, msg);
    }

    private SipMessage parse(String msg) throws SipParseException {
        return codec.parse(msg.getBytes(StandardCharsets.UTF_8));
    }

    // --- limits ----------------------------------------------------------------------------------------------

    @Test
    void messageOverTheSizeLimitIs513AndStillAnswerable() {
        SipCodec small = SipCodec.create(new SipLimits(1_000, 32, 512));
        String body = "x".repeat(1_200);
        String msg = request("").replace("Content-Length: 0\r\n\r\n", "Content-Length: 1200\r\n\r\n" + body);
        SipParseException e = reject(small, msg);
        assertThat(e.statusCode()).isEqualTo(513);
        assertThat(e.reason()).isEqualTo("Message Too Large");
        assertThat(e.canReply()).isTrue();
    }

    @Test
    void tooManyHeadersIs400() {
        SipCodec small = SipCodec.create(new SipLimits(65_535, 16, 512));
        SipParseException e = reject(small, request("X-Pad: 1\r\n".repeat(11)));
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.reason()).isEqualTo("Bad Request - too many headers");
        // exactly at the limit is fine: 6 + 9 + Content-Length = 16
        assertThat(catchThrowableOfType(SipParseException.class,
                () -> small.parse(request("X-Pad: 1\r\n".repeat(9)).getBytes(StandardCharsets.UTF_8)))).isNull();
    }

    @Test
    void overlongLineAndOverlongFoldedHeaderAre400() {
        SipCodec small = SipCodec.create(new SipLimits(65_535, 32, 200));
        SipParseException e = reject(small, request("Subject: " + "s".repeat(300) + "\r\n"));
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.reason()).isEqualTo("Bad Request - header line too long");
        String folded = "Subject: start\r\n" + (" " + "s".repeat(60) + "\r\n").repeat(5);
        assertThat(reject(small, request(folded)).reason()).isEqualTo("Bad Request - header line too long");
    }

    @Test
    void nothingButSipParseExceptionLeavesTheGuard() {
        for (Throwable t : new Throwable[] {new StackOverflowError(), new IllegalStateException("x"),
                new NullPointerException(), new AssertionError("x"), new NoClassDefFoundError("x")}) {
            assertThatThrownBy(() -> JainSipCodec.guarded(() -> {
                throw sneaky(t);
            })).isInstanceOf(SipParseException.class).hasCause(t);
        }
        assertThatThrownBy(() -> JainSipCodec.guarded(() -> {
            throw new OutOfMemoryError("let through");
        })).isInstanceOf(OutOfMemoryError.class);
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> RuntimeException sneaky(Throwable t) throws T {
        throw (T) t;
    }

    // --- framing -----------------------------------------------------------------------------------------------

    @Test
    void bodyIsCutByContentLengthAndTrailingOctetsIgnored() throws Exception {
        String msg = request("Content-Type: text/plain\r\n").replace("Content-Length: 0\r\n\r\n",
                "Content-Length: 5\r\n\r\nhelloGARBAGE");
        assertThat(parse(msg).message().getRawContent()).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void withoutContentLengthTheBodyIsTheRestOfTheDatagram() throws Exception {
        String msg = request("Content-Type: text/plain\r\n").replace("Content-Length: 0\r\n\r\n", "\r\nhello");
        assertThat(parse(msg).message().getRawContent()).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void contentLengthBeyondTheDataOrNegativeIs400() {
        assertThat(reject(request("").replace("Content-Length: 0", "Content-Length: 10")).statusCode()).isEqualTo(400);
        SipParseException neg = reject(request("").replace("Content-Length: 0", "Content-Length: -1"));
        assertThat(neg.statusCode()).isEqualTo(400);
        assertThat(neg.canReply()).isTrue();
    }

    @Test
    void leadingCrlfBeforeTheStartLineIsIgnored() throws Exception {
        assertThat(parse("\r\n\r\n" + request("")).method()).isEqualTo("OPTIONS");
    }

    // --- sanity rules ------------------------------------------------------------------------------------------

    @Test
    void badHeaderIsNamedAndStillAnswerable() {
        SipParseException e = reject(request("Expires: soon\r\n"));
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.reason()).isEqualTo("Bad Request - bad header Expires");
        assertThat(e.canReply()).isTrue();
        assertThat(e.partial().callId()).isEqualTo("unit@example.com");
    }

    @Test
    void missingMaxForwardsIsAcceptedButMissingCallIdIsNot() throws Exception {
        assertThat(parse(request("")).message().getHeader("Max-Forwards")).isNull();
        SipParseException e = reject(request("").replace("Call-ID: unit@example.com\r\n", ""));
        assertThat(e.reason()).isEqualTo("Bad Request - missing Call-ID");
        assertThat(e.canReply()).isFalse();
    }

    @Test
    void cseqNumberAbove2pow31minus1Is400() throws Exception {
        assertThat(parse(request("").replace("CSeq: 1 ", "CSeq: 2147483647 ")).cseq()).isEqualTo(2147483647L);
        assertThat(reject(request("").replace("CSeq: 1 ", "CSeq: 2147483648 ")).statusCode()).isEqualTo(400);
    }

    @Test
    void cseqMethodMismatchIs400ForKnownAnd501ForExtensionMethods() {
        SipParseException known = reject(request("").replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE"));
        assertThat(known.statusCode()).isEqualTo(400);
        assertThat(known.reason()).isEqualTo("Bad Request - CSeq method mismatch");
        String ext = request("").replace("OPTIONS sip:", "FOO sip:").replace("CSeq: 1 OPTIONS", "CSeq: 1 BAR");
        assertThat(reject(ext).statusCode()).isEqualTo(501);
    }

    @Test
    void extensionMethodKeepsItsCaseThroughEncode() throws Exception {
        String msg = request("").replace("OPTIONS sip:", "fooBar sip:").replace("CSeq: 1 OPTIONS", "CSeq: 1 fooBar");
        SipMessage m = parse(msg);
        SipMessage again = codec.parse(codec.encode(m.message()));
        assertThat(again.cseqMethod()).isEqualTo("fooBar");
        assertThat(again.method()).isEqualTo("fooBar");
    }

    @Test
    void duplicateSingleValueHeadersAre400NamingThem() {
        assertThat(reject(request("Max-Forwards: 70\r\nMax-Forwards: 69\r\n")).reason())
                .isEqualTo("Bad Request - duplicate Max-Forwards");
        assertThat(reject(request("c: text/plain\r\nContent-Type: text/plain\r\n")).reason())
                .isEqualTo("Bad Request - duplicate Content-Type");
        assertThat(reject(request("").replace("Content-Length: 0\r\n", "Content-Length: 0\r\nl: 0\r\n")).reason())
                .isEqualTo("Bad Request - duplicate Content-Length");
    }

    @Test
    void requestUriSchemesOtherThanSipSipsTelAre416() throws Exception {
        assertThat(parse(request("").replace("OPTIONS sip:user@example.com", "OPTIONS tel:+15551234567")).method())
                .isEqualTo("OPTIONS");
        assertThat(parse(request("").replace("OPTIONS sip:", "OPTIONS sips:")).method()).isEqualTo("OPTIONS");
        SipParseException e = reject(request("").replace("OPTIONS sip:user@example.com", "OPTIONS http://example.com/"));
        assertThat(e.statusCode()).isEqualTo(416);
        assertThat(e.canReply()).isTrue();
    }

    @Test
    void malformedRequestLinesAre400() {
        assertThat(reject(request("").replace("OPTIONS sip:user@example.com", "OPTIONS <sip:user@example.com>"))
                .statusCode()).isEqualTo(400);
        assertThat(reject(request("").replace("OPTIONS sip:", "OPTIONS\tsip:")).statusCode()).isEqualTo(400);
        assertThat(reject(request("").replace("SIP/2.0\r\nVia", "SIP/2.0 \r\nVia")).statusCode()).isEqualTo(400);
        assertThat(reject(request("").replace("example.com SIP/2.0", "example.com?Subject=x SIP/2.0")).reason())
                .isEqualTo("Bad Request - headers in Request-URI");
    }

    @Test
    void proxyRequireWithUnsupportedTagsIs420ListingThem() throws Exception {
        SipParseException e = reject(request("Proxy-Require: foo, bar\r\nRequire: baz\r\n"));
        assertThat(e.statusCode()).isEqualTo(420);
        assertThat(e.reason()).isEqualTo("Bad Extension");
        assertThat(e.unsupportedOptionTags()).containsExactly("foo", "bar");
        assertThat(e.canReply()).isTrue();
        SipCodec supportsFoo = SipCodec.create(SipLimits.defaults(), Set.of("foo"));
        assertThat(reject(supportsFoo, request("Proxy-Require: foo, bar\r\n")).unsupportedOptionTags())
                .containsExactly("bar");
        assertThat(supportsFoo.parse(request("Proxy-Require: FOO\r\n").getBytes(StandardCharsets.UTF_8))).isNotNull();
    }

    @Test
    void maxForwardsZeroParsesButOutOfRangeIs400() throws Exception {
        assertThat(parse(request("Max-Forwards: 0\r\n"))).isNotNull(); // 483 is the proxy's decision
        assertThat(reject(request("Max-Forwards: 256\r\n")).statusCode()).isEqualTo(400);
        assertThat(reject(request("Max-Forwards: many\r\n")).statusCode()).isEqualTo(400);
    }

    @Test
    void requestWithOtherVersionIs505() {
        SipParseException e = reject(request("").replace("example.com SIP/2.0", "example.com SIP/3.0"));
        assertThat(e.statusCode()).isEqualTo(505);
        assertThat(e.canReply()).isTrue();
    }

    @Test
    void unquotedDisplayNameWithCommaIs400() {
        byte[] data = Rfc4475Corpus.bytes("extra/baddn-terminated.dat");
        SipParseException e = catchThrowableOfType(SipParseException.class, () -> codec.parse(data));
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.reason()).startsWith("Bad Request - bad header ");
    }

    // --- responses are never answered ----------------------------------------------------------------------------

    private static String response(String statusLine) {
        return statusLine + "\r\n"
                + "Via: SIP/2.0/UDP host.example.com;branch=z9hG4bK-1\r\n"
                + "From: <sip:a@example.com>;tag=1\r\nTo: <sip:user@example.com>;tag=2\r\n"
                + "Call-ID: unit@example.com\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    }

    @Test
    void responsesWithBadVersionOrCodeAreDropped() throws Exception {
        assertThat(parse(response("SIP/2.0 699 Whatever")).statusCode()).isEqualTo(699);
        for (String line : new String[] {"SIP/3.0 200 OK", "SIP/2.0 700 Too High", "SIP/2.0 99 Low",
                "SIP/2.0 4294967301 Huge"}) {
            SipParseException e = reject(response(line));
            assertThat(e.isResponse()).as(line).isTrue();
            assertThat(e.canReply()).as(line).isFalse();
        }
        SipParseException missing = reject(response("SIP/2.0 200 OK").replace("Call-ID: unit@example.com\r\n", ""));
        assertThat(missing.canReply()).isFalse();
        assertThat(missing.isResponse()).isTrue();
    }

    @Test
    void garbageIsNotAnswerable() {
        for (String s : new String[] {"", "\r\n\r\n", "hello", "\u0000\u0001\u0002", "<<<>>> x y\r\n\r\n"}) {
            SipParseException e = reject(s);
            assertThat(e.canReply()).as(s).isFalse();
        }
    }
}
