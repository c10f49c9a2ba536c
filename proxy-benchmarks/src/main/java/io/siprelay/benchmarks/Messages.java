package io.siprelay.benchmarks;

import io.siprelay.core.codec.SipCodec;
import io.siprelay.core.codec.SipMessage;
import io.siprelay.core.codec.SipParseException;
import java.nio.charset.StandardCharsets;

/** Typical messages for the benchmarks. */
final class Messages {

    private Messages() {
    }

    /** Parses a message built in a benchmark's setup; a parse error there is a bug of the benchmark. */
    static SipMessage parse(SipCodec codec, String text) {
        return parse(codec, text.getBytes(StandardCharsets.UTF_8));
    }

    static SipMessage parse(SipCodec codec, byte[] bytes) {
        try {
            return codec.parse(bytes);
        } catch (SipParseException e) {
            throw new IllegalStateException("benchmark message does not parse: " + e.getMessage() + "\n"
                    + new String(bytes, StandardCharsets.UTF_8), e);
        }
    }

    /** An INVITE as a softphone sends it, with SDP. */
    static final byte[] INVITE = ("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 10.1.2.3:5060;branch=z9hG4bK74bf9;rport\r\n"
            + "Max-Forwards: 70\r\n"
            + "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
            + "To: <sip:bob@biloxi.example.com>\r\n"
            + "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
            + "CSeq: 1 INVITE\r\n"
            + "Contact: <sip:alice@10.1.2.3:5060;transport=udp>\r\n"
            + "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, REFER, MESSAGE, UPDATE\r\n"
            + "Supported: replaces, timer\r\n"
            + "User-Agent: Softphone 4.2\r\n"
            + "Content-Type: application/sdp\r\n"
            + "Content-Length: 151\r\n"
            + "\r\n"
            + "v=0\r\n"
            + "o=alice 2890844526 2890844526 IN IP4 10.1.2.3\r\n"
            + "s=-\r\n"
            + "c=IN IP4 10.1.2.3\r\n"
            + "t=0 0\r\n"
            + "m=audio 49170 RTP/AVP 0 8 97\r\n"
            + "a=rtpmap:0 PCMU/8000\r\n"
            + "a=rtpmap:8 PCMA/8000\r\n").getBytes(StandardCharsets.UTF_8);

    /** An OPTIONS as SIPp's options.xml sends it. */
    static final byte[] OPTIONS = ("OPTIONS sip:service@127.0.0.1:5060 SIP/2.0\r\n"
            + "Via: SIP/2.0/UDP 127.0.0.1:5180;branch=z9hG4bK-1-1-0;rport\r\n"
            + "From: sipp <sip:sipp@127.0.0.1:5180>;tag=1SIPpTag001\r\n"
            + "To: sut <sip:service@127.0.0.1:5060>\r\n"
            + "Call-ID: 1-1@127.0.0.1\r\n"
            + "CSeq: 1 OPTIONS\r\n"
            + "Contact: sip:sipp@127.0.0.1:5180\r\n"
            + "Max-Forwards: 70\r\n"
            + "Subject: Performance Test\r\n"
            + "Content-Length: 0\r\n"
            + "\r\n").getBytes(StandardCharsets.UTF_8);
}
