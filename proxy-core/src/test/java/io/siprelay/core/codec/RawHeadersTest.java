package io.siprelay.core.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.ListIterator;
import org.junit.jupiter.api.Test;

class RawHeadersTest {

    private static final String REGISTER = String.join("\r\n",
            "REGISTER sip:pbx.test SIP/2.0",
            "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1",
            "Max-Forwards: 70",
            "From: <sip:alice@pbx.test>;tag=1",
            "To: <sip:alice@pbx.test>",
            "Call-ID: abc",
            "CSeq: 2 REGISTER",
            "m: \"Alice, A.\" <sip:alice@10.0.0.1;transport=udp>;expires=60, <sip:alice@10.0.0.2>;q=0.5",
            "Contact : <sip:alice@10.0.0.3>",
            "Authorization: Digest username=\"alice\", realm=\"pbx.test\", nonce=\"n\", uri=\"sip:pbx.test\","
                    + " response=\"r\"",
            "Allow: INVITE, ACK,BYE",
            "X-Custom: a, b",
            "User-Agent: Test UA",
            "Expires: 3600",
            "Content-Length: 0",
            "", "");

    private final SipCodec codec = SipCodec.create();

    private SipMessage lazy() throws SipParseException {
        SipMessage m = codec.parse(REGISTER.getBytes(StandardCharsets.UTF_8));
        assertThat(m.isParsed()).as("the fast scan must accept the test message").isFalse();
        return m;
    }

    @Test
    void listHeadersAreSplitOutsideQuotesAndBracketsAndCompactFormsCount() throws Exception {
        SipMessage m = lazy();
        List<String> contacts = List.of("\"Alice, A.\" <sip:alice@10.0.0.1;transport=udp>;expires=60",
                "<sip:alice@10.0.0.2>;q=0.5", "<sip:alice@10.0.0.3>");
        assertThat(m.rawHeaderValues("Contact")).containsExactlyElementsOf(contacts);
        assertThat(m.rawHeaderValues("m")).containsExactlyElementsOf(contacts);
        assertThat(m.rawHeaderValues("allow")).containsExactly("INVITE", "ACK", "BYE");
        assertThat(m.isParsed()).isFalse();
    }

    @Test
    void singleValueHeadersKeepTheirCommas() throws Exception {
        SipMessage m = lazy();
        assertThat(m.rawHeaderValues("Authorization")).containsExactly("Digest username=\"alice\", realm=\"pbx.test\","
                + " nonce=\"n\", uri=\"sip:pbx.test\", response=\"r\"");
        assertThat(m.rawHeaderValues("f")).containsExactly("<sip:alice@pbx.test>;tag=1");
        assertThat(m.rawHeaderValues("User-Agent")).containsExactly("Test UA");
        assertThat(m.rawHeaderValues("Expires")).containsExactly("3600");
    }

    @Test
    void anUnknownHeaderIsAnsweredOnlyWhenAbsent() throws Exception {
        SipMessage m = lazy();
        assertThat(m.rawHeaderValues("X-Absent")).isEmpty();
        assertThat(m.rawHeaderValues("Proxy-Authorization")).isEmpty();
        assertThat(m.rawHeaderValues("X-Custom")).as("its splitting is the parser's to decide").isNull();
    }

    @Test
    void theRawValuesAgreeWithTheParserOnCount() throws Exception {
        SipMessage raw = lazy();
        SipMessage parsed = codec.parse(REGISTER.getBytes(StandardCharsets.UTF_8));
        parsed.message();
        for (String name : List.of("Contact", "Allow", "Authorization", "From", "To", "Via", "User-Agent",
                "Expires", "Route", "Supported")) {
            List<String> viaParser = new ArrayList<>();
            for (ListIterator<?> it = parsed.message().getHeaders(name); it.hasNext(); it.next()) {
                viaParser.add(name);
            }
            assertThat(raw.rawHeaderValues(name)).as(name).hasSize(viaParser.size());
        }
    }

    @Test
    void onceParsedTheParserAnswers() throws Exception {
        SipMessage m = lazy();
        m.message();
        assertThat(m.rawHeaderValues("Contact")).isNull();
        assertThat(codec.deferredRequestParses()).isEqualTo(1);
    }
}
