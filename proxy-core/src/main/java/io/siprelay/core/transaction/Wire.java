package io.siprelay.core.transaction;

import io.siprelay.core.codec.SipCodec;
import java.nio.charset.StandardCharsets;
import javax.sip.message.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes messages for the wire through the codec. Work-around: {@code JainSipCodec.encode} currently passes a null
 * transport to the RI's {@code encodeAsBytes}, which then throws a NullPointerException for every message with a Via.
 * Until the codec is fixed, fall back to the RI's text form (headers) plus the raw body bytes.
 */
final class Wire {

    private static final Logger LOG = LoggerFactory.getLogger(Wire.class);
    private static volatile boolean codecEncodeBroken;

    private Wire() {
    }

    static byte[] encode(SipCodec codec, Message message) {
        if (!codecEncodeBroken) {
            try {
                return codec.encode(message);
            } catch (NullPointerException e) {
                codecEncodeBroken = true;
                LOG.warn("SipCodec.encode failed ({}); encoding from the message text instead", e.getMessage());
            }
        }
        return fromText(message);
    }

    static byte[] fromText(Message message) {
        String text = message.toString();
        byte[] body = message.getRawContent();
        if (body == null || body.length == 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        byte[] head = text.substring(0, end + 4).getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + body.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(body, 0, out, head.length, body.length);
        return out;
    }
}
