package io.siprelay.media;

import java.nio.charset.StandardCharsets;
import javax.sip.header.ContentTypeHeader;
import javax.sip.message.Message;

/** The SDP body of a SIP message: read it, replace it (Content-Length follows). */
final class Sdp {

    private Sdp() {
    }

    /** The body when the message carries {@code application/sdp}, else null. */
    static String of(Message m) {
        ContentTypeHeader type = (ContentTypeHeader) m.getHeader(ContentTypeHeader.NAME);
        byte[] body = m.getRawContent();
        if (type == null || body == null || body.length == 0) {
            return null;
        }
        if (!"application".equalsIgnoreCase(type.getContentType())
                || !"sdp".equalsIgnoreCase(type.getContentSubType())) {
            return null;
        }
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Puts {@code sdp} in place of the body, keeping the Content-Type; JAIN-SIP sets Content-Length. */
    static void replace(Message m, String sdp) {
        ContentTypeHeader type = (ContentTypeHeader) m.getHeader(ContentTypeHeader.NAME);
        try {
            m.setContent(sdp.getBytes(StandardCharsets.UTF_8), type);
        } catch (java.text.ParseException e) {
            throw new IllegalStateException("could not set the SDP body", e);
        }
    }
}
