package io.siprelay.core.transport;

import java.io.IOException;

/** A stream cannot be split into messages any more; the connection carrying it must be closed. */
public final class FramingException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Why framing failed. */
    public enum Reason {
        /** No blank line within the header section limit. */
        HEADER_SECTION_TOO_LARGE,
        /** Header section plus Content-Length exceeds the message limit. */
        MESSAGE_TOO_LARGE,
        /** No Content-Length header (mandatory on streams, RFC 3261 §18.3). */
        MISSING_CONTENT_LENGTH,
        /** Content-Length negative, empty or not a number. */
        INVALID_CONTENT_LENGTH,
        /** Several Content-Length headers with different values. */
        CONFLICTING_CONTENT_LENGTH
    }

    private final Reason reason;

    public FramingException(Reason reason, String message) {
        super(reason + ": " + message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
