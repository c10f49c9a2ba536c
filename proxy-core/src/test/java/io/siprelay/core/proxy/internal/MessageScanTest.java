package io.siprelay.core.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The transport thread's one-pass peek: Call-ID for the lane, and whether a request continues admitted work. */
class MessageScanTest {

    private static long peek(String m) {
        return MessageScan.peek(m.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String callId(String m) {
        byte[] b = m.getBytes(StandardCharsets.ISO_8859_1);
        return MessageScan.callId(b, MessageScan.peek(b));
    }

    @Test
    void callIdInFullAndCompactForm() {
        assertThat(callId("REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nCall-ID:  abc@h \r\n\r\n")).isEqualTo("abc@h");
        assertThat(callId("REGISTER sip:x SIP/2.0\r\ni:xyz\r\n\r\n")).isEqualTo("xyz");
        assertThat(callId("REGISTER sip:x SIP/2.0\r\ncall-id\t: q\r\n\r\n")).isEqualTo("q");
        assertThat(callId("REGISTER sip:x SIP/2.0\r\nCall-Info: <http://a>\r\n\r\nCall-ID: body\r\n")).isNull();
        assertThat(callId("REGISTER sip:x SIP/2.0\r\nIn-Reply-To: z\r\nCall-ID: a\r\n\r\n")).isEqualTo("a");
        assertThat(callId("garbage")).isNull();
        assertThat(callId("")).isNull();
    }

    @Test
    void credentialsOrAToTagContinueWork() {
        assertThat(MessageScan.continuesWork(peek("REGISTER sip:x SIP/2.0\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\n\r\n")))
                .isFalse();
        assertThat(MessageScan.continuesWork(peek(
                "REGISTER sip:x SIP/2.0\r\nTo: <sip:a@b>\r\nAuthorization: Digest username=\"a\"\r\n\r\n"))).isTrue();
        assertThat(MessageScan.continuesWork(peek(
                "INVITE sip:x SIP/2.0\r\nproxy-authorization : Digest a=b\r\n\r\n"))).isTrue();
        assertThat(MessageScan.continuesWork(peek("BYE sip:x SIP/2.0\r\nTo: <sip:a@b>;tag=77\r\n\r\n"))).isTrue();
        assertThat(MessageScan.continuesWork(peek("BYE sip:x SIP/2.0\r\nt: sip:a@b ; TAG=77\r\n\r\n"))).isTrue();
        assertThat(MessageScan.continuesWork(peek("INVITE sip:x SIP/2.0\r\nTo: <sip:a@b;tag=inside>\r\n\r\n")))
                .as("a tag inside the URI is not the To tag").isFalse();
        assertThat(MessageScan.continuesWork(peek("INVITE sip:x SIP/2.0\r\nTimestamp: 1;tag=2\r\n\r\n"))).isFalse();
        assertThat(MessageScan.continuesWork(peek("INVITE sip:x SIP/2.0\r\n\r\nTo: <sip:a@b>;tag=body\r\n")))
                .as("the body is not read").isFalse();
    }
}
