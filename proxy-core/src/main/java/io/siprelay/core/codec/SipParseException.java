package io.siprelay.core.codec;

/**
 * A message that cannot be accepted. For a request the proxy answers {@link #statusCode()} with {@link #reason()}
 * when {@link #partial()} holds enough to build a reply (Via, From, To, Call-ID, CSeq); responses and requests too
 * broken to answer are dropped.
 */
public final class SipParseException extends Exception {

    private final int statusCode;
    private final String reason;
    private final transient SipMessage partial;

    public SipParseException(int statusCode, String reason, SipMessage partial) {
        super(statusCode + " " + reason);
        this.statusCode = statusCode;
        this.reason = reason;
        this.partial = partial;
    }

    public SipParseException(int statusCode, String reason, SipMessage partial, Throwable cause) {
        this(statusCode, reason, partial);
        initCause(cause);
    }

    /** The reply a request deserves: 400, 416, 420, 505, 513... */
    public int statusCode() {
        return statusCode;
    }

    /** Reason phrase for that reply, naming the offending header where known ("Bad CSeq"). */
    public String reason() {
        return reason;
    }

    /** What could be parsed, or null when not even the start line could. */
    public SipMessage partial() {
        return partial;
    }

    /** True when a reply can be sent: a request whose partial message has the headers a reply copies. */
    public boolean canReply() {
        return partial != null && partial.isRequest() && partial.canBeAnswered();
    }
}
