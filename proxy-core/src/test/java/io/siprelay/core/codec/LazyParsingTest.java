package io.siprelay.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import javax.sip.header.ToHeader;
import javax.sip.header.ViaHeader;
import javax.sip.message.Response;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import org.junit.jupiter.api.Test;

/**
 * The codec's fast scan ({@link KeyScan}) and lazy {@link SipMessage}: plain messages are not parsed until asked,
 * what the scan reports equals what the full parse reports, a message the full parse refuses fails the same way when
 * it is parsed late, and replies and forwarded responses cut from the bytes are what the JAIN-SIP path would send.
 */
class LazyParsingTest {

    private static final SipCodec LAZY = SipCodec.create();
    private static final SipCodec EAGER = SipCodec.createEager(SipLimits.defaults(), Set.of());

    static final String OPTIONS = """
            OPTIONS sip:proxy.example.com SIP/2.0\r
            Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-opt-1;rport\r
            Via: SIP/2.0/TCP upstream.example.com;branch=z9hG4bK-up\r
            Max-Forwards: 70\r
            From: "Alice A" <sip:alice@example.com>;tag=a1\r
            To: <sip:proxy.example.com>\r
            Call-ID: opt-1@10.0.0.1\r
            CSeq: 7 OPTIONS\r
            User-Agent: test\r
            Content-Length: 0\r
            \r
            """;

    static final String INVITE = """
            INVITE sip:bob@example.com;transport=udp SIP/2.0\r
            v: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKinv2\r
            Max-Forwards: 69\r
            f: sip:alice@example.com;tag=xy\r
            t: Bob <sip:bob@example.com>\r
            i: inv-2\r
            CSeq: 1 INVITE\r
            Contact: <sip:alice@[2001:db8::1]>\r
            Record-Route: <sip:p1.example.com;lr>\r
            c: application/sdp\r
            l: 14\r
            \r
            v=0\r
            o=- 1 1\r
            """;

    static final String RESPONSE = """
            SIP/2.0 180 Ringing\r
            Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsr-1, SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-a;received=10.0.0.9\r
            Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-b\r
            From: <sip:alice@example.com>;tag=a1\r
            To: <sip:bob@example.com>;tag=b2\r
            Call-ID: resp-3\r
            CSeq: 1 INVITE\r
            Content-Length: 0\r
            \r
            """;

    static final String RESPONSE_ONE_VIA_LINE_EACH = """
            SIP/2.0 200 OK\r
            Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKsr-2\r
            Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-c\r
            From: <sip:alice@example.com>;tag=a1\r
            To: <sip:bob@example.com>;tag=b2\r
            Call-ID: resp-4\r
            CSeq: 2 BYE\r
            Content-Length: 0\r
            \r
            """;

    static final String REGISTER = """
            REGISTER sip:example.com SIP/2.0\r
            Via: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bK-reg\r
            Max-Forwards: 70\r
            From: <sip:carol@example.com>;tag=c3\r
            To: <sip:carol@example.com>\r
            Call-ID: reg-5\r
            CSeq: 20 REGISTER\r
            Contact: <sip:carol@10.0.0.3>;expires=3600\r
            Authorization: Digest username="carol", realm="example.com", nonce="abc", uri="sip:example.com", response="0123456789abcdef0123456789abcdef"\r
            Content-Length: 0\r
            \r
            """;

    static final List<String> PLAIN = List.of(OPTIONS, INVITE, RESPONSE, RESPONSE_ONE_VIA_LINE_EACH, REGISTER);

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void plainMessagesAreNotParsedUntilAskedAndReportWhatTheFullParseReports() throws Exception {
        for (String text : PLAIN) {
            SipMessage lazy = LAZY.parse(bytes(text));
            assertThat(lazy.isParsed()).as(text).isFalse();
            assertSameKeyFields(lazy, EAGER.parse(bytes(text)), text);
            assertThat(lazy.isParsed()).as("key fields must not parse").isFalse();
            assertThat(LAZY.encode(lazy)).isEqualTo(bytes(text)); // forwarded as received
            assertThat(lazy.message()).isNotNull();
            assertThat(lazy.isParsed()).isTrue();
        }
    }

    @Test
    void aMalformedHeaderTheScanDoesNotReadFailsWhenTheMessageIsParsed() throws Exception {
        // regbadct (RFC 4475 §3.1.2.13) in an otherwise plain REGISTER: the eager parse answers 400
        String bad = REGISTER.replace("Contact: <sip:carol@10.0.0.3>;expires=3600",
                "Contact: sip:user@example.com?Route=%3Csip:sip.example.com%3E");
        SipMessage lazy = LAZY.parse(bytes(bad));
        assertThat(lazy.isParsed()).isFalse();
        assertThatThrownBy(lazy::message).isInstanceOfSatisfying(SipMessage.Unparsable.class, e -> {
            assertThat(e.parseError().statusCode()).isEqualTo(400);
            assertThat(e.parseError().canReply()).isTrue();
        });
    }

    @Test
    void aReplyCutFromTheBytesCarriesTheStampedViasAndTheHeadersOfRfc3261Section8_2_6() throws Exception {
        SipMessage request = LAZY.parse(bytes(OPTIONS));
        request.stampArrival(new InetSocketAddress("127.0.0.2", 5099));
        byte[] raw = request.replyBytes(200, "OK", "t-1", "");
        assertThat(request.isParsed()).isFalse();

        Response reply = EAGER.parse(raw).response();
        Response expected = EAGER.messageFactory().createResponse(200, EAGER.parse(bytes(OPTIONS)).request());
        assertThat(reply.getStatusCode()).isEqualTo(200);
        assertThat(reply.getReasonPhrase()).isEqualTo("OK");
        List<ViaHeader> vias = vias(reply);
        assertThat(vias).hasSize(2);
        assertThat(vias.get(0).getReceived()).isEqualTo("127.0.0.2");
        assertThat(vias.get(0).getRPort()).isEqualTo(5099);
        assertThat(vias.get(0).getBranch()).isEqualTo("z9hG4bK-opt-1");
        assertThat(vias.get(1).toString()).isEqualTo(vias(expected).get(1).toString());
        assertThat(((ToHeader) reply.getHeader(ToHeader.NAME)).getTag()).isEqualTo("t-1");
        for (String h : List.of("From", "Call-ID", "CSeq")) {
            assertThat(reply.getHeader(h).toString()).as(h).isEqualTo(expected.getHeader(h).toString());
        }
        assertThat(reply.getContentLength().getContentLength()).isZero();
        assertThat(reply.getHeader("User-Agent")).isNull();
    }

    @Test
    void aReplyWithoutRportGoesAsReceivedAndNamesTheSourceWhenItDiffers() throws Exception {
        SipMessage request = LAZY.parse(bytes(REGISTER));
        request.stampArrival(new InetSocketAddress("127.0.0.3", 5060));
        Response reply = EAGER.parse(request.replyBytes(100, "Trying", "ignored", "Retry-After: 5\r\n")).response();
        ViaHeader top = vias(reply).get(0);
        assertThat(top.getReceived()).isEqualTo("127.0.0.3");
        assertThat(top.getRPort()).isEqualTo(-1);
        assertThat(((ToHeader) reply.getHeader(ToHeader.NAME)).getTag()).as("no tag on a 100").isNull();
        assertThat(reply.getHeader("Retry-After").toString().trim()).isEqualTo("Retry-After: 5");
    }

    @Test
    void aResponseLosesOnlyItsTopViaWhenCutFromTheBytes() throws Exception {
        for (String text : List.of(RESPONSE, RESPONSE_ONE_VIA_LINE_EACH)) {
            SipMessage in = LAZY.parse(bytes(text));
            SipMessage out = in.withoutTopVia();
            assertThat(out).isNotNull();
            assertThat(out.isParsed()).isFalse();
            Response viaEager = EAGER.parse(bytes(text)).response();
            viaEager.removeFirst(ViaHeader.NAME);
            Response cut = EAGER.parse(LAZY.encode(out)).response();
            assertThat(vias(cut).stream().map(Object::toString).toList())
                    .isEqualTo(vias(viaEager).stream().map(Object::toString).toList());
            assertThat(out.topViaBranch()).isEqualTo(vias(viaEager).get(0).getBranch());
            assertThat(cut.getStatusCode()).isEqualTo(in.statusCode());
        }
    }

    @Test
    void aResponseWithOneViaHasNothingLeftToForward() throws Exception {
        String one = RESPONSE_ONE_VIA_LINE_EACH.replace("Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK-c\r\n", "");
        assertThat(LAZY.parse(bytes(one)).withoutTopVia()).isNull();
    }

    // ---------------------------------------------------------------- the fast scan never disagrees

    /**
     * Whatever the bytes: when the fast scan accepts a message, its key fields equal the full parse's, and when the
     * full parse refuses it, parsing it late refuses it with the same status.
     */
    @Property(tries = 2500, shrinking = ShrinkingMode.BOUNDED)
    void theFastScanAgreesWithTheFullParse(@ForAll("mutants") byte[] data) {
        SipMessage lazy;
        try {
            lazy = LAZY.parse(data);
        } catch (SipParseException e) {
            return; // refused by the full parse straight away: the eager path, tested elsewhere
        }
        if (lazy.isParsed()) {
            return;
        }
        SipMessage eager;
        try {
            eager = EAGER.parse(data);
        } catch (SipParseException e) {
            assertThatThrownBy(lazy::message).isInstanceOfSatisfying(SipMessage.Unparsable.class,
                    u -> assertThat(u.parseError().statusCode()).isEqualTo(e.statusCode()));
            return;
        }
        assertSameKeyFields(lazy, eager, new String(data, StandardCharsets.ISO_8859_1));
    }

    @Test
    void aRequestUriWithEmptyParametersIsKeptAsReceivedAndMeansWhatTheParserReads() throws Exception {
        // found by the property above in CI: the parser re-encodes "proxy.;;;;example.com" as "proxy.;example.com"
        String text = OPTIONS.replace("sip:proxy.example.com SIP/2.0", "sip:proxy.;;;;;;;;example.com SIP/2.0");
        SipMessage lazy = LAZY.parse(bytes(text));
        assertThat(lazy.isParsed()).isFalse();
        assertThat(lazy.requestUri()).isEqualTo("sip:proxy.;;;;;;;;example.com");
        assertSameKeyFields(lazy, EAGER.parse(bytes(text)), text);
    }

    @Provide
    Arbitrary<byte[]> mutants() {
        Arbitrary<Integer> which = Arbitraries.integers().between(0, PLAIN.size() - 1);
        Arbitrary<List<CodecFuzzTest.Mutation>> ops = Arbitraries.of(CodecFuzzTest.Mutation.class).list()
                .ofMinSize(0).ofMaxSize(2);
        Arbitrary<Long> seed = Arbitraries.longs();
        return Combinators.combine(which, ops, seed)
                .as((i, list, s) -> CodecFuzzTest.mutate(bytes(PLAIN.get(i)), list, new java.util.Random(s)));
    }

    private static void assertSameKeyFields(SipMessage lazy, SipMessage eager, String text) {
        assertThat(lazy.isRequest()).as(text).isEqualTo(eager.isRequest());
        assertThat(lazy.method()).as(text).isEqualTo(eager.method());
        assertThat(lazy.statusCode()).as(text).isEqualTo(eager.statusCode());
        assertThat(lazy.callId()).as(text).isEqualTo(eager.callId());
        assertThat(lazy.cseq()).as(text).isEqualTo(eager.cseq());
        assertThat(lazy.cseqMethod()).as(text).isEqualTo(eager.cseqMethod());
        assertThat(lazy.topViaBranch()).as(text).isEqualTo(eager.topViaBranch());
        assertThat(lazy.topViaHost()).as(text).isEqualToIgnoringCase(eager.topViaHost());
        assertThat(lazy.topViaPort()).as(text).isEqualTo(eager.topViaPort());
        assertThat(lazy.topViaTransport()).as(text).isEqualTo(eager.topViaTransport());
        assertThat(lazy.hasRport()).as(text).isEqualTo(eager.hasRport());
        assertThat(lazy.fromTag()).as(text).isEqualTo(eager.fromTag());
        assertThat(lazy.toTag()).as(text).isEqualTo(eager.toTag());
        assertThat(lazy.maxForwards()).as(text).isEqualTo(eager.maxForwards());
        if (lazy.isRequest()) {
            // the scan keeps the Request-URI as received; the full parse re-encodes it (";;;" becomes ";"), so
            // the two must be the same URI by RFC 3261 19.1.4, not the same text
            assertThat(sameUri(lazy.requestUri(), eager.requestUri())).as(text + "\n" + lazy.requestUri()
                    + " vs " + eager.requestUri()).isTrue();
        }
    }

    private static boolean sameUri(String received, String parsed) {
        try {
            return EAGER.addressFactory().createURI(received).equals(EAGER.addressFactory().createURI(parsed));
        } catch (java.text.ParseException e) {
            throw new AssertionError("the fast scan accepted a Request-URI the parser refuses: " + received, e);
        }
    }

    private static List<ViaHeader> vias(javax.sip.message.Message m) {
        List<ViaHeader> out = new java.util.ArrayList<>();
        for (var it = m.getHeaders(ViaHeader.NAME); it.hasNext(); ) {
            out.add((ViaHeader) it.next());
        }
        return out;
    }
}
